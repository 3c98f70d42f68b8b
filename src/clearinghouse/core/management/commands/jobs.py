"""`clearinghouse jobs show ID [--wait] | sweep`: background jobs, for the operator."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clearinghouse.core import jobs
from clearinghouse.core.choices import JobState
from clearinghouse.core.errors import NotFound
from clearinghouse.core.job_commands import wait_with_bar


class Command(BaseCommand):
    help = "Show a background job (as GET /api/v1/jobs/{id} does), or fail the jobs whose worker died."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)
        show = sub.add_parser("show", help="A job as JSON: id, kind, state, progress, result, error.")
        show.add_argument("job_id", type=int)
        show.add_argument("--wait", action="store_true", help="Follow it to its end with a progress bar.")
        sub.add_parser("sweep", help="Mark failed every queued or running job whose worker is gone.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["sub"] == "sweep":
            self.stdout.write(f"{jobs.sweep()} stale job(s) marked failed")
            return
        job_id = options["job_id"]
        try:
            job = jobs.operator_job(job_id=job_id)
        except NotFound:
            raise CommandError(f"no job {job_id}") from None
        if options["wait"] and not job.finished:
            job = wait_with_bar(self, job_id, label=job.kind)
        self.stdout.write(json.dumps(jobs.as_json(job), indent=2))
        if job.state == JobState.FAILED:
            raise CommandError(f"job {job.pk} failed")
