"""Background jobs (core/jobs.py): states, progress, result and error, who may read a job, and the
stale-job rule that reports a job whose worker died as failed. The in-process worker (a thread pool)
runs real jobs here; the Celery worker over Redis is tested in tests/test_jobs_queue.py."""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from clearinghouse.core import clock, jobs
from clearinghouse.core.errors import InvalidInput, NotFound
from clearinghouse.core.jobs import JobContext
from clearinghouse.core.models import Job

KEYS = {"id", "kind", "state", "progress", "result", "error"}


@pytest.fixture
def test_kinds() -> Iterator[dict[str, Any]]:
    """Kinds of job for these tests: one that counts to `n` reporting progress, one that fails."""
    seen: dict[str, Any] = {"owners": []}

    def count(ctx: JobContext) -> dict[str, Any]:
        seen["owners"].append(ctx.owner.username)
        n = int(ctx.params["n"])
        for i in range(1, n + 1):
            ctx.progress(i, n)
        return {"counted": n}

    def refuse(ctx: JobContext) -> dict[str, Any]:
        ctx.progress(1, 2)
        raise InvalidInput("quantity: 'ten' is not a whole number", field="quantity")

    def crash(ctx: JobContext) -> dict[str, Any]:
        raise RuntimeError("the solver ran out of memory")

    for name, task in (("test.count", count), ("test.refuse", refuse), ("test.crash", crash)):
        jobs.register(name)(task)
    yield seen
    for name in ("test.count", "test.refuse", "test.crash"):
        jobs._KINDS.pop(name, None)


@pytest.mark.django_db
def test_a_job_runs_from_queued_to_succeeded_with_progress_and_result(
    personas: dict[str, Any], test_kinds: dict[str, Any]
) -> None:
    reported: list[tuple[int, int]] = []
    job = jobs.run_inline(
        kind="test.count",
        owner=personas["coordinator"],
        params={"n": 4},
        progress=lambda done, total: reported.append((done, total)),
    )
    assert job.state == "succeeded"
    assert job.progress == 1.0
    assert job.result == {"counted": 4}
    assert job.error == ""
    assert job.started_at is not None and job.finished_at is not None and job.started_at <= job.finished_at
    assert reported == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert test_kinds["owners"] == ["coordinator"]  # the task ran as the job's owner
    assert job.worker.startswith(socket.gethostname() + ":")
    # A finished job is not run again.
    jobs.execute(job.pk)
    assert test_kinds["owners"] == ["coordinator"]


@pytest.mark.django_db
def test_a_refused_job_is_failed_with_the_services_message(
    personas: dict[str, Any], test_kinds: dict[str, Any]
) -> None:
    with pytest.raises(InvalidInput):
        jobs.run_inline(kind="test.refuse", owner=personas["coordinator"], params={})
    job = Job.objects.get(kind="test.refuse")
    assert job.state == "failed"
    assert job.error == "quantity: 'ten' is not a whole number"
    assert job.result is None
    assert job.finished_at is not None
    # Without reraise the caller gets the failed job.
    crashed = jobs.run_inline(kind="test.crash", owner=personas["coordinator"], reraise=False)
    assert crashed.state == "failed"
    assert crashed.error == "RuntimeError: the solver ran out of memory"


@pytest.mark.django_db
def test_an_unknown_kind_is_refused() -> None:
    from clearinghouse.core.errors import DomainError

    with pytest.raises(DomainError, match="no such kind of job"):
        jobs.submit(kind="nope", owner=None)


@pytest.mark.django_db
def test_only_the_owner_coordinators_and_admins_read_a_job(
    personas: dict[str, Any], api_client: Any, test_kinds: dict[str, Any]
) -> None:
    job = jobs.run_inline(kind="test.count", owner=personas["donor_usa"], params={"n": 2})
    for who in ("donor_usa", "coordinator", "admin"):
        response = api_client(personas[who]).get(f"/api/v1/jobs/{job.pk}")
        assert response.status_code == 200, who
        body = response.json()
        assert set(body) == KEYS
        assert body == {
            "id": job.pk,
            "kind": "test.count",
            "state": "succeeded",
            "progress": 1.0,
            "result": {"counted": 2},
            "error": None,
        }
    for who in ("donor_deu", "outsider", "analyst", "auditor", "recipient"):
        response = api_client(personas[who]).get(f"/api/v1/jobs/{job.pk}")
        assert response.status_code == 404, who
    assert api_client(None).get(f"/api/v1/jobs/{job.pk}").status_code == 401
    assert api_client(personas["donor_usa"]).get("/api/v1/jobs/999999").status_code == 404
    with pytest.raises(NotFound):
        jobs.get_job(user=personas["donor_deu"], job_id=job.pk)


@pytest.mark.django_db
def test_the_failed_job_answers_its_error(
    personas: dict[str, Any], api_client: Any, test_kinds: dict[str, Any]
) -> None:
    job = jobs.run_inline(kind="test.refuse", owner=personas["donor_usa"], reraise=False)
    body = api_client(personas["donor_usa"]).get(f"/api/v1/jobs/{job.pk}").json()
    assert body["state"] == "failed"
    assert body["result"] is None
    assert body["error"] == "quantity: 'ten' is not a whole number"


# --- a job whose worker died ------------------------------------------------------------------------


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def _running(owner: Any, worker: str, heartbeat_age: float) -> Job:
    now = clock.now()
    return Job.objects.create(
        kind="test.count",
        owner=owner,
        state="running",
        progress=0.4,
        worker=worker,
        started_at=now - timedelta(seconds=heartbeat_age + 1),
        heartbeat=now - timedelta(seconds=heartbeat_age),
    )


@pytest.mark.django_db
@override_settings(CLEARINGHOUSE_JOB_STALE_SECONDS=30)
def test_a_job_whose_process_is_gone_reads_failed(personas: dict[str, Any], api_client: Any) -> None:
    host = socket.gethostname()
    dead = _running(personas["donor_usa"], f"{host}:{_dead_pid()}:1", heartbeat_age=0)
    body = api_client(personas["donor_usa"]).get(f"/api/v1/jobs/{dead.pk}").json()
    assert body["state"] == "failed"
    assert "stopped; nothing of the job was kept" in body["error"]
    # The same process id started anew (another start time) is another process.
    me = jobs.this_worker()
    reused = _running(personas["donor_usa"], me.rsplit(":", 1)[0] + ":12345", heartbeat_age=0)
    assert jobs.get_job(user=personas["donor_usa"], job_id=reused.pk).state == "failed"
    # This very process is alive: its job keeps running even with an old heartbeat (SQLite: the
    # task's transaction holds the write lock, so the heartbeat may not get through).
    alive = _running(personas["donor_usa"], me, heartbeat_age=3600)
    assert jobs.get_job(user=personas["donor_usa"], job_id=alive.pk).state == "running"


@pytest.mark.django_db
@override_settings(CLEARINGHOUSE_JOB_STALE_SECONDS=30)
def test_a_job_on_another_host_is_failed_when_its_heartbeat_stops(personas: dict[str, Any]) -> None:
    owner = personas["donor_usa"]
    quiet = _running(owner, "another-host:4242:99", heartbeat_age=31)
    beating = _running(owner, "another-host:4243:99", heartbeat_age=5)
    assert jobs.sweep() == 1
    quiet.refresh_from_db()
    beating.refresh_from_db()
    assert quiet.state == "failed"
    assert "no heartbeat from the worker (another-host:4242) for more than 30 s" in quiet.error
    assert quiet.finished_at is not None
    assert beating.state == "running"
    # The housekeeping command does the same.
    Job.objects.filter(pk=beating.pk).update(heartbeat=clock.now() - timedelta(seconds=60))
    out = _call("jobs", "sweep")
    assert out == "1 stale job(s) marked failed"
    beating.refresh_from_db()
    assert beating.state == "failed"


@pytest.mark.django_db
def test_a_queued_in_process_job_of_a_dead_server_is_failed(personas: dict[str, Any]) -> None:
    host = socket.gethostname()
    job = Job.objects.create(kind="test.count", owner=personas["donor_usa"], worker=f"{host}:{_dead_pid()}:1")
    waiting = Job.objects.create(kind="test.count", owner=personas["donor_usa"])  # on a broker's queue
    assert jobs.sweep() == 1
    job.refresh_from_db()
    waiting.refresh_from_db()
    assert job.state == "failed"
    assert waiting.state == "queued"


def _call(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


@pytest.mark.django_db
def test_the_jobs_command_shows_a_job_as_the_api_does(
    personas: dict[str, Any], test_kinds: dict[str, Any]
) -> None:
    import json

    job = jobs.run_inline(kind="test.count", owner=personas["donor_usa"], params={"n": 1})
    assert json.loads(_call("jobs", "show", str(job.pk))) == jobs.as_json(job)
    with pytest.raises(CommandError, match="no job 999999"):
        _call("jobs", "show", "999999")


def test_the_worker_command_needs_a_broker() -> None:
    with (
        override_settings(CLEARINGHOUSE_BROKER_URL=""),
        pytest.raises(CommandError, match="no broker configured: set CLEARINGHOUSE_BROKER_URL"),
    ):
        _call("worker")


# --- the in-process worker: a thread pool in this process -------------------------------------------


@pytest.mark.django_db(transaction=True)
@override_settings(CLEARINGHOUSE_BROKER_URL="", CLEARINGHOUSE_JOB_HEARTBEAT_SECONDS=0.05)
def test_the_in_process_worker_runs_a_job_and_writes_its_progress_while_it_runs(
    personas: dict[str, Any], test_kinds: dict[str, Any]
) -> None:
    seen_running: list[tuple[str, float]] = []
    release = threading.Event()

    def halfway(ctx: JobContext) -> dict[str, Any]:
        ctx.progress(1, 2)
        # Wait until the heartbeat has written the progress (read back on this thread's connection).
        for _ in range(400):
            row = Job.objects.filter(pk=ctx.job_id).values_list("state", "progress").get()
            if row[1] == 0.5:
                seen_running.append(row)
                break
            release.wait(0.05)
        ctx.progress(2, 2)
        return {"done": True}

    jobs.register("test.halfway")(halfway)
    try:
        job = jobs.submit(kind="test.halfway", owner=personas["analyst"])
        assert job.state == "queued"
        jobs.wait_idle()
    finally:
        jobs._KINDS.pop("test.halfway", None)
    job.refresh_from_db()
    assert seen_running == [("running", 0.5)]
    assert job.state == "succeeded" and job.progress == 1.0 and job.result == {"done": True}
    assert job.worker.startswith(socket.gethostname() + ":")
    assert connection.vendor in ("sqlite", "postgresql")


@pytest.mark.django_db
def test_finished_jobs_are_counted_in_the_metrics(
    personas: dict[str, Any], test_kinds: dict[str, Any]
) -> None:
    from prometheus_client import REGISTRY

    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    ok_before = sample("clearinghouse_job_duration_seconds_count", kind="test.count", outcome="succeeded")
    failed_before = sample("clearinghouse_job_failures_total", kind="test.crash")
    jobs.run_inline(kind="test.count", owner=personas["coordinator"], params={"n": 1})
    with pytest.raises(RuntimeError):
        jobs.run_inline(kind="test.crash", owner=personas["coordinator"], params={})
    assert sample("clearinghouse_job_duration_seconds_count", kind="test.count", outcome="succeeded") == (
        ok_before + 1
    )
    assert sample("clearinghouse_job_failures_total", kind="test.crash") == failed_before + 1
