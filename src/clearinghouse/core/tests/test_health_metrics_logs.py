"""Health and readiness probes, Prometheus metrics for the operator's network only, JSON log lines
that never carry a secret (issue 15)."""

from __future__ import annotations

import json
import logging
import socket
from typing import Any

import pytest
from django.test import Client, override_settings

from clearinghouse.core import health, logs, metrics
from clearinghouse.core.tests.ops_support import ON_POSTGRES, PG_ONLY, free_port

pytestmark = pytest.mark.django_db


def test_healthz_answers_ok() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_on_a_migrated_database() -> None:
    response = Client().get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok" and body["checks"]["migrations"] == "ok"


def test_readyz_names_an_unreachable_broker() -> None:
    port = free_port()  # nothing listens there
    with override_settings(CLEARINGHOUSE_BROKER_URL=f"redis://127.0.0.1:{port}/0"):
        response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == "broker" and body["status"] == "unavailable"
    assert "127.0.0.1" in body["reason"]
    assert body["checks"]["database"] == "ok"


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379 (CI starts one)")
def test_readyz_pings_a_real_redis() -> None:
    with override_settings(CLEARINGHOUSE_BROKER_URL="redis://127.0.0.1:6379/0"):
        response = Client().get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"]["broker"] == "ok"


def test_a_port_that_is_not_redis_fails_the_ping() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    try:
        import threading

        def answer() -> None:
            conn, _ = listener.accept()
            conn.recv(64)
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
            conn.close()

        threading.Thread(target=answer, daemon=True).start()
        problem = health.check_broker(f"redis://127.0.0.1:{port}")
    finally:
        listener.close()
    assert problem is not None and "did not answer PING" in problem


def test_metrics_are_served_to_the_local_network() -> None:
    Client().get("/healthz")
    metrics.observe_job("import", 2.5, ok=False)
    metrics.observe_solve(0.2)
    response = Client(REMOTE_ADDR="127.0.0.1").get("/metrics")
    assert response.status_code == 200
    text = response.content.decode()
    assert (
        'clearinghouse_http_request_duration_seconds_count{method="GET",route="healthz",status="2xx"}' in text
    )
    assert 'clearinghouse_job_failures_total{kind="import"}' in text
    assert 'clearinghouse_job_duration_seconds_count{kind="import",outcome="failed"}' in text
    assert "clearinghouse_clearing_solve_seconds_count" in text
    assert "clearinghouse_audit_chain_length 0.0" in text


def test_metrics_count_the_audit_chain(personas: dict[str, Any]) -> None:
    from clearinghouse.core.models import AuditEvent

    events = AuditEvent.objects.count()
    assert events > 0
    text = Client(REMOTE_ADDR="::1").get("/metrics").content.decode()
    assert f"clearinghouse_audit_chain_length {float(events)}" in text


def test_metrics_are_404_outside_the_allowed_networks() -> None:
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 404
    assert Client(REMOTE_ADDR="192.168.0.7").get("/metrics").status_code == 404
    with override_settings(CLEARINGHOUSE_METRICS_ALLOWED=["10.0.0.0/8"]):
        assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200
        assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 404


def test_allowed_networks_cover_ipv4_mapped_addresses() -> None:
    assert metrics.allowed("::ffff:127.0.0.1", ["127.0.0.1/32"])
    assert not metrics.allowed("not-an-address", ["0.0.0.0/0"])


SECRETS = [
    "Authorization: Bearer chk_S3cretT0ken_abcdef",
    "password=hunter2-correct-horse",
    '{"password": "hunter2-correct-horse", "token": "chk_S3cretT0ken_abcdef"}',
    "{'Authorization': 'Bearer chk_S3cretT0ken_abcdef', 'Cookie': 'sessionid=abcsessionxyz'}",
    "POST /login/ username=donor&password=hunter2-correct-horse&csrfmiddlewaretoken=abccsrfxyz",
    "secret_key: verysecretvalue123",
]


@pytest.mark.parametrize("text", SECRETS)
def test_redaction_removes_every_secret_shape(text: str) -> None:
    out = logs.redact(text)
    for secret in (
        "chk_S3cretT0ken_abcdef",
        "hunter2-correct-horse",
        "abcsessionxyz",
        "abccsrfxyz",
        "verysecret",
    ):
        assert secret not in out, out
    assert logs.REDACTED in out


def test_a_log_line_is_json_with_the_request_fields_and_no_secret() -> None:
    record = logging.LogRecord(
        "clearinghouse.request",
        logging.INFO,
        __file__,
        1,
        "headers %s",
        ({"Authorization": "Bearer abc.def"},),
        None,
    )
    record.user = "donor1"
    record.route = "api-1.0.0:list_pledges"
    record.status = 200
    record.request_id = "r1"
    logs.RedactSecrets().filter(record)
    line = logs.JsonFormatter().format(record)
    body = json.loads(line)
    assert body["user"] == "donor1" and body["route"] == "api-1.0.0:list_pledges" and body["status"] == 200
    assert body["request_id"] == "r1" and body["level"] == "INFO"
    assert "abc.def" not in line and "\n" not in line


def test_an_exception_with_a_secret_is_logged_without_it() -> None:
    try:
        raise ValueError("could not sign in with password=hunter2-correct-horse")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    logs.RedactSecrets().filter(record)
    line = logs.JsonFormatter().format(record)
    assert "hunter2" not in line and "ValueError" in json.loads(line)["error"]


def test_each_request_is_one_log_line_with_user_and_route(
    personas: dict[str, Any], api_client: Any, caplog: Any
) -> None:
    caplog.set_level(logging.INFO, logger="clearinghouse.request")
    response = api_client(personas["analyst"]).get("/api/v1/pledges")
    assert response.status_code == 200
    [record] = [r for r in caplog.records if r.name == "clearinghouse.request"]
    assert record.user == "analyst"
    assert record.status == 200 and record.method == "GET"
    assert "list_pledges" in record.route
    assert record.request_id == response["X-Request-ID"]


@pytest.mark.skipif(not ON_POSTGRES, reason=PG_ONLY)
def test_postgresql_connections_are_kept_and_checked_before_reuse() -> None:
    from django.db import connection

    assert connection.settings_dict["CONN_MAX_AGE"] == 600
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
