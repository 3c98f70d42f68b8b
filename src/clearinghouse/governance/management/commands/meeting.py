"""`clearinghouse meeting list|show|create`: the meetings of a body from the command line (the same
services as `/api/v1/meetings`)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandParser

from clearinghouse.core.commands import ClearinghouseCommand
from clearinghouse.core.errors import NotFound
from clearinghouse.governance import selectors, services
from clearinghouse.governance.models import Meeting
from clearinghouse.governance.schemas import meeting_dict


def _codes(value: str | None) -> list[str]:
    return [c for c in (value or "").replace(",", " ").split() if c]


class Command(ClearinghouseCommand):
    help = "Meetings of a body: list, show one, record one (the secretariat)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)
        ls = sub.add_parser("list", help="Meetings, latest first (as --as USER may see them).")
        ls.add_argument("--body", default=None)
        ls.add_argument("--as", dest="as_user", metavar="USERNAME", default=None)
        ls.add_argument("--format", choices=("text", "json"), default="text")
        s = sub.add_parser("show", help="Meeting ID with its agenda, chairs and attendance.")
        s.add_argument("id", type=int)
        s.add_argument("--as", dest="as_user", metavar="USERNAME", default=None)
        s.add_argument("--format", choices=("text", "json"), default="text")
        c = sub.add_parser("create", help="Record a meeting of BODY.")
        c.add_argument("body", help="Body code: nac, udcg, coalition-...")
        c.add_argument("--date", required=True, help="YYYY-MM-DD")
        c.add_argument("--title", required=True)
        c.add_argument(
            "--meeting-format", dest="meeting_format", default=None, help="in_person, virtual, hybrid"
        )
        c.add_argument("--place", default="")
        c.add_argument("--agenda", action="append", default=[], help="An agenda item (repeat the option)")
        c.add_argument("--chairs", default=None, help="Participant codes, e.g. GBR,DEU")
        c.add_argument("--attendance", default=None, help="Participant codes")
        c.add_argument("--source", default="")
        c.add_argument("--as", dest="as_user", metavar="USERNAME", required=True)
        c.add_argument("--format", choices=("text", "json"), default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        sub = options["sub"]
        reader = self.acting_user(options) if options.get("as_user") else None
        if sub == "create":
            meeting = services.create_meeting(
                actor=self.acting_user(options),
                data={
                    "body": options["body"],
                    "date": options["date"],
                    "title": options["title"],
                    "format": options["meeting_format"],
                    "place": options["place"],
                    "agenda": options["agenda"],
                    "chairs": _codes(options["chairs"]),
                    "attendance": _codes(options["attendance"]),
                    "source": options["source"],
                },
            )
            self._out([meeting_dict(meeting)], options)
            return
        # Without --as: the installation's operator, who reads every meeting.
        meetings = selectors.meeting_list(user=reader) if reader else Meeting.objects.select_related("body")
        if sub == "show":
            found = meetings.filter(pk=options["id"]).first()
            if found is None:
                raise NotFound(f"Meeting {options['id']} not found.")
            self._out([meeting_dict(found)], options)
            return
        if options["body"]:
            meetings = meetings.filter(body__code=options["body"].lower())
        items = [meeting_dict(m) for m in meetings.order_by("-date", "-pk")]
        if options["format"] == "json":
            self.stdout.write(json.dumps({"items": items, "count": len(items)}, indent=2))
            return
        self._out(items, options)

    def _out(self, items: list[dict[str, Any]], options: dict[str, Any]) -> None:
        if options["format"] == "json" and options["sub"] != "list":
            self.stdout.write(json.dumps(items[0], indent=2))
            return
        for m in items:
            self.stdout.write(f"{m['id']}\t{m['date']}\t{m['body']}\t{m['format']}\t{m['title']}")
