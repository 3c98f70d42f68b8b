"""`clearinghouse inbox --as USER [--format json]`: what waits for a user, as `GET /api/v1/inbox`."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandParser
from django.core.serializers.json import DjangoJSONEncoder

from clearinghouse.core.commands import ClearinghouseCommand
from clearinghouse.inbox import selectors


class Command(ClearinghouseCommand):
    help = "What waits for USER (the work queue of the home page and of GET /api/v1/inbox)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as", dest="as_user", metavar="USERNAME", required=True)
        parser.add_argument("--format", choices=("text", "json"), default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        user = self.acting_user(options)
        kinds = selectors.work_queue(user=user)
        data = selectors.work_queue_json(user=user, kinds=kinds)
        if options["format"] == "json":
            # Times as the API writes them (DjangoJSONEncoder: ISO 8601, milliseconds, Z).
            self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, cls=DjangoJSONEncoder))
            return
        if not data["items"]:
            self.stdout.write(f"Nothing waits for {user.get_username()}.")
            return
        for summary in kinds:
            self.stdout.write(f"{summary.label} ({summary.count})")
            for item in summary.items:
                self.stdout.write(f"  {item.since:%Y-%m-%d}  {item.title}  {item.url}")
        self.stdout.write(f"{data['count']} in all")
