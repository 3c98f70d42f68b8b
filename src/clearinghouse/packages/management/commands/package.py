"""`clearinghouse package create|transition|contract|show|list`: packages from the command line, in
the API's JSON shape with `--format json`."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError, CommandParser

from clearinghouse.core.commands import ClearinghouseCommand
from clearinghouse.packages import selectors, services
from clearinghouse.packages.models import Package


def _format(parser: CommandParser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text")


def _as(parser: CommandParser, required: bool) -> None:
    parser.add_argument(
        "--as",
        dest="as_user",
        metavar="USERNAME",
        required=required,
        help="Account to act as (audited)" + ("" if required else "; reads what it may see"),
    )


def _pairs(values: list[str], flag: str, keys: tuple[str, ...]) -> list[dict[str, str]]:
    """`A:B:C` arguments as dicts (e.g. --item ITEM_TYPE:QUANTITY:UNIT_VALUE:CURRENCY)."""
    out = []
    for value in values:
        parts = value.split(":")
        if len(parts) != len(keys):
            raise CommandError(f"{flag}: {value!r} is not {':'.join(k.upper() for k in keys)}")
        out.append(dict(zip(keys, parts, strict=True)))
    return out


class Command(ClearinghouseCommand):
    help = "Create a jointly funded package, move it along its states, add contracts, show and list."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)
        c = sub.add_parser("create", help="Propose a package.")
        c.add_argument("title")
        c.add_argument(
            "--implementer", required=True, help="A participant's code (USA) or an agency's (NSPA)."
        )
        c.add_argument(
            "--item",
            action="append",
            default=[],
            metavar="ITEM_TYPE:QUANTITY:UNIT_VALUE:CURRENCY",
            required=True,
        )
        c.add_argument("--funder", action="append", default=[], metavar="PARTICIPANT:AMOUNT:CURRENCY")
        c.add_argument("--releasability", default="coordination")
        c.add_argument("--value-date", dest="value_date", default=None, help="YYYY-MM-DD (default today)")
        _as(c, True)
        _format(c)
        t = sub.add_parser("transition", help="Move package ID to a state.")
        t.add_argument("id", type=int)
        t.add_argument("to", help="funded, contracted, delivering, completed or cancelled")
        t.add_argument("--reason", default="", help="Required to cancel.")
        _as(t, True)
        _format(t)
        k = sub.add_parser("contract", help="Add a contract with its delivery schedule to package ID.")
        k.add_argument("id", type=int)
        k.add_argument("--supplier", required=True)
        k.add_argument("--value", required=True)
        k.add_argument("--currency", required=True)
        k.add_argument("--signed", required=True, help="YYYY-MM-DD")
        k.add_argument("--schedule", action="append", default=[], metavar="YYYY-MM:ITEM_TYPE:QUANTITY")
        _as(k, True)
        _format(k)
        s = sub.add_parser("show", help="Show package ID.")
        s.add_argument("id", type=int)
        _as(s, False)
        _format(s)
        ls = sub.add_parser("list", help="Packages.")
        ls.add_argument("--state", default=None)
        _as(ls, False)
        _format(ls)

    def handle(self, *args: Any, **options: Any) -> None:
        sub = options["sub"]
        if sub in ("show", "list"):
            # Without --as, the operator of the installation reads every package (like other read
            # commands); with it, what that account may see.
            reader = self.acting_user(options) if options.get("as_user") else None
            if sub == "list":
                qs = (
                    selectors.package_list(user=reader, state=options["state"])
                    if reader
                    else Package.objects.order_by("pk")
                )
                if reader is None and options["state"]:
                    qs = qs.filter(state=options["state"])
                items = [selectors.package_dict(p) for p in qs]
                if options["format"] == "json":
                    self.stdout.write(json.dumps({"items": items, "count": len(items)}, indent=2))
                else:
                    for d in items:
                        self.stdout.write(
                            f"{d['id']}\t{d['state']}\t{d['implementer']}\t{d['funded_amount_eur']}/"
                            f"{d['price_eur']} EUR\t{d['title']}"
                        )
                return
            if reader is None:
                package = Package.objects.filter(pk=options["id"]).first()
                if package is None:
                    raise CommandError(f"Package {options['id']} not found.")
            else:
                package = selectors.get_package(user=reader, package_id=options["id"])
            self._out(selectors.package_dict(package), options)
            return
        actor = self.acting_user(options)
        if sub == "create":
            data = {
                "title": options["title"],
                "implementer": options["implementer"],
                "items": _pairs(
                    options["item"], "--item", ("item_type", "quantity", "unit_value", "currency")
                ),
                "funders": _pairs(options["funder"], "--funder", ("participant", "amount", "currency")),
                "releasability": options["releasability"],
                "value_date": options["value_date"],
            }
            package_id = services.create_package(actor=actor, data=data).pk
        elif sub == "transition":
            package_id = options["id"]
            services.transition_package(
                actor=actor, package_id=package_id, to=options["to"], reason=options["reason"]
            )
        else:
            package_id = options["id"]
            services.add_contract(
                actor=actor,
                package_id=package_id,
                data={
                    "supplier": options["supplier"],
                    "value": options["value"],
                    "currency": options["currency"],
                    "signed": options["signed"],
                    "schedule": _pairs(options["schedule"], "--schedule", ("month", "item_type", "quantity")),
                },
            )
        self._out(selectors.package_dict(selectors.get_package(user=actor, package_id=package_id)), options)

    def _out(self, data: dict[str, Any], options: dict[str, Any]) -> None:
        if options["format"] == "json":
            self.stdout.write(json.dumps(data, indent=2))
            return
        self.stdout.write(f"Package {data['id']}: {data['title']} ({data['state']})")
        self.stdout.write(
            f"  implementer {data['implementer']}; price {data['price_eur']} EUR; funded "
            f"{data['funded_amount_eur']} EUR; short {data['shortfall_eur']} EUR"
        )
        for i in data["items"]:
            self.stdout.write(f"  item {i['item_type']}: {i['quantity']} × {i['unit_value']} {i['currency']}")
        for f in data["funders"]:
            who = f["participant"] or f"fund {f['fund']}"
            self.stdout.write(f"  funder {who}: {f['amount']} {f['currency']} ({f['amount_eur']} EUR)")
        for c in data["contracts"]:
            self.stdout.write(
                f"  contract {c['id']} with {c['supplier']}: {c['value']} {c['currency']}, "
                f"signed {c['signed']}"
            )
            for s in c["schedule"]:
                self.stdout.write(
                    f"    {s['month']}: {s['quantity']} × {s['item_type']} (delivered {s['delivered']})"
                )
