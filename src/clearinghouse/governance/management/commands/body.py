"""`clearinghouse body list|show`: the bodies that decide, with today's members and leads (the same
answer as `GET /api/v1/bodies`)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandParser

from clearinghouse.core.commands import ClearinghouseCommand
from clearinghouse.core.errors import NotFound
from clearinghouse.governance.models import Body
from clearinghouse.governance.schemas import body_dict


class Command(ClearinghouseCommand):
    help = "Bodies (council, contact group, coalitions): members and leads today."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)
        ls = sub.add_parser("list", help="Every body.")
        ls.add_argument("--format", choices=("text", "json"), default="text")
        s = sub.add_parser("show", help="One body by its code (nac, udcg, coalition-...).")
        s.add_argument("code")
        s.add_argument("--format", choices=("text", "json"), default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        bodies = Body.objects.order_by("kind", "code")
        if options["sub"] == "show":
            bodies = bodies.filter(code=options["code"].lower())
            if not bodies.exists():
                raise NotFound(f"Body {options['code']!r} not found.")
        items = [body_dict(b) for b in bodies]
        if options["format"] == "json":
            answer: Any = items[0] if options["sub"] == "show" else {"items": items, "count": len(items)}
            self.stdout.write(json.dumps(answer, indent=2))
            return
        for b in items:
            self.stdout.write(
                f"{b['code']}\t{b['kind']}\t{b['procedure']}\t{len(b['members'])} members\t"
                f"leads {', '.join(b['leads']) or '-'}"
            )
