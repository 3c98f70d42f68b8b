"""`clearinghouse worker`: a Celery worker that runs background jobs from the broker's queue."""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clearinghouse.core import jobs


class Command(BaseCommand):
    help = (
        "Run background jobs (imports, clearing runs) from the queue on CLEARINGHOUSE_BROKER_URL "
        "(e.g. redis://127.0.0.1:6379/0). Without a broker, the app servers run jobs themselves."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--concurrency", type=int, default=None, help="Jobs at once (default: CPUs).")
        parser.add_argument(
            "--pool", choices=["prefork", "threads", "solo"], default="prefork", help="Celery pool."
        )
        parser.add_argument("--loglevel", default="info", help="Celery's log level (default: info).")

    def handle(self, *args: Any, **options: Any) -> None:
        if not jobs.broker_url():
            raise CommandError(
                "no broker configured: set CLEARINGHOUSE_BROKER_URL (e.g. redis://127.0.0.1:6379/0) "
                "to run a worker; without one, the app server and the CLI run jobs in their own process"
            )
        from clearinghouse.core import queue

        # A line a tenth of the way through each job, and one at its start and end.
        logging.getLogger("clearinghouse.jobs").setLevel(logging.INFO)
        queue.run_worker(
            concurrency=options["concurrency"], pool=options["pool"], loglevel=options["loglevel"]
        )
