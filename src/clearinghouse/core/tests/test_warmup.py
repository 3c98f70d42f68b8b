"""Issue 18 (8): a server process loads the exchange-rate history and the URL modules when it starts
(`clearinghouse.wsgi`), so that no user's request waits for them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROBE = """
import json, sys
import clearinghouse.wsgi  # what gunicorn loads in every worker (or once, with --preload)
from clearinghouse.core import fx
from django.urls import get_resolver
print(json.dumps({
    "fx": fx.converter.cache_info().currsize,
    "currencies": fx.known_currencies.cache_info().currsize,
    "urls": "url_patterns" in vars(get_resolver()),
    "api": "clearinghouse.api" in sys.modules,
}))
"""


def test_the_wsgi_application_is_warm_before_its_first_request(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env.update(CLEARINGHOUSE_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="clearinghouse.settings")
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded == {"fx": 1, "currencies": 1, "urls": True, "api": True}


def test_a_command_process_does_not_load_the_history_at_start(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env.update(CLEARINGHOUSE_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="clearinghouse.settings")
    probe = (
        "import django; django.setup(); from clearinghouse.core import fx; "
        "print(fx.converter.cache_info().currsize)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "0"
