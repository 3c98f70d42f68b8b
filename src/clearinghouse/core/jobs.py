"""Background jobs: long tasks (imports, clearing runs) run by a worker while the caller moves on.

A kind of job is a function registered here by name (`register`); the project registers its kinds
in `clearinghouse/jobs.py`. `submit` stores a `Job` and hands it to a worker: a Celery worker over
the broker when `CLEARINGHOUSE_BROKER_URL` is set (`clearinghouse worker`), else a thread pool in
this very process, so that the embedded default needs nothing else. `run_inline` runs one in the
caller's thread (the CLI without a broker, the synchronous API). Every path ends in `execute`.

The task's own service writes and audits, all or nothing in one transaction: a job that dies
mid-way leaves nothing half-written. It is then reported `failed`, never running forever: the
process running a job writes a heartbeat (from a thread of its own, so outside the task's
transaction), and a job is stale when its process is gone (same host: checked by process id and
start time) or, for a process on another host, when its heartbeat is older than
`CLEARINGHOUSE_JOB_STALE_SECONDS`. Staleness is checked on every read (`get_job`) and by a
housekeeping thread in every worker (`sweep`).
"""

from __future__ import annotations

import logging
import os
import socket
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, close_old_connections, connection, transaction

from clearinghouse.core import clock, metrics
from clearinghouse.core.choices import JobState
from clearinghouse.core.context import current_door, current_request_id_or_none, request_context
from clearinghouse.core.errors import DomainError, NotFound
from clearinghouse.core.models import Job

log = logging.getLogger("clearinghouse.jobs")

Task = Callable[["JobContext"], dict[str, Any]]
_KINDS: dict[str, Task] = {}


def register(kind: str) -> Callable[[Task], Task]:
    """Declare a kind of job: `task(ctx)` does the work as `ctx.owner` and returns the result (JSON)."""

    def decorate(task: Task) -> Task:
        _KINDS[kind] = task
        return task

    return decorate


def kinds() -> tuple[str, ...]:
    """The registered kinds of job."""
    return tuple(sorted(_KINDS))


# --- settings ---------------------------------------------------------------------------------------


def broker_url() -> str:
    """The Celery broker (`CLEARINGHOUSE_BROKER_URL`), or "" for the in-process worker."""
    return str(getattr(settings, "CLEARINGHOUSE_BROKER_URL", "") or "")


def queue_name() -> str:
    """The broker queue jobs go to (`CLEARINGHOUSE_JOB_QUEUE`, default "clearinghouse")."""
    return str(getattr(settings, "CLEARINGHOUSE_JOB_QUEUE", "") or "clearinghouse")


def heartbeat_seconds() -> float:
    return float(getattr(settings, "CLEARINGHOUSE_JOB_HEARTBEAT_SECONDS", 2.0))


def stale_seconds() -> float:
    return float(getattr(settings, "CLEARINGHOUSE_JOB_STALE_SECONDS", 60.0))


# --- who runs a job: host, process id and the process's start time ----------------------------------


def _start_ticks(pid: int) -> str | None:
    """The start time of process `pid` (Linux: /proc), so that a reused pid is a different process;
    None when there is no such live process (a zombie is dead)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return ""
    fields = stat.rsplit(")", 1)[-1].split()
    if fields and fields[0] in ("Z", "X"):
        return None
    return fields[19] if len(fields) > 19 else ""


def this_worker() -> str:
    """This process as a job's runner: host:pid:start."""
    return f"{socket.gethostname()}:{os.getpid()}:{_start_ticks(os.getpid()) or ''}"


def _process_gone(worker: str) -> bool | None:
    """True when the job's process is certainly gone, False when it is alive, None when it runs on
    another host (only the heartbeat can tell)."""
    host, _, rest = worker.partition(":")
    pid_text, _, start = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return None
    pid = int(pid_text)
    if not Path("/proc").is_dir():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    now = _start_ticks(pid)
    return now is None or bool(start and now and now != start)


# --- the context a task runs in ---------------------------------------------------------------------


@dataclass
class JobContext:
    """What a task gets: its job, owner and parameters, the uploaded file, a progress callback."""

    job_id: int
    kind: str
    owner: Any
    params: dict[str, Any]
    input_path: Path | None = None
    input_name: str = ""
    fraction: float = 0.0
    listeners: list[Callable[[int, int], None]] = field(default_factory=list)
    _logged_tenth: int = -1

    def progress(self, done: int, total: int) -> None:
        """Record progress (`done` of `total`); the heartbeat writes it, a tenth at a time is logged."""
        self.fraction = min(1.0, max(0.0, done / total)) if total else 0.0
        tenth = int(self.fraction * 10)
        if tenth != self._logged_tenth:
            self._logged_tenth = tenth
            log.info("job %s %s: %d/%d", self.job_id, self.kind, done, total)
        for listener in self.listeners:
            listener(done, total)


class JobFailure(Exception):
    """Why a job failed, as its `error` text (also what `run_inline(reraise=False)` raises)."""


def error_text(exc: BaseException) -> str:
    """A failure as one readable text: a domain error's message (and each row's error of an import)."""
    if isinstance(exc, DomainError):
        lines = getattr(exc, "lines", None)
        total = getattr(exc, "total", 1)
        if lines and total > 1:
            head = f"{getattr(exc, 'file', '')}: {total} errors; nothing was imported"
            return "\n".join([head, *lines])
        return exc.message
    return f"{type(exc).__name__}: {exc}"


# --- creating and handing out jobs ------------------------------------------------------------------


def _create(*, kind: str, owner: Any, params: dict[str, Any], input_name: str, input_bytes: bytes) -> Job:
    if kind not in _KINDS:
        raise DomainError(f"no such kind of job: {kind!r}", field="kind")
    door = current_door()
    context = {"request_id": current_request_id_or_none() or "", "via": door.via, "origin": door.origin}
    return Job.objects.create(
        kind=kind,
        owner=owner,
        params={**params, "_context": context},
        input_name=input_name,
        input_file=input_bytes,
    )


def submit(
    *,
    kind: str,
    owner: Any,
    params: dict[str, Any] | None = None,
    input_name: str = "",
    input_bytes: bytes = b"",
) -> Job:
    """Store a queued job and hand it to a worker once the caller's transaction commits."""
    job = _create(kind=kind, owner=owner, params=params or {}, input_name=input_name, input_bytes=input_bytes)
    if broker_url():
        from clearinghouse.core import queue

        transaction.on_commit(lambda: queue.enqueue(job.pk))
    else:
        # The in-process worker: this process runs it, so it is this process's to report if it dies.
        Job.objects.filter(pk=job.pk).update(worker=this_worker())
        transaction.on_commit(lambda: _pool().submit(_run_in_thread, job.pk))
    return job


def run_inline(
    *,
    kind: str,
    owner: Any,
    params: dict[str, Any] | None = None,
    input_name: str = "",
    input_bytes: bytes = b"",
    progress: Callable[[int, int], None] | None = None,
    reraise: bool = True,
) -> Job:
    """Run a job in the caller's thread, to its end; the task's exception propagates (`reraise`)
    after the job is marked failed, so callers keep their own error reporting."""
    job = _create(kind=kind, owner=owner, params=params or {}, input_name=input_name, input_bytes=input_bytes)
    execute(job.pk, listener=progress, reraise=reraise)
    job.refresh_from_db()
    return job


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    """The in-process worker: a small thread pool (`CLEARINGHOUSE_JOB_THREADS`, default 2)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            threads = int(getattr(settings, "CLEARINGHOUSE_JOB_THREADS", 2))
            _POOL = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="clearinghouse-job")
            # Jobs of an earlier life of this server (killed mid-way) are failed now, not left running.
            _POOL.submit(_sweep_in_thread)
        return _POOL


def _sweep_in_thread() -> None:
    try:
        sweep()
    except DatabaseError:
        log.warning("job sweep: the database did not answer")
    finally:
        connection.close()


def _run_in_thread(job_id: int) -> None:
    close_old_connections()
    try:
        execute(job_id, reraise=False)
    except Exception:  # the job is already marked failed; a pool thread has no one to tell
        log.exception("job %s: the worker thread failed", job_id)
    finally:
        connection.close()


def wait_idle() -> None:
    """Wait until the in-process worker has run every job handed to it (tests, `--wait`)."""
    global _POOL
    with _POOL_LOCK:
        pool, _POOL = _POOL, None
    if pool is not None:
        pool.shutdown(wait=True)


# --- running ----------------------------------------------------------------------------------------


def _claim(job_id: int) -> bool:
    """Move a queued job to running, by this process; False if it is not queued any more."""
    now = clock.now()
    return bool(
        Job.objects.filter(pk=job_id, state=JobState.QUEUED).update(
            state=JobState.RUNNING, started_at=now, heartbeat=now, worker=this_worker(), progress=0.0
        )
    )


def _finish(
    job_id: int, *, state: str, result: Any = None, error: str = "", progress: float | None = None
) -> None:
    values: dict[str, Any] = {
        "state": state,
        "result": result,
        "error": error,
        "finished_at": clock.now(),
        "input_file": b"",
    }
    if progress is not None:
        values["progress"] = progress
    Job.objects.filter(pk=job_id, state=JobState.RUNNING).update(**values)
    job = Job.objects.filter(pk=job_id).only("kind", "started_at", "finished_at").first()
    if job is not None and job.started_at is not None and job.finished_at is not None:
        seconds = (job.finished_at - job.started_at).total_seconds()
        metrics.observe_job(job.kind, seconds, state == JobState.SUCCEEDED)


class _Heartbeat(threading.Thread):
    """Writes the job's heartbeat and progress every few seconds, on its own database connection
    (outside the task's transaction, which would hide it until the end)."""

    def __init__(self, ctx: JobContext) -> None:
        super().__init__(name=f"clearinghouse-job-{ctx.job_id}-heartbeat", daemon=True)
        self.ctx = ctx
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(heartbeat_seconds()):
                try:
                    Job.objects.filter(pk=self.ctx.job_id, state=JobState.RUNNING).update(
                        heartbeat=clock.now(), progress=self.ctx.fraction
                    )
                except DatabaseError:
                    # SQLite: the task holds the only write lock until it commits. The process
                    # check (same host) still tells a live job from a dead one.
                    continue
        finally:
            connection.close()


@contextmanager
def _input_file(job: Job) -> Iterator[Path | None]:
    if not job.input_name:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="clearinghouse-job-") as tmp:
        path = Path(tmp) / f"input{Path(job.input_name).suffix.lower()}"
        path.write_bytes(bytes(job.input_file))
        yield path


def execute(
    job_id: int, *, listener: Callable[[int, int], None] | None = None, reraise: bool = False
) -> None:
    """Run a queued job here and now: claim it, run its task as its owner, store result or error."""
    if not _claim(job_id):
        log.info("job %s: not queued any more, not run", job_id)
        return
    job = Job.objects.get(pk=job_id)
    owner = get_user_model().objects.select_related("participant").get(pk=job.owner_id)
    params = dict(job.params)
    context = params.pop("_context", {}) or {}
    ctx = JobContext(job_id=job.pk, kind=job.kind, owner=owner, params=params, input_name=job.input_name)
    if listener is not None:
        ctx.listeners.append(listener)
    # Inside a caller's transaction (a test, a command run inside atomic) another connection
    # could not see the job: beat only when the job's row is committed.
    beat = None if connection.in_atomic_block else _Heartbeat(ctx)
    if beat is not None:
        beat.start()
    log.info("job %s %s: started by %s", job.pk, job.kind, owner)
    try:
        with (
            request_context(
                context.get("request_id") or f"job-{job.pk}",
                via=context.get("via") or "job",
                origin=context.get("origin", ""),
            ),
            _input_file(job) as path,
        ):
            ctx.input_path = path
            result = _KINDS[job.kind](ctx)
    except BaseException as exc:
        if beat is not None:
            beat.stopped.set()
            beat.join()
        text = error_text(exc)
        if not isinstance(exc, DomainError):
            log.error("job %s %s failed:\n%s", job.pk, job.kind, traceback.format_exc())
        _finish(job.pk, state=JobState.FAILED, error=text)
        log.info("job %s %s: failed: %s", job.pk, job.kind, text.splitlines()[0] if text else "")
        if reraise or not isinstance(exc, Exception):
            raise
        return
    if beat is not None:
        beat.stopped.set()
        beat.join()
    _finish(job.pk, state=JobState.SUCCEEDED, result=result, progress=1.0)
    log.info("job %s %s: succeeded", job.pk, job.kind)


# --- reading, and the stale-job sweep ---------------------------------------------------------------


def _stale_reason(job: Job, now: Any) -> str:
    """Why a queued or running job is dead ("" if it is not known to be)."""
    if job.state == JobState.RUNNING or (job.state == JobState.QUEUED and job.worker):
        gone = _process_gone(job.worker) if job.worker else None
        if gone:
            return f"the worker process ({job.worker.rsplit(':', 1)[0]}) stopped; nothing of the job was kept"
        if gone is None and job.state == JobState.RUNNING:
            limit = now - timedelta(seconds=stale_seconds())
            if job.heartbeat is None or job.heartbeat < limit:
                return (
                    f"no heartbeat from the worker ({job.worker.rsplit(':', 1)[0]}) for more than "
                    f"{stale_seconds():g} s; nothing of the job was kept"
                )
    return ""


def _fail_if_stale(job: Job, now: Any) -> bool:
    reason = _stale_reason(job, now)
    if not reason:
        return False
    changed = Job.objects.filter(pk=job.pk, state=job.state, worker=job.worker).update(
        state=JobState.FAILED, error=reason, finished_at=now, input_file=b""
    )
    if changed:
        log.warning("job %s %s: %s", job.pk, job.kind, reason)
    return bool(changed)


def sweep() -> int:
    """Mark failed every queued or running job whose worker is gone; how many were."""
    now = clock.now()
    jobs = Job.objects.filter(state__in=(JobState.QUEUED, JobState.RUNNING)).defer("input_file")
    return sum(_fail_if_stale(job, now) for job in jobs)


def get_job(*, user: Any, job_id: int) -> Job:
    """A job the user may see (its owner; coordinators, admins), its staleness checked first."""
    return _checked(Job.objects.restrict(user, "view").defer("input_file"), job_id)


def operator_job(*, job_id: int) -> Job:
    """Any job, for the operator at the command line (`clearinghouse jobs show`), staleness checked."""
    return _checked(Job.objects.defer("input_file"), job_id)


def _checked(qs: Any, job_id: int) -> Job:
    job = qs.filter(pk=job_id).first()
    if job is None:
        raise NotFound("No such job.")
    if not job.finished and _fail_if_stale(job, clock.now()):
        job = qs.get(pk=job_id)
    return job  # type: ignore[no-any-return]


def wait(job_id: int, *, on_progress: Callable[[float], None] | None = None, poll: float = 0.5) -> Job:
    """Follow a job until it has finished (or is found dead), reporting its progress as it goes."""
    stop = threading.Event()
    while True:
        job = operator_job(job_id=job_id)
        if on_progress is not None:
            on_progress(float(job.progress))
        if job.finished:
            return job
        stop.wait(poll)


def as_json(job: Job) -> dict[str, Any]:
    """The job as the API gives it (exact keys: id, kind, state, progress, result, error)."""
    return {
        "id": job.pk,
        "kind": job.kind,
        "state": job.state,
        "progress": round(float(job.progress), 4),
        "result": job.result,
        "error": job.error or None,
    }


_HOUSEKEEPING: threading.Thread | None = None
# Periodic work run by the housekeeping thread of `clearinghouse worker`: name -> (every seconds, task).
_PERIODIC: dict[str, tuple[float, Callable[[], Any]]] = {}
_PERIODIC_LAST: dict[str, float] = {}


def periodic(name: str, every: float, task: Callable[[], Any]) -> None:
    """Have every worker's housekeeping thread run `task` every `every` seconds (the project's
    `clearinghouse.housekeeping` registers itself so; idempotent tasks only: each worker runs it)."""
    _PERIODIC[name] = (every, task)


def run_periodic(now: float | None = None) -> list[str]:
    """Run the periodic tasks that are due (a failing one is logged and tried again next time)."""
    now = time.monotonic() if now is None else now
    ran = []
    for name, (every, task) in list(_PERIODIC.items()):
        last = _PERIODIC_LAST.get(name)
        if last is not None and now - last < every:
            continue
        _PERIODIC_LAST[name] = now
        try:
            task()
        except Exception:  # a periodic task never stops the thread: logged, tried again later
            log.exception("periodic task %s failed", name)
        ran.append(name)
    return ran


def start_housekeeping() -> None:
    """Sweep stale jobs every `CLEARINGHOUSE_JOB_STALE_SECONDS` / 2 in this process (`clearinghouse
    worker` starts it; an app server without a broker sweeps when its worker pool starts and on reads)."""
    global _HOUSEKEEPING
    if _HOUSEKEEPING is not None and _HOUSEKEEPING.is_alive():
        return

    def loop() -> None:
        while True:
            try:
                close_old_connections()
                sweep()
                run_periodic()
            except DatabaseError:
                log.warning("job sweep: the database did not answer; trying again later")
            finally:
                connection.close()
            threading.Event().wait(max(1.0, stale_seconds() / 2))

    _HOUSEKEEPING = threading.Thread(target=loop, name="clearinghouse-job-housekeeping", daemon=True)
    _HOUSEKEEPING.start()
