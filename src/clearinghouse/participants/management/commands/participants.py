"""`clearinghouse participants list|load`."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandParser

from clearinghouse.core.commands import ClearinghouseCommand
from clearinghouse.participants import services
from clearinghouse.participants.models import Participant


class Command(ClearinghouseCommand):
    help = "List participants, or load the shipped reference data (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)
        lst = sub.add_parser("list")
        lst.add_argument("--format", choices=["table", "json"], default="table")
        sub.add_parser("load")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["sub"] == "load":
            counts = services.load_reference_data()
            self.stdout.write(f"participants: {counts['created']} created, {counts['updated']} updated")
            return
        rows = list(
            Participant.objects.order_by("kind", "name").values(
                "code", "name", "kind", "alliance_accession_year"
            )
        )
        if options["format"] == "json":
            self.stdout.write(json.dumps({"items": rows, "count": len(rows)}, indent=2))
        else:
            for r in rows:
                self.stdout.write(f"{r['code']:<5} {r['kind']:<18} {r['name']}")
