"""`clearinghouse audit verify|checkpoint|public-key`: prove the audit chain against its anchors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from clearinghouse.core import anchor, audit
from clearinghouse.core.commands import ClearinghouseCommand


class Command(ClearinghouseCommand):
    help = (
        "Verify the audit chain (hashes, seals, signed checkpoints, guard triggers), append a signed "
        "checkpoint of its head, or print the public key that checks the checkpoints."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)
        verify = sub.add_parser("verify", help="Exit 0 with the count, or non-zero naming the first problem.")
        verify.add_argument(
            "--checkpoints",
            type=Path,
            metavar="FILE",
            help="Checkpoint file to check against (default: the data dir's, CLEARINGHOUSE_CHECKPOINT_FILE).",
        )
        verify.add_argument(
            "--public-key",
            type=Path,
            metavar="PEM",
            help="Check checkpoint signatures with this public key instead of the local signing key "
            "(event seals then go unchecked).",
        )
        sub.add_parser("checkpoint", help="Sign the chain head and append it to the checkpoint file.")
        sub.add_parser("public-key", help="Print the public key (PEM) that checks the checkpoints.")

    def handle(self, *args: Any, **options: Any) -> None:
        sub = options["sub"]
        try:
            if sub == "checkpoint":
                mark = anchor.write_checkpoint()
                where = anchor.checkpoint_path()
                self.stdout.write(f"checkpoint written to {where}: {mark.sequence} events, head {mark.hash}")
                return
            if sub == "public-key":
                self.stdout.write(anchor.public_key_pem().rstrip())
                return
        except (anchor.AnchorError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        result = audit.verify(checkpoints=options.get("checkpoints"), public_key=options.get("public_key"))
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")
        if not result.ok:
            at = f"broken at event {result.broken_sequence}: " if result.broken_sequence else "fails: "
            raise CommandError(
                f"audit chain {at}{result.reason} ({result.checked} events before it verified)"
            )
        marks = f"{result.checkpoints} checkpoint" + ("" if result.checkpoints == 1 else "s")
        self.stdout.write(f"audit chain intact: {result.checked} events verified against {marks}")
