"""When the database is busy with long work: small writes that never fail a read, and a 503 with
`Retry-After` (never a 500, never a hang) for a request that cannot get a lock in time.

* `best_effort(write)`: a bookkeeping write on a read path (a token's last use, a session's last
  activity) runs outside the request's transaction, waits at most `QUICK_LOCK_MS` for the lock and
  is skipped, logged, when the database is busy: the read it rides on answers anyway.
* `DatabaseBusyMiddleware` (pages) and the API's exception handler (`clearinghouse.api`) answer a
  lock that could not be had within the database's lock timeout (SQLite's busy timeout,
  `CLEARINGHOUSE_SQLITE_LOCK_TIMEOUT`; PostgreSQL's `lock_timeout` if the operator sets one) with
  503 and `Retry-After: RETRY_AFTER_SECONDS`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.sessions.exceptions import SessionInterrupted
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.db import DatabaseError, OperationalError, connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger("clearinghouse.busy")

QUICK_LOCK_MS = 100  # how long a best-effort write waits for the lock before it is skipped
RETRY_AFTER_SECONDS = 5
BUSY_MESSAGE = "The database is busy with other work (an import or a clearing run): try again in a moment."
# What SQLite and PostgreSQL say when a lock could not be had in time (or a deadlock was broken).
_LOCK_PHRASES = (
    "database is locked",
    "database table is locked",
    "lock timeout",
    "could not obtain lock",
    "deadlock detected",
)


def is_busy(exc: BaseException) -> bool:
    """Whether an error means "a lock could not be had in time" (worth a retry), not a bug."""
    if not isinstance(exc, OperationalError):
        return False
    text = str(exc).lower()
    return any(phrase in text for phrase in _LOCK_PHRASES)


def busy_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: JSON for the API, a short plain page for pages."""
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": BUSY_MESSAGE}, status=503)
    else:
        response = HttpResponse(
            "<!doctype html><html lang=en><meta charset=utf-8><title>Busy, try again</title>"
            f"<h1>Busy, try again</h1><p>{BUSY_MESSAGE}</p></html>",
            status=503,
            content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseBusyMiddleware:
    """A page whose lock could not be had in time answers 503 with Retry-After, not 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_busy(exception):
            logger.warning("database busy: %s %s answered 503 (%s)", request.method, request.path, exception)
            return busy_response(request)
        return None


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's, except that a session that cannot be saved for a busy database answers 503."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        try:
            return super().process_response(request, response)
        except (OperationalError, SessionInterrupted) as exc:
            # The db session store turns a failed save into UpdateError, then SessionInterrupted.
            if not _caused_by_busy(exc):
                raise
            logger.warning("database busy: the session of %s %s not saved, 503", request.method, request.path)
            return busy_response(request)


def _caused_by_busy(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 10:
        if is_busy(exc):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _sqlite_busy_ms() -> int:
    return int(float(connection.settings_dict.get("OPTIONS", {}).get("timeout", 5)) * 1000)


@contextmanager
def quick_lock(ms: int = QUICK_LOCK_MS) -> Iterator[None]:
    """A transaction whose writes wait at most `ms` milliseconds for a lock (then OperationalError).
    Inside a transaction already open it is a plain savepoint: that transaction's lock wait stands."""
    if connection.in_atomic_block:
        with transaction.atomic():
            yield
        return
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute(f"PRAGMA busy_timeout = {int(ms)}")
        try:
            with transaction.atomic():
                yield
        finally:
            with connection.cursor() as cur:
                cur.execute(f"PRAGMA busy_timeout = {_sqlite_busy_ms()}")
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute(f"SET LOCAL lock_timeout = '{int(ms)}ms'")
        yield


def best_effort(write: Callable[[], Any], *, what: str) -> bool:
    """Run a bookkeeping write that must never fail or hold up the request it rides on: outside the
    request's transaction (after its commit when one is open), waiting a moment at most for the
    lock; when the database is busy it is skipped (and logged). Whether it was written now."""
    if connection.in_atomic_block:
        transaction.on_commit(lambda: best_effort(write, what=what))
        return False
    try:
        with quick_lock():
            write()
    except DatabaseError as exc:
        logger.info("skipped %s: the database is busy (%s)", what, exc)
        return False
    return True
