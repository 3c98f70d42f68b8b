"""`clearinghouse mandate list|propose|handover`: who leads the coordination, the secretariat's proposal
of a handover (a body's consensus decision), and the incoming participant's acceptance of the adopted
decision (there is no handover without one)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import CommandError, CommandParser

from clearinghouse.core.commands import ClearinghouseCommand
from clearinghouse.governance import services
from clearinghouse.governance.schemas import handover_dict
from clearinghouse.participants.models import CoordinationMandate


def _date(value: str, option: str = "--on") -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option}: {value!r} is not a date (YYYY-MM-DD)") from None


class Command(ClearinghouseCommand):
    help = "List coordination mandates, or accept an adopted handover decision for the incoming participant."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)
        sub.add_parser("list")
        p = sub.add_parser(
            "propose",
            help="Open BODY's consensus decision to hand the delivery coordination to TO from --effective.",
        )
        p.add_argument("to", help="Participant code of the incoming coordinator, e.g. NATO")
        p.add_argument("--body", required=True, help="The deciding body, e.g. nac")
        p.add_argument("--effective", required=True, help="First day of the new mandate, YYYY-MM-DD")
        p.add_argument("--title", default="")
        p.add_argument("--format", choices=["text", "json"], default="text")
        p.add_argument("--as", dest="as_user", metavar="USERNAME", required=True)
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
        if options["sub"] == "propose":
            handover = services.propose_handover(
                actor=actor,
                body=options["body"],
                to=options["to"],
                effective=_date(options["effective"], "--effective"),
                title=options["title"],
            )
            if options["format"] == "json":
                self.stdout.write(json.dumps(handover_dict(handover)))
            else:
                self.stdout.write(
                    f"Handover to {handover.to_participant.code} from {handover.effective} proposed as "
                    f"decision {handover.decision_id} of {options['body']}."
                )
            return
        new = services.hand_over(
            actor=actor, to=options["to"], on=_date(options["on"]), decision=options["decision"]
        )
        self.stdout.write(f"{new.participant.code} leads the coordination from {new.start}.")
