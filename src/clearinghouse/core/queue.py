"""The Celery side of background jobs: the app, its one task, and the worker (`clearinghouse worker`).

Imported only when `CLEARINGHOUSE_BROKER_URL` is set. The task carries nothing but the job's id:
the job's kind, owner, parameters and uploaded file are in the database (`core.models.Job`), so
any worker on any host that reaches the same database and broker can run it. Results live in the
database too: Celery keeps none (`task_ignore_result`).
"""

from __future__ import annotations

import functools
from typing import Any

from celery import Celery
from celery.signals import worker_ready
from django.db import close_old_connections, connection

from clearinghouse.core import jobs

TASK_NAME = "clearinghouse.run_job"


@functools.cache
def app() -> Celery:
    """The Celery app on the configured broker, its default queue `CLEARINGHOUSE_JOB_QUEUE`."""
    celery = Celery("clearinghouse", broker=jobs.broker_url(), set_as_current=False)
    celery.conf.update(
        task_default_queue=jobs.queue_name(),
        task_ignore_result=True,
        # A job is picked up by one worker and not handed to another if that worker dies: the job
        # is then reported failed (core.jobs), and the person who started it decides what next.
        task_acks_late=False,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=5,
        task_serializer="json",
        accept_content=["json"],
    )
    celery.task(name=TASK_NAME)(run_job)
    return celery


def run_job(job_id: int) -> None:
    """The one Celery task: run the job `job_id` (see `core.jobs.execute`)."""
    close_old_connections()
    try:
        jobs.execute(int(job_id), reraise=False)
    finally:
        connection.close()


def enqueue(job_id: int) -> None:
    """Put the job on the broker's queue."""
    app().send_task(TASK_NAME, args=[job_id], queue=jobs.queue_name())


def ping(timeout: float = 2.0) -> None:
    """Raise if the broker cannot be reached."""
    with app().connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=timeout)


@worker_ready.connect  # type: ignore[untyped-decorator]  # celery has no annotations
def _housekeeping(**_: Any) -> None:
    jobs.start_housekeeping()


def run_worker(*, concurrency: int | None, pool: str, loglevel: str) -> None:
    """Start a Celery worker on the job queue (blocks until it stops)."""
    argv = ["worker", "--queues", jobs.queue_name(), "--pool", pool, "--loglevel", loglevel]
    if concurrency:
        argv += ["--concurrency", str(concurrency)]
    app().worker_main(argv)
