"""Long work does not lock others out (issue 18): while a real import holds its transaction open, or a
clearing run builds and solves, a GET of pledges with a token, a page and a POST of a pledge answer
at once — never 500, never a hang. On SQLite the one write lock is the import's until it commits, so
a POST there may get 503 with Retry-After after the (shortened) lock timeout; on PostgreSQL it
succeeds while the import is still running, since the audit chain's lock is taken only at the
import's end (`audit.deferred`). Runs on SQLite by default and on PostgreSQL with DATABASE_URL.

The long work is held open deterministically: the import's progress callback (after each batch,
inside its transaction) and the clearing run's solve wait until the test has made its requests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from clearinghouse.clearing import services as clearing_services
from clearinghouse.clearing.models import ClearingRun
from clearinghouse.core import audit, tabular
from clearinghouse.core.models import AuditEvent
from clearinghouse.core.services import create_token
from clearinghouse.pledges.models import Pledge
from clearinghouse.pledges.tests import factories
from clearinghouse.spreadsheets import import_file
from tests import concurrency
from tests.test_spreadsheets import pledge_rows, write_csv

HOLD_SECONDS = 60  # the long work never waits longer than this for the test's requests
# Seconds: an answer without waiting for the long work (a loaded CI machine included), far below the
# server's timeout; the long work is held for HOLD_SECONDS.
FAST = 10.0
NEW_PLEDGE = {
    "donor": "DEU",
    "kind": "financial",
    "amount": "1000000",
    "currency": "USD",
    "available_from": "2024-01-02",
}


@pytest.fixture
def database_file(transactional_db: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A database file shared by the threads (tests/concurrency.py), with a 1 s SQLite lock timeout
    so that a write that cannot have the lock answers 503 quickly."""
    options = connection.settings_dict.setdefault("OPTIONS", {})
    if connection.vendor == "sqlite":
        monkeypatch.setitem(options, "timeout", 1)
    with concurrency.database_file(tmp_path / "responsive.sqlite3"):
        yield


class Held:
    """Long work running on its own thread, stopped inside at `hold()` until `release()`."""

    def __init__(self, work: Callable[[], Any]) -> None:
        self.work = work
        self.inside = threading.Event()
        self.go = threading.Event()
        self.outcome: Any = None
        self.thread = threading.Thread(target=self._run)

    def hold(self, *args: Any) -> None:
        self.inside.set()
        self.go.wait(HOLD_SECONDS)

    def _run(self) -> None:
        try:
            self.outcome = self.work()
        except BaseException as exc:  # the test inspects it
            self.outcome = exc
        finally:
            self.inside.set()
            connections.close_all()

    def __enter__(self) -> Held:
        self.thread.start()
        assert self.inside.wait(HOLD_SECONDS), "the long work never started"
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def release(self) -> Any:
        self.go.set()
        self.thread.join(HOLD_SECONDS)
        assert not self.thread.is_alive(), "the long work did not finish"
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    response = call()
    return response, time.perf_counter() - start


def _clients(personas: dict[str, Any], page_client: Any) -> tuple[Client, Client]:
    """An API client with a donor officer's token and a signed-in page client, made and warmed up
    beforehand (signing in writes a session; a process's first request loads what it needs). The
    token is one never used yet, and the session's last activity is two minutes old, so that the
    requests during the long work do note them (best effort: skipped if the database is busy)."""
    user = personas["donor_deu"]
    warm = create_token(actor=user, user=user, name="warm-up").raw
    page = page_client(user)
    assert Client(HTTP_AUTHORIZATION=f"Bearer {warm}").get("/api/v1/pledges?limit=5").status_code == 200
    assert page.get("/pledges/").status_code == 200
    session = page.session
    session["last_seen_at"] = int(time.time()) - 120
    session.save()
    token = create_token(actor=user, user=user, name="probe").raw
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}"), page


def _probe(clients: tuple[Client, Client], ref: str) -> dict[str, Any]:
    """A token GET of pledges, a page of pledges and a POST of a pledge, each timed."""
    api, page = clients
    got, got_s = _timed(lambda: api.get("/api/v1/pledges?limit=5"))
    seen, seen_s = _timed(lambda: page.get("/pledges/"))
    body = {**NEW_PLEDGE, "external_ref": ref}
    made, made_s = _timed(lambda: api.post("/api/v1/pledges", body, content_type="application/json"))
    for response in (got, seen, made):
        assert response.status_code != 500
    return {"get": (got, got_s), "page": (seen, seen_s), "post": (made, made_s)}


def _check_reads(probe: dict[str, Any]) -> None:
    for name in ("get", "page"):
        response, seconds = probe[name]
        assert response.status_code == 200, (name, response.status_code, response.content[:300])
        assert seconds < FAST, (name, seconds)


@pytest.mark.django_db(transaction=True)
def test_reads_and_writes_answer_during_a_long_import(
    database_file: None,
    personas: dict[str, Any],
    page_client: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    factories.ensure_catalog()
    monkeypatch.setattr(tabular, "BATCH_ROWS", 100)
    clients = _clients(personas, page_client)
    path = write_csv(tmp_path / "long.csv", pledge_rows(400))
    events = AuditEvent.objects.count()
    held: Held

    def long_import() -> Any:
        return import_file(actor=personas["donor_usa"], path=path, kind="pledges", progress=held.hold)

    held = Held(long_import)
    with held:
        # The import is inside its transaction: a first batch written, its lock(s) held.
        probe = _probe(clients, "DURING-IMPORT")
        still_running = held.thread.is_alive()
        summary = held.release()
    _check_reads(probe)
    assert still_running
    made, made_s = probe["post"]
    if connection.vendor == "sqlite":
        # One write lock, the import's until it commits: a write is told to come back, promptly.
        assert made.status_code in (201, 503), made.content[:300]
        if made.status_code == 503:
            assert made["Retry-After"].isdigit()
            assert made.json()["detail"].startswith("The database is busy")
    else:
        # The audit chain's lock is not the import's until its very end: the write goes through.
        assert made.status_code == 201, made.content[:300]
    assert made_s < FAST, made_s
    assert summary.created == 400
    posted = 1 if made.status_code == 201 else 0
    assert Pledge.objects.filter(external_ref="DURING-IMPORT").count() == posted
    assert AuditEvent.objects.count() == events + 400 + posted
    result = audit.verify()
    assert result.ok, result.reason


@pytest.mark.django_db(transaction=True)
def test_reads_and_writes_answer_during_a_clearing_run(
    database_file: None, personas: dict[str, Any], page_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    factories.ensure_catalog()
    factories.requirement(personas)
    factories.accepted(personas)
    clients = _clients(personas, page_client)
    solve = clearing_services._solve
    held: Held

    def slow_solve(doc: dict[str, Any]) -> Any:
        held.hold()
        return solve(doc)

    monkeypatch.setattr(clearing_services, "_solve", slow_solve)
    held = Held(lambda: clearing_services.run_matching(actor=personas["coordinator"]))
    with held:
        probe = _probe(clients, "DURING-RUN")
        still_running = held.thread.is_alive()
        run = held.release()
    _check_reads(probe)
    assert still_running
    # The run holds no transaction while it builds and solves: a write goes through on both databases.
    made, made_s = probe["post"]
    assert made.status_code == 201, made.content[:300]
    assert made_s < FAST, made_s
    assert ClearingRun.objects.filter(pk=run.pk).exists()
    assert run.proposals.count() >= 1
    result = audit.verify()
    assert result.ok, result.reason
