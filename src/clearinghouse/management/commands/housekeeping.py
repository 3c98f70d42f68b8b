"""`clearinghouse housekeeping [--dry-run]`: remove expired sessions, old idempotency records, expired
cache entries, clearing runs past their retention and old finished jobs (`clearinghouse.housekeeping`).

For cron (e.g. hourly); `clearinghouse worker` also runs it every CLEARINGHOUSE_HOUSEKEEPING_SECONDS.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from clearinghouse import housekeeping
from clearinghouse.clearing import services as clearing_services
from clearinghouse.core import clock
from clearinghouse.core.commands import ClearinghouseCommand


class Command(ClearinghouseCommand):
    help = (
        "Remove expired sessions, old idempotency records, expired cache entries, clearing runs past "
        "their retention (adopted runs kept) and old finished jobs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Only list the clearing runs the retention rule lets go."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["dry_run"]:
            from django.conf import settings

            ids = clearing_services.prunable_runs(
                now=clock.now(), days=settings.RUN_RETENTION_DAYS, keep_latest=settings.RUN_KEEP_LATEST
            )
            self.stdout.write(f"{len(ids)} clearing runs past retention: {ids}")
            return
        outcome = housekeeping.run()
        self.stdout.write(f"Housekeeping removed {outcome.line()}.")
