"""`clearinghouse mandate list|handover`: who leads the coordination, and the incoming participant's
acceptance of an adopted handover decision (there is no handover without one)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import CommandError, CommandParser

from clearinghouse.core.commands import ClearinghouseCommand
from clearinghouse.governance import services
from clearinghouse.participants.models import CoordinationMandate


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--on: {value!r} is not a date (YYYY-MM-DD)") from None


class Command(ClearinghouseCommand):
    help = "List coordination mandates, or accept an adopted handover decision for the incoming participant."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)
        sub.add_parser("list")
        h = sub.add_parser(
            "handover",
            help="Accept the adopted handover decision DECISION (its TO's coordinator): the open "
            "mandate ends and TO's opens on its date.",
        )
        h.add_argument("to", help="Participant code, e.g. NATO")
        h.add_argument("--on", required=True, help="First day of the new mandate, YYYY-MM-DD")
        h.add_argument(
            "--decision",
            default=None,
            help="Required: the adopted handover decision (`decision list`; proposed with "
            "POST /api/v1/handovers)",
        )
        h.add_argument("--as", dest="as_user", metavar="USERNAME", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["sub"] == "list":
            for m in CoordinationMandate.objects.select_related("participant").order_by("function", "start"):
                role = f"{m.function}{' (co-chair)' if m.co_chair else ''}"
                self.stdout.write(f"{m.participant.code}\t{m.start}\t{m.end or 'open'}\t{role}")
            return
        actor = self.acting_user(options)
        new = services.hand_over(
            actor=actor, to=options["to"], on=_date(options["on"]), decision=options["decision"]
        )
        self.stdout.write(f"{new.participant.code} leads the coordination from {new.start}.")
