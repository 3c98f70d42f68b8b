"""`/healthz` (the process answers) and `/readyz` (it can serve: database reachable, migrations applied,
broker reachable when `CLEARINGHOUSE_BROKER_URL` is set). Load balancers and orchestrators poll them
without signing in; neither says anything an outsider could use."""

from __future__ import annotations

import os
import socket
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

BROKER_TIMEOUT_SECONDS = 2.0
_MIGRATED: list[bool] = []  # once every migration is applied, this process's code never needs more


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """`GET /healthz`: 200 `{"status": "ok"}` whenever the process can answer at all."""
    return JsonResponse({"status": "ok"})


def check_database() -> str | None:
    """None when a query answers, else why not."""
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()
    except DatabaseError as exc:
        return f"database unreachable: {str(exc).strip().splitlines()[0] if str(exc).strip() else exc}"
    return None


def check_migrations() -> str | None:
    """None when every migration this code knows is applied to the database, else how many are not."""
    if _MIGRATED:
        return None
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        return f"migrations unknown: {exc}"
    if plan:
        return f"{len(plan)} migrations not applied (run `clearinghouse migrate`)"
    _MIGRATED.append(True)
    return None


def broker_url() -> str:
    """The configured broker (`CLEARINGHOUSE_BROKER_URL`), empty for the in-process worker."""
    return str(
        getattr(settings, "CLEARINGHOUSE_BROKER_URL", "") or os.environ.get("CLEARINGHOUSE_BROKER_URL", "")
    )


def check_broker(url: str) -> str | None:
    """None when the broker answers: a Redis `PING` gets `+PONG`, an AMQP port accepts a connection."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    default_port = {"redis": 6379, "rediss": 6379, "amqp": 5672, "amqps": 5671, "pyamqp": 5672}.get(scheme)
    if default_port is None:
        return f"broker scheme {scheme!r} not checked: use redis:// or amqp://"
    host = parts.hostname or "localhost"
    try:
        port = parts.port or default_port
        with socket.create_connection((host, port), timeout=BROKER_TIMEOUT_SECONDS) as sock:
            if scheme != "redis":
                return None
            sock.settimeout(BROKER_TIMEOUT_SECONDS)
            if parts.password:
                user = unquote(parts.username or "default")
                sock.sendall(_resp("AUTH", user, unquote(parts.password)))
                if not sock.recv(256).startswith(b"+OK"):
                    return "broker refused the credentials"
            sock.sendall(_resp("PING"))
            answer = sock.recv(64)
    except (OSError, ValueError) as exc:
        return f"broker unreachable at {host}: {exc}"
    if not answer.startswith(b"+PONG"):
        return f"broker at {host} did not answer PING: {answer[:40]!r}"
    return None


def _resp(*words: str) -> bytes:
    """A Redis command in RESP."""
    out = [f"*{len(words)}\r\n".encode()]
    for word in words:
        data = word.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """`GET /readyz`: 200 when every check passes, else 503 naming the first failing check."""
    checks: dict[str, str] = {}
    failing: tuple[str, str] | None = None
    url = broker_url()
    steps = [("database", check_database), ("migrations", check_migrations)]
    if url:
        steps.append(("broker", lambda: check_broker(url)))
    for name, check in steps:
        if failing is not None:
            checks[name] = "skipped"
            continue
        problem = check()
        checks[name] = problem or "ok"
        if problem:
            failing = (name, problem)
    if not url:
        checks["broker"] = "not configured (in-process worker)"
    if failing is not None:
        body = {"status": "unavailable", "failing": failing[0], "reason": failing[1], "checks": checks}
        return JsonResponse(body, status=503)
    return JsonResponse({"status": "ok", "checks": checks})
