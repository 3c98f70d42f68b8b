"""Settings helpers fail loudly on bad values."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from clearinghouse import settings


def test_env_bool_accepts_only_true_false(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_FLAG", "True")
    assert settings.env_bool("X_FLAG", False) is True
    monkeypatch.setenv("X_FLAG", "yes")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG=yes"):
        settings.env_bool("X_FLAG", False)
    monkeypatch.delenv("X_FLAG")
    assert settings.env_bool("X_FLAG", True) is True


def test_env_int_rejects_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_N", "ten")
    with pytest.raises(ImproperlyConfigured, match="X_N=ten"):
        settings.env_int("X_N", 1)


def test_debug_is_off_by_default() -> None:
    assert settings.DEBUG is False


def test_secret_key_is_generated_into_the_data_dir() -> None:
    key_file = settings.DATA_DIR / "secret_key"
    assert key_file.exists() and key_file.read_text().strip() == settings.SECRET_KEY
    assert oct(key_file.stat().st_mode)[-3:] == "600"
