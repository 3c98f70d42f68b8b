"""`clearinghouse site ...`: list, create."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandParser

from clearinghouse.core.commands import ClearinghouseCommand
from clearinghouse.logistics import api as logistics_api
from clearinghouse.logistics import selectors, services


class Command(ClearinghouseCommand):
    help = "Sites (donor depots, logistics hubs, handover points, recipient units): list, create."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)
        ls = sub.add_parser("list", help="Sites (those the account may see with --as).")
        ls.add_argument("--kind", default=None)
        ls.add_argument("--format", choices=["table", "json"], default="table")
        ls.add_argument("--as", dest="as_user", metavar="USERNAME", default=None)
        cr = sub.add_parser("create", help="Add a site owned by the account's participant.")
        cr.add_argument("code")
        cr.add_argument("--name", required=True)
        cr.add_argument("--kind", required=True, help="depot, hub, handover or unit")
        cr.add_argument("--country", required=True, help="ISO 3166 alpha-3")
        cr.add_argument("--latitude", default=None)
        cr.add_argument("--longitude", default=None)
        cr.add_argument("--releasability", default="")
        cr.add_argument("--releasable-to", dest="releasable_to", default="")
        cr.add_argument("--notes", default="")
        cr.add_argument("--format", choices=["table", "json"], default="table")
        cr.add_argument("--as", dest="as_user", metavar="USERNAME", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, "do_" + options["sub"])(options)

    def do_list(self, options: dict[str, Any]) -> None:
        user = self.acting_user(options) if options["as_user"] else None
        qs = selectors.site_list(user=user, kind=options["kind"]) if user else _all(options["kind"])
        items = [logistics_api.site_out(s) for s in qs]
        if options["format"] == "json":
            self.stdout.write(json.dumps({"items": items, "count": len(items)}, indent=2, ensure_ascii=False))
            return
        for i in items:
            self.stdout.write(f"{i['code']}\t{i['kind']}\t{i['country']}\t{i['name']}\t{i['releasability']}")

    def do_create(self, options: dict[str, Any]) -> None:
        data = {
            k: options[k]
            for k in ("name", "kind", "country", "latitude", "longitude", "releasability", "notes")
        }
        data["code"] = options["code"]
        data["releasable_to"] = [c for c in options["releasable_to"].split(",") if c.strip()]
        site = services.create_site(actor=self.acting_user(options), data=data)
        out = logistics_api.site_out(site)
        if options["format"] == "json":
            self.stdout.write(json.dumps(out, indent=2, ensure_ascii=False))
        else:
            self.stdout.write(f"site {site.code} created")


def _all(kind: str | None) -> Any:
    from clearinghouse.logistics.models import Site

    qs = Site.objects.select_related("owner").order_by("code")
    return qs.filter(kind=kind) if kind else qs
