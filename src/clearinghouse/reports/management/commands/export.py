"""`clearinghouse export iati --output FILE.xml [--participant ISO] [--release N]`: open data files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from clearinghouse.core.commands import ClearinghouseCommand
from clearinghouse.core.errors import NotFound
from clearinghouse.participants.models import Participant
from clearinghouse.reports import iati


class Command(ClearinghouseCommand):
    help = "Export the public figures in the field's formats (IATI 2.03 activities; docs/open-data.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)
        i = sub.add_parser(
            "iati", help="IATI 2.03 activities: one per donor-to-recipient programme, public figures only."
        )
        i.add_argument("--output", "-o", metavar="FILE", required=True, help="The XML file to write.")
        i.add_argument("--participant", metavar="ISO", help="Only this donor's programme (e.g. DEU).")
        i.add_argument("--release", type=int, metavar="N", help="A tracker release (default: the current).")

    def handle(self, *args: Any, **options: Any) -> None:
        code = (options.get("participant") or "").strip().upper() or None
        if code and not Participant.objects.filter(code=code).exists():
            raise CommandError(f"--participant: no participant {code!r}")
        try:
            data, counts = iati.export(participant=code, release_number=options.get("release"))
        except NotFound as exc:
            raise CommandError(exc.message) from None
        Path(options["output"]).write_bytes(data)
        self.stdout.write(
            f"Wrote {counts['activities']} IATI activities ({counts['transactions']} transactions) "
            f"to {options['output']}."
        )
