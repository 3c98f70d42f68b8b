"""Housekeeping (clearinghouse.housekeeping, `clearinghouse housekeeping`, the worker's periodic
task): expired sessions, old idempotency records, expired cache entries, clearing runs past their
retention (adopted runs, baselines and the newest kept) and old finished jobs go; the rest stays."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection

from clearinghouse import housekeeping
from clearinghouse.clearing.choices import ProposalState, RunKind
from clearinghouse.clearing.models import ClearingRun, Proposal
from clearinghouse.core import audit, clock, jobs
from clearinghouse.core.choices import JobState
from clearinghouse.core.models import AuditEvent, IdempotencyRecord, Job, UserSession
from clearinghouse.pledges.tests import factories

pytestmark = pytest.mark.django_db


def _run(personas: dict[str, Any], days_old: int, **fields: Any) -> ClearingRun:
    run = ClearingRun.objects.create(
        kind=fields.pop("kind", RunKind.BASELINE),
        created_by=personas["coordinator"],
        origin=dt.date(2025, 1, 1),
        parameters={},
        input_digest="0" * 64,
        problem={},
        status="optimal",
        objective=1.0,
        bound=1.0,
        result={},
        **fields,
    )
    ClearingRun.objects.filter(pk=run.pk).update(created_at=clock.now() - dt.timedelta(days=days_old))
    return run


def _proposal(personas: dict[str, Any], run: ClearingRun, state: str = ProposalState.PROPOSED) -> Proposal:
    return Proposal.objects.create(
        run=run,
        requirement=factories.requirement(personas),
        pledge=factories.pledge(personas),
        quantity=5,
        worth_per_unit=1.0,
        state=state,
    )


def test_housekeeping_removes_what_expired_and_keeps_the_rest(
    personas: dict[str, Any], settings: Any
) -> None:
    factories.ensure_catalog()
    settings.RUN_KEEP_LATEST = 1
    now = clock.now()
    # Sessions: one expired, one live; the sign-in record of a session that no longer exists.
    old, live = SessionStore(), SessionStore()
    old.set_expiry(1)
    old.create()
    live.create()
    Session.objects.filter(session_key=old.session_key).update(expire_date=now - dt.timedelta(hours=1))
    UserSession.objects.create(user=personas["analyst"], session_key="gone-session-key")
    UserSession.objects.create(user=personas["analyst"], session_key=str(live.session_key))
    # Idempotency: one of last month, one of today.
    for key, age in (("old", 30), ("new", 0)):
        record = IdempotencyRecord.objects.create(
            user=personas["analyst"],
            key=key,
            method="POST",
            path="/x",
            request_digest="d",
            response_status=201,
            response_body={},
        )
        IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=now - dt.timedelta(days=age))
    # Cache: one expired entry (written directly: the cache hides expired keys), one live.
    cache.set("live-key", 1, 600)
    cache.set("dead-key", 1, 600)
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE core_cache SET expires = %s WHERE cache_key LIKE %s",
            [now - dt.timedelta(days=1), "%dead-key"],
        )
    # Runs: old and never adopted (goes), old but adopted (stays), old baseline of a scenario (stays),
    # the scenario itself (old, goes), recent (stays), and the newest (kept by RUN_KEEP_LATEST anyway).
    goes = _run(personas, 200)
    _proposal(personas, goes)
    adopted = _run(personas, 200)
    _proposal(personas, adopted, ProposalState.ACCEPTED)
    base = _run(personas, 200)
    scenario = _run(personas, 150, kind=RunKind.SCENARIO, baseline=base)
    recent = _run(personas, 5)
    # Jobs: finished long ago (goes), finished today (stays), still queued (stays).
    for state, age in ((JobState.SUCCEEDED, 60), (JobState.FAILED, 0), (JobState.QUEUED, 60)):
        job = Job.objects.create(kind="import.pledges", owner=personas["analyst"], state=state)
        Job.objects.filter(pk=job.pk).update(
            finished_at=None if state == JobState.QUEUED else now - dt.timedelta(days=age)
        )
    events = AuditEvent.objects.count()

    outcome = housekeeping.run()

    assert outcome.counts["expired sessions"] == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [live.session_key]
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
    assert outcome.counts["expired cache entries"] == 1
    assert cache.get("live-key") == 1
    assert sorted(outcome.runs_removed) == sorted([goes.pk, scenario.pk])
    assert set(ClearingRun.objects.values_list("pk", flat=True)) == {adopted.pk, base.pk, recent.pk}
    assert not Proposal.objects.filter(run_id=goes.pk).exists()
    assert Job.objects.count() == 2
    # Each removed run is audited, the chain still verifies.
    deleted = AuditEvent.objects.filter(action="delete", object_type="clearing.clearingrun")
    assert sorted(int(e.object_id) for e in deleted) == sorted(outcome.runs_removed)
    assert AuditEvent.objects.count() == events + 2
    assert audit.verify().ok
    # With its scenario gone, the old baseline is referenced no more: the next pass lets it go.
    again = housekeeping.run()
    assert again.runs_removed == [base.pk]


def test_the_command_and_the_periodic_task(personas: dict[str, Any], settings: Any) -> None:
    out = io.StringIO()
    call_command("housekeeping", stdout=out)
    assert out.getvalue().startswith("Housekeeping removed 0 expired sessions")
    out = io.StringIO()
    call_command("housekeeping", "--dry-run", stdout=out)
    assert "0 clearing runs past retention" in out.getvalue()
    # The worker's housekeeping thread runs it (registered by clearinghouse.jobs) when due.
    import clearinghouse.jobs  # noqa: F401  (registers the kinds and the periodic task)

    assert "housekeeping" in jobs._PERIODIC
    ran = jobs.run_periodic(now=10**9)
    assert "housekeeping" in ran
    assert "housekeeping" not in jobs.run_periodic(now=10**9 + 1)
