"""Background jobs on a real queue: Redis as the broker and `clearinghouse worker` as a real process.

The worker runs against this test's own database (SQLite file or PostgreSQL) and a queue of its own
on a Redis database of its own, so that parallel runs never take each other's jobs. Also: a worker
killed with SIGKILL in the middle of an import leaves the database exactly as before and its job
reads `failed`; the CLI's `--wait` follows a queued job with a progress bar; the upload page shows
the progress of a job run by the in-process worker.
"""

from __future__ import annotations

import csv
import io
import os
import queue as queue_module
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from clearinghouse.clearing.models import ClearingRun
from clearinghouse.core import jobs
from clearinghouse.core.models import AuditEvent, Job
from clearinghouse.pledges.models import Pledge
from clearinghouse.pledges.spreadsheets import COLUMNS as PLEDGE_COLUMNS
from clearinghouse.pledges.tests import factories

# CI's PostgreSQL pass exports the broker (.ci/run): then Redis must be there. Elsewhere (make test)
# these tests use a local Redis when one answers, on a database number of their own.
REQUIRED = bool(os.environ.get("CLEARINGHOUSE_BROKER_URL"))
REDIS_URL = os.environ.get("CLEARINGHOUSE_BROKER_URL") or "redis://127.0.0.1:6379/13"
KEYS = {"id", "kind", "state", "progress", "result", "error"}

pytestmark = pytest.mark.django_db(transaction=True)


def redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def pledge_csv(path: Path, n: int) -> Path:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(PLEDGE_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for i in range(n):
        writer.writerow(
            {
                "external_ref": f"Q-{i}",
                "donor": "USA",
                "kind": "in_kind",
                "item_type": "AMM-155-HE",
                "quantity": str(10 + i % 90),
                "unit_value": "3000.00",
                "amount": "",
                "currency": "EUR",
                "available_from": "2024-01-02",
                "releasability": "coordination",
                "notes": "",
            }
        )
    path.write_text(out.getvalue())
    return path


def database_url() -> str:
    """This test's database, for the worker process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """`clearinghouse worker` in a process of its own; its log lines are read as they come."""

    def __init__(self, queue_name: str) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CLEARINGHOUSE_DATA_DIR": str(settings.DATA_DIR),
            "CLEARINGHOUSE_BROKER_URL": REDIS_URL,
            "CLEARINGHOUSE_JOB_QUEUE": queue_name,
            "CLEARINGHOUSE_AUDIT_SIGNING_KEY_FILE": str(settings.CLEARINGHOUSE_AUDIT_SIGNING_KEY_FILE),
            "CLEARINGHOUSE_CHECKPOINT_FILE": str(settings.CLEARINGHOUSE_CHECKPOINT_FILE),
            "PYTHONUNBUFFERED": "1",
        }
        command = [sys.executable, "-m", "clearinghouse", "worker", "--pool", "solo", "--loglevel", "info"]
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.lines: queue_module.Queue[str] = queue_module.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for(re.compile(r"ready\."), what="the worker to be ready")

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip())

    def wait_for(self, pattern: re.Pattern[str], *, what: str, limit: float = 180) -> re.Match[str]:
        """The first log line matching `pattern` (a bounded wait for an event, not a timing)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.process.poll() is not None and self.lines.empty():
                break
            try:
                line = self.lines.get(timeout=0.5)
            except queue_module.Empty:
                continue
            self.log.append(line)
            match = pattern.search(line)
            if match:
                return match
        raise AssertionError(f"no sign of {what}; the worker said:\n" + "\n".join(self.log[-40:]))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def broker() -> Iterator[str]:
    """A queue of this test's own on the test Redis database, configured for this process."""
    if not redis_up():
        if REQUIRED:
            pytest.fail(f"no Redis at {REDIS_URL} (CI starts one: .ci/run)")
        pytest.skip(f"no Redis at {REDIS_URL}")
    from clearinghouse.core import queue

    name = f"clearinghouse-test-{uuid.uuid4().hex[:12]}"
    queue.app.cache_clear()
    with override_settings(CLEARINGHOUSE_BROKER_URL=REDIS_URL, CLEARINGHOUSE_JOB_QUEUE=name):
        yield name
    queue.app.cache_clear()


@pytest.fixture
def worker(broker: str, personas: dict[str, Any]) -> Iterator[Worker]:
    factories.ensure_catalog()
    process = Worker(broker)
    yield process
    process.stop()


def follow(client: Any, job_id: int) -> dict[str, Any]:
    """Poll the job through the API until it has finished (bounded)."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"/api/v1/jobs/{job_id}").json()
        assert set(body) == KEYS
        assert body["state"] in ("queued", "running", "succeeded", "failed")
        assert 0 <= body["progress"] <= 1
        if body["state"] in ("succeeded", "failed"):
            return body
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish")


def test_a_clearing_run_goes_through_redis_to_a_celery_worker(
    worker: Worker, personas: dict[str, Any], api_client: Any
) -> None:
    client = api_client(personas["coordinator"])
    response = client.post(
        "/api/v1/clearing/runs?async=true", {"name": "queued run"}, content_type="application/json"
    )
    assert response.status_code == 202
    started = response.json()
    assert set(started) == KEYS
    assert started["kind"] == "clearing.run" and started["state"] == "queued" and started["progress"] == 0
    done = follow(client, started["id"])
    assert done["state"] == "succeeded", done
    assert done["progress"] == 1 and done["error"] is None
    run = ClearingRun.objects.get(pk=done["result"]["run"])
    assert run.name == "queued run"
    # Audited as the owner, through the API, under the id of the request that started the job.
    event = AuditEvent.objects.get(object_id=str(run.pk), object_type__endswith="clearingrun")
    assert (event.actor, event.via, event.request_id) == ("coordinator", "api", response["X-Request-ID"])
    assert done["result"]["url"] == f"/clearing/runs/{run.pk}/"
    # The worker ran it, not this process.
    job = Job.objects.get(pk=started["id"])
    assert job.worker.split(":")[1] == str(worker.process.pid)
    worker.wait_for(re.compile(rf"job {job.pk} clearing\.run: succeeded"), what="the job's end")
    # The synchronous contract is unchanged.
    assert client.post("/api/v1/clearing/runs", {}, content_type="application/json").status_code == 201
    # Somebody else's job is not found; a refused start is refused at once, not queued.
    assert api_client(personas["donor_usa"]).get(f"/api/v1/jobs/{job.pk}").status_code == 404
    refused = api_client(personas["donor_usa"]).post(
        "/api/v1/clearing/runs?async=true", {}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert Job.objects.count() == 1


def test_the_cli_queues_an_import_and_waits_for_it_with_a_progress_bar(
    worker: Worker, personas: dict[str, Any], tmp_path: Path
) -> None:
    path = pledge_csv(tmp_path / "pledges.csv", 30)
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "pledges", str(path), "--as", "donor_usa", "--wait", stdout=out, stderr=err)
    assert (
        out.getvalue().strip()
        == "Imported 30 pledge rows from pledges.csv: 30 created, 0 updated, 0 unchanged."
    )
    assert "100/100" in err.getvalue()  # the bar reached its end
    assert Pledge.objects.filter(external_ref__startswith="Q-").count() == 30
    job = Job.objects.get()
    assert job.state == "succeeded" and job.kind == "import.pledges" and job.input_file == b""
    # Without --wait: the job's id, and the command returns.
    out = io.StringIO()
    call_command("import", "pledges", str(path), "--as", "donor_usa", stdout=out, stderr=io.StringIO())
    queued = Job.objects.latest("pk")
    assert out.getvalue().startswith(f"job {queued.pk} queued (import.pledges): ")
    out = io.StringIO()
    call_command("jobs", "show", str(queued.pk), "--wait", stdout=out, stderr=io.StringIO())
    assert '"state": "succeeded"' in out.getvalue()
    assert Job.objects.get(pk=queued.pk).result["unchanged"] == 30  # type: ignore[index]
    # A failing import: every error on stderr, a non-zero exit, nothing written.
    bad = pledge_csv(tmp_path / "bad.csv", 3)
    bad.write_text(bad.read_text().replace(",10,", ",ten,"))
    err = io.StringIO()
    with pytest.raises(
        CommandError, match=r"job \d+: bad.csv: .*nothing was imported|job \d+: bad.csv, row 2"
    ):
        call_command(
            "import", "pledges", str(bad), "--as", "donor_usa", "--wait", stdout=io.StringIO(), stderr=err
        )
    assert Pledge.objects.filter(external_ref__startswith="Q-").count() == 30


def test_a_worker_killed_mid_import_leaves_nothing_and_its_job_reads_failed(
    worker: Worker, personas: dict[str, Any], tmp_path: Path, api_client: Any
) -> None:
    path = pledge_csv(tmp_path / "big.csv", 4000)
    client = api_client(personas["donor_usa"])  # its token is audited: before the count
    pledges, events = Pledge.objects.count(), AuditEvent.objects.count()
    out = io.StringIO()
    call_command("import", "pledges", str(path), "--as", "donor_usa", stdout=out, stderr=io.StringIO())
    job = Job.objects.get()
    # The worker logs each tenth of the rows written: kill it once the writing has begun.
    match = worker.wait_for(
        re.compile(rf"job {job.pk} import\.pledges: (\d+)/(\d+)"), what="the import writing rows"
    )
    assert 0 < int(match.group(1)) < int(match.group(2))
    os.kill(worker.process.pid, signal.SIGKILL)
    worker.process.wait()
    body = client.get(f"/api/v1/jobs/{job.pk}").json()
    assert body["state"] == "failed"
    assert "stopped; nothing of the job was kept" in body["error"]
    assert body["result"] is None
    assert Pledge.objects.count() == pledges
    assert AuditEvent.objects.count() == events
    from clearinghouse.core import audit

    assert audit.verify().ok


def test_the_upload_page_shows_the_progress_of_a_job_run_in_process(
    personas: dict[str, Any], page_client: Any, tmp_path: Path
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    factories.ensure_catalog()
    content = pledge_csv(tmp_path / "twelve.csv", 12)
    upload = SimpleUploadedFile("twelve.csv", content.read_bytes(), content_type="text/csv")
    client = page_client(personas["donor_usa"])
    with override_settings(CLEARINGHOUSE_BROKER_URL=""):
        response = client.post("/import/", {"kind": "pledges", "file": upload, "background": "on"})
        jobs.wait_idle()
    assert response.status_code == 202
    page = response.content.decode()
    job = Job.objects.get()
    assert f'hx-get="/jobs/{job.pk}/"' in page and 'hx-trigger="every 1s"' in page
    assert "<progress" in page
    card = client.get(f"/jobs/{job.pk}/").content.decode()
    assert 'data-state="succeeded"' in card
    assert "hx-trigger" not in card  # finished: the card stops asking
    assert "Imported 12 pledge rows from twelve.csv: 12 created" in card
    assert Pledge.objects.filter(external_ref__startswith="Q-").count() == 12
    # Audited as the owner, through the page, under the id of the request that started the job.
    created = AuditEvent.objects.filter(object_type="pledges.pledge", action="create")
    assert created.count() == 12
    assert set(created.values_list("actor", "via", "request_id")) == {
        ("donor_usa", "page", response["X-Request-ID"])
    }
    # Somebody else's job: the 404 page.
    assert page_client(personas["donor_deu"]).get(f"/jobs/{job.pk}/").status_code == 404


def test_a_scenario_and_a_kiel_release_run_as_jobs_in_process(
    personas: dict[str, Any], api_client: Any
) -> None:
    from clearinghouse import jobs as job_kinds
    from clearinghouse.tracker.models import KielRelease
    from clearinghouse.tracker.tests.kiel_files import R29

    factories.ensure_catalog()
    client = api_client(personas["coordinator"])
    with override_settings(CLEARINGHOUSE_BROKER_URL=""):
        response = client.post(
            "/api/v1/clearing/scenarios?async=true",
            {"name": "without DEU", "exclude_donors": ["DEU"]},
            content_type="application/json",
        )
        kiel = jobs.submit(
            kind=job_kinds.IMPORT_KIEL, owner=personas["coordinator"], params={"directory": str(R29)}
        )
        jobs.wait_idle()
    assert response.status_code == 202
    scenario = client.get(f"/api/v1/jobs/{response.json()['id']}").json()
    assert scenario["kind"] == "clearing.scenario" and scenario["state"] == "succeeded", scenario
    run = ClearingRun.objects.get(pk=scenario["result"]["run"])
    assert (run.kind, run.name) == ("scenario", "without DEU")
    release = client.get(f"/api/v1/jobs/{kiel.pk}").json()
    assert release["state"] == "succeeded", release
    assert release["result"]["release"] == 29 and release["result"]["created"] is True
    assert KielRelease.objects.get(number=29).is_current
    # A scenario the service refuses when it runs: the job fails with the service's message.
    with override_settings(CLEARINGHOUSE_BROKER_URL=""):
        refused = client.post(
            "/api/v1/clearing/scenarios?async=true",
            {"exclude_donors": ["XXX"]},
            content_type="application/json",
        ).json()
        jobs.wait_idle()
    failed = client.get(f"/api/v1/jobs/{refused['id']}").json()
    assert failed["state"] == "failed" and failed["result"] is None
    assert "XXX" in failed["error"]
