"""`clearinghouse serve`: the app under gunicorn on a real port, static files by whitenoise, metrics
gathered across worker processes, JSON request logs without secrets, and a graceful stop on SIGTERM
(issue 15). Runs on the database of the run (SQLite, or PostgreSQL in CI's second pass)."""

from __future__ import annotations

import contextlib
import json
import re
import signal
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from clearinghouse.core.tests.ops_support import ON_POSTGRES, Installation, get, pg_database


@pytest.fixture
def installation(tmp_path: Path) -> Iterator[Installation]:
    with ExitStack() as stack:
        url = stack.enter_context(pg_database()) if ON_POSTGRES else ""
        inst = Installation(root=tmp_path, key_file=tmp_path / "audit-signing-key.pem", database_url=url)
        stack.callback(inst.stop_all)
        yield inst


def test_serve_answers_serves_static_files_logs_json_and_stops_gracefully(installation: Installation) -> None:
    token = installation.set_up()
    server = installation.serve(workers=2, threads=2)

    status, body = get(server.url + "/healthz")
    assert (status, json.loads(body)) == (200, {"status": "ok"})
    status, body = get(server.url + "/readyz")
    assert status == 200 and json.loads(body)["status"] == "ok"
    status, css = get(server.url + "/static/css/app.css")
    assert status == 200 and len(css) > 100  # whitenoise, no web server in front

    status, body = get(server.url + "/api/v1/pledges", {"Authorization": f"Bearer {token}"})
    assert status == 200, body
    form = urllib.parse.urlencode({"username": "donor1", "password": "hunter2-wrong-password"}).encode()
    with contextlib.suppress(OSError):  # 403 (no CSRF cookie): the point is what the log keeps of it
        urllib.request.urlopen(urllib.request.Request(server.url + "/login/", data=form), timeout=30)

    # Each request on a new connection: the two workers share them; the scrape sums every worker.
    for _ in range(20):
        assert get(server.url + "/healthz")[0] == 200
    status, text = get(server.url + "/metrics")
    assert status == 200
    series = (
        rb'clearinghouse_http_request_duration_seconds_count\{method="GET",route="healthz",status="2xx"\}'
    )
    count = re.search(series + rb" (\S+)", text)
    assert count is not None and float(count.group(1)) >= 21, text[:2000]
    assert re.search(rb"clearinghouse_audit_chain_length [1-9]", text)

    if (
        installation.database_url
    ):  # persistent connections: kept open between requests, one per thread at most
        for _ in range(10):
            get(server.url + "/api/v1/pledges", {"Authorization": f"Bearer {token}"})
        [(open_connections,)] = installation.query(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        assert 1 <= open_connections <= 2 * 2

    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=60) == 0
    log = server.log.read_text()
    request_lines = [json.loads(line) for line in log.splitlines() if '"clearinghouse.request"' in line]
    routes = {line["route"] for line in request_lines}
    assert {"healthz", "readyz", "metrics"} <= routes
    api = [line for line in request_lines if line["path"] == "/api/v1/pledges"]
    assert api and api[0]["user"] == "donor1" and api[0]["status"] == 200 and api[0]["request_id"]
    assert token not in log and token.removeprefix("chs_") not in log
    assert "hunter2" not in log


def test_readyz_is_503_until_the_database_is_migrated(installation: Installation) -> None:
    installation.run("createcachetable")  # a database file, no migrations
    server = installation.serve(workers=1, threads=1)
    status, body = get(server.url + "/readyz")
    assert status == 503, body
    answer = json.loads(body)
    assert answer["failing"] == "migrations" and "clearinghouse migrate" in answer["reason"]
    assert get(server.url + "/healthz")[0] == 200  # alive, not ready
    installation.run("migrate", "--no-input", "-v", "0")
    assert get(server.url + "/readyz")[0] == 200
