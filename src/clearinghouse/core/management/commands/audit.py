"""`clearinghouse audit verify`: recompute the audit chain."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from clearinghouse.core import audit
from clearinghouse.core.commands import ClearinghouseCommand


class Command(ClearinghouseCommand):
    help = "Verify the audit chain: exit 0 with the count, or non-zero naming the first broken event."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)
        sub.add_parser("verify", help="Recompute every hash and link.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit.verify()
        if not result.ok:
            raise CommandError(
                f"audit chain broken at event {result.broken_sequence}: {result.reason} "
                f"({result.checked} events before it verified)"
            )
        self.stdout.write(f"audit chain intact: {result.checked} events verified")
