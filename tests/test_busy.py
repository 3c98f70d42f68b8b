"""core.busy: a lock not had in time is a 503 with Retry-After (pages and API), never a 500; a
best-effort write on a read path never fails nor holds up the request it rides on."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import OperationalError, ProgrammingError, transaction
from django.test import RequestFactory

from clearinghouse.api import database_busy
from clearinghouse.core import busy

LOCKED = OperationalError("database is locked")


def test_what_counts_as_busy() -> None:
    assert busy.is_busy(LOCKED)
    assert busy.is_busy(OperationalError("canceling statement due to lock timeout"))
    assert not busy.is_busy(OperationalError("no such table: x"))
    assert not busy.is_busy(ProgrammingError("database is locked"))


def test_a_page_and_an_api_call_that_cannot_lock_answer_503_with_retry_after() -> None:
    factory = RequestFactory()
    middleware = busy.DatabaseBusyMiddleware(lambda r: None)  # type: ignore[arg-type,return-value]
    page = middleware.process_exception(factory.post("/pledges/new/"), LOCKED)
    assert page is not None and page.status_code == 503
    assert page["Retry-After"] == str(busy.RETRY_AFTER_SECONDS)
    assert b"Busy, try again" in page.content
    assert middleware.process_exception(factory.get("/pledges/"), OperationalError("no such table")) is None
    api = database_busy(factory.post("/api/v1/pledges"), LOCKED)
    assert api.status_code == 503 and api["Retry-After"] == str(busy.RETRY_AFTER_SECONDS)
    assert json.loads(api.content)["detail"].startswith("The database is busy")
    with pytest.raises(OperationalError):
        database_busy(factory.get("/api/v1/pledges"), OperationalError("no such column"))


@pytest.mark.django_db(transaction=True)
def test_a_best_effort_write_that_cannot_lock_is_skipped_and_runs_outside_transactions() -> None:
    def locked() -> Any:
        raise LOCKED

    assert busy.best_effort(locked, what="test") is False  # skipped, not raised
    done: list[int] = []
    assert busy.best_effort(lambda: done.append(1), what="test") is True
    with transaction.atomic():
        busy.best_effort(lambda: done.append(2), what="test")
        assert done == [1]  # not inside the request's transaction...
    assert done == [1, 2]  # ...but after its commit
