"""`clearinghouse decision propose|position|close|show|list`: a body's decisions from the command line."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandParser

from clearinghouse.core.commands import ClearinghouseCommand
from clearinghouse.core.errors import NotFound
from clearinghouse.governance import services
from clearinghouse.governance.models import Decision
from clearinghouse.governance.schemas import decision_dict


def _format(parser: CommandParser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text")


class Command(ClearinghouseCommand):
    help = "Propose a decision of a body, record a member's position, close it, show it."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)
        p = sub.add_parser("propose", help="Open a decision of BODY.")
        p.add_argument("body", help="Body code: nac, udcg, coalition-...")
        p.add_argument("title")
        p.add_argument("--procedure", default=None, help="consensus, silence or majority")
        p.add_argument("--deadline", default=None, help="YYYY-MM-DD (required for silence)")
        p.add_argument("--subject", default=None)
        p.add_argument("--subject-ref", dest="subject_ref", default=None)
        p.add_argument("--subject-participant", dest="subject_participant", default=None)
        p.add_argument(
            "--requirements",
            default=None,
            help="Ids of the requirements to endorse, comma-separated (subject `requirements`)",
        )
        p.add_argument("--as", dest="as_user", metavar="USERNAME", required=True)
        _format(p)
        pos = sub.add_parser("position", help="Record PARTICIPANT's POSITION on decision ID.")
        pos.add_argument("id", type=int)
        pos.add_argument("participant")
        pos.add_argument("position", help="agree, object, abstain or exempt")
        pos.add_argument("--note", default="")
        pos.add_argument("--as", dest="as_user", metavar="USERNAME", required=True)
        _format(pos)
        c = sub.add_parser("close", help="Close decision ID under its procedure.")
        c.add_argument("id", type=int)
        c.add_argument("--as", dest="as_user", metavar="USERNAME", required=True)
        _format(c)
        s = sub.add_parser("show", help="Show decision ID with its positions.")
        s.add_argument("id", type=int)
        _format(s)
        ls = sub.add_parser("list", help="Decisions, latest first.")
        ls.add_argument("--body", default=None)
        _format(ls)

    def handle(self, *args: Any, **options: Any) -> None:
        sub = options["sub"]
        if sub == "list":
            items = [
                decision_dict(d) for d in Decision.objects.select_related("body").order_by("-created_at")
            ]
            if options["body"]:
                items = [d for d in items if d["body"] == options["body"]]
            if options["format"] == "json":
                self.stdout.write(json.dumps({"items": items, "count": len(items)}, indent=2))
            else:
                for d in items:
                    self.stdout.write(f"{d['id']}\t{d['body']}\t{d['status']}\t{d['title']}")
            return
        if sub == "show":
            decision = Decision.objects.select_related("body").filter(pk=options["id"]).first()
            if decision is None:
                raise NotFound(f"Decision {options['id']} not found.")
            self._out(decision_dict(decision), options)
            return
        actor = self.acting_user(options)
        if sub == "propose":
            data = {
                k: options[k]
                for k in (
                    "body",
                    "title",
                    "procedure",
                    "deadline",
                    "subject",
                    "subject_ref",
                    "subject_participant",
                    "requirements",
                )
                if options.get(k) is not None
            }
            decision = services.propose_decision(actor=actor, data=data)
        elif sub == "position":
            services.record_position(
                actor=actor,
                decision_id=options["id"],
                participant=options["participant"],
                position=options["position"],
                note=options["note"],
            )
            decision = Decision.objects.get(pk=options["id"])
        else:
            decision = services.close_decision(actor=actor, decision_id=options["id"])
        self._out(decision_dict(decision), options)

    def _out(self, data: dict[str, Any], options: dict[str, Any]) -> None:
        if options["format"] == "json":
            self.stdout.write(json.dumps(data, indent=2))
            return
        self.stdout.write(f"Decision {data['id']} of {data['body']}: {data['title']}")
        self.stdout.write(
            f"  {data['procedure']}, {data['status']}"
            + (f", deadline {data['deadline']}" if data["deadline"] else "")
        )
        for p in data["positions"]:
            self.stdout.write(
                f"  {p['participant']}: {p['position']}" + (f" ({p['note']})" if p["note"] else "")
            )
        if data["exempt"]:
            self.stdout.write(f"  exempt: {', '.join(data['exempt'])}")
        if data["requirements"]:
            self.stdout.write(f"  endorses requirements: {', '.join(str(r) for r in data['requirements'])}")
