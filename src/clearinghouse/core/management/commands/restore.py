"""`clearinghouse restore FILE`: bring a backup back into an empty database, its audit chain verified."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from clearinghouse.core import backup
from clearinghouse.core.commands import ClearinghouseCommand


class Command(ClearinghouseCommand):
    help = (
        "Restore a backup FILE into an empty database (refused otherwise), then verify the audit chain "
        "against the backup's checkpoints with this installation's signing key; a backup that does not "
        "verify is refused and the database left empty."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, metavar="FILE")
        parser.add_argument(
            "--public-key",
            type=Path,
            metavar="PEM",
            help="Check the checkpoints with this public key when the signing key is not installed "
            "(event seals then go unchecked).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["file"].is_file():
            raise CommandError(f"{options['file']}: no such file")
        try:
            done = backup.restore(options["file"], public_key=options.get("public_key"))
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"restored {options['file']}: {done.vendor}, audit chain intact: {done.audit_events} events "
            f"verified against {done.checkpoints} checkpoints"
        )
