"""A kill -9 in the middle of a 10,000-row import leaves the database exactly as before, and the
audit chain verifies: the import is one transaction, and nothing commits before its end.

The import runs as the real command (`clearinghouse import pledges FILE --as USER`) in its own
process, on its own database (a SQLite file in a temporary data directory, or a PostgreSQL database
beside the suite's when the suite runs on PostgreSQL), and is killed once batches were written.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from clearinghouse.bench import common

ROWS = 10_000


def _env(tmp_path: Path) -> dict[str, str]:
    # The command imports in its own process: without a broker (CI's PostgreSQL pass exports one,
    # and with it `import` would only queue a job for a worker).
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CLEARINGHOUSE_BROKER_URL")}
    env["CLEARINGHOUSE_DATA_DIR"] = str(tmp_path / "data")
    if connection.vendor == "postgresql":
        server = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
        env["DATABASE_URL"] = common.fresh_postgres(f"{connection.settings_dict['NAME']}_kill", server)
    return env


def _child(env: dict[str, str], *args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "clearinghouse.bench.child", *args], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.mark.django_db
def test_kill_9_in_the_middle_of_a_10000_row_import_leaves_the_database_as_before(tmp_path: Path) -> None:
    env = _env(tmp_path)
    _child(env, "setup", "--workdir", str(tmp_path))
    path = tmp_path / "pledges.csv"
    _child(env, "file", "--rows", str(ROWS), "--out", str(path))
    before = _child(env, "state")
    command = [sys.executable, "-m", "clearinghouse", "import", "pledges", str(path), "--as", "donor-usa"]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    seen = b""
    deadline = time.monotonic() + 300
    # The progress bar moves after each written batch: kill once some (not all) were written.
    while time.monotonic() < deadline:
        chunk = os.read(proc.stderr.fileno(), 4096)
        if not chunk:
            break
        seen += chunk
        if any(f"| {n:,}/".encode() in seen or f"| {n}/".encode() in seen for n in (4000, 6000)):
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, seen.decode(errors="replace")[-500:]
    assert b"/10000" in seen, seen.decode(errors="replace")[-500:]
    after = _child(env, "state")
    assert after == before
    assert after["verify_ok"], after
