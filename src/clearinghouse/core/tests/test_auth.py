"""Tokens, sessions, login throttling and password hashing."""

from __future__ import annotations

import time
from typing import Any

import pytest
from conftest import PASSWORD
from django.core.management import call_command
from django.test import Client

from clearinghouse.core.models import ApiToken
from clearinghouse.core.services import token_digest

pytestmark = pytest.mark.django_db


def test_cli_token_is_the_last_line_and_works(
    personas: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("token", "create", "analyst")
    raw = capsys.readouterr().out.strip().splitlines()[-1]
    assert ApiToken.objects.filter(digest=token_digest(raw)).exists()
    assert not ApiToken.objects.filter(digest=raw).exists(), "tokens are stored hashed"
    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me")
    assert response.status_code == 200 and response.json()["username"] == "analyst"


def test_revoked_token_is_refused(personas: dict[str, Any], api_client) -> None:
    client = Client()
    client.force_login(personas["analyst"])
    created = client.post("/api/v1/tokens", {"name": "script"}, content_type="application/json")
    assert created.status_code == 201
    raw = created.json()["token"]
    bearer = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert bearer.get("/api/v1/me").status_code == 200
    listed = client.get("/api/v1/tokens").json()
    assert listed["count"] == 1 and "token" not in listed["items"][0]
    assert client.delete(f"/api/v1/tokens/{created.json()['id']}").status_code == 200
    assert bearer.get("/api/v1/me").status_code == 401


def test_nobody_revokes_another_persons_token(personas: dict[str, Any], api_client) -> None:
    other = Client()
    other.force_login(personas["donor_usa"])
    token_id = other.post("/api/v1/tokens", {}, content_type="application/json").json()["id"]
    assert api_client(personas["donor_deu"]).delete(f"/api/v1/tokens/{token_id}").status_code == 404


def test_bad_bearer_is_401(personas: dict[str, Any]) -> None:
    assert Client(HTTP_AUTHORIZATION="Bearer chs_nope").get("/api/v1/me").status_code == 401
    assert Client().get("/api/v1/participants").status_code == 401


def test_session_api_needs_csrf_for_writes(personas: dict[str, Any]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas["analyst"])
    assert client.get("/api/v1/me").status_code == 200
    assert client.post("/api/v1/tokens", {}, content_type="application/json").status_code == 403


def test_passwords_are_argon2(personas: dict[str, Any]) -> None:
    # The test session hashes with MD5 for speed (conftest.TEST_PASSWORD_HASHERS); the shipped settings
    # module is what a deployment runs.
    from django.test import override_settings

    from clearinghouse import settings as shipped

    user = personas["analyst"]
    with override_settings(PASSWORD_HASHERS=shipped.PASSWORD_HASHERS):
        user.set_password("another-correct-horse-battery")
        assert user.password.startswith("argon2")
        assert user.check_password("another-correct-horse-battery")


def test_login_and_logout(personas: dict[str, Any]) -> None:
    client = Client()
    response = client.post("/login/", {"username": "analyst", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    client.post("/logout/")
    assert client.get("/").status_code == 302


def test_login_is_throttled(personas: dict[str, Any]) -> None:
    client = Client()
    for _ in range(5):
        assert client.post("/login/", {"username": "analyst", "password": "wrong"}).status_code == 200
    response = client.post("/login/", {"username": "analyst", "password": PASSWORD})
    assert response.status_code == 200 and b"Too many failed sign-ins" in response.content
    assert client.get("/").status_code == 302


def test_idle_session_expires(personas: dict[str, Any], settings) -> None:
    client = Client()
    client.post("/login/", {"username": "analyst", "password": PASSWORD})
    assert client.get("/").status_code == 200
    session = client.session
    session["last_seen_at"] = int(time.time()) - settings.SESSION_IDLE_TIMEOUT - 5
    session.save()
    assert client.get("/").status_code == 302


def test_absolute_session_lifetime(personas: dict[str, Any], settings) -> None:
    client = Client()
    client.post("/login/", {"username": "analyst", "password": PASSWORD})
    session = client.session
    session["started_at"] = int(time.time()) - settings.SESSION_ABSOLUTE_TIMEOUT - 5
    session.save()
    assert client.get("/").status_code == 302
