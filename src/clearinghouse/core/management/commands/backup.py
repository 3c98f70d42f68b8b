"""`clearinghouse backup FILE`: a consistent online copy of the database and the audit checkpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from clearinghouse.core import backup
from clearinghouse.core.commands import ClearinghouseCommand


class Command(ClearinghouseCommand):
    help = (
        "Write a backup FILE while the app keeps running: the database (SQLite backup API, or pg_dump "
        "in custom format), the audit checkpoints and their public key, with a manifest."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, metavar="FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            done = backup.create(options["file"])
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"backup written to {options['file']}: {done.vendor}, {done.audit_events} audit events, "
            f"{done.checkpoints} checkpoints, {done.size} bytes"
        )
