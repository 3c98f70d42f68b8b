"""`clearinghouse catalog list|load`: the item types, capability areas and reference prices."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandParser

from clearinghouse.catalog import selectors, services
from clearinghouse.core.audit import jsonable
from clearinghouse.core.commands import ClearinghouseCommand
from clearinghouse.core.humanize import count_of
from clearinghouse.core.money import money_text


class Command(ClearinghouseCommand):
    help = "List the catalog's item types, load the shipped catalog (idempotent) or revise a price."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)
        lst = sub.add_parser("list", help="List item types with their current reference price.")
        lst.add_argument("--format", choices=["table", "json"], default="table")
        lst.add_argument("--capability", default=None, help="Only this capability area (code).")
        load = sub.add_parser("load", help="Load catalog/data/*.csv (idempotent, audited).")
        load.add_argument("--as", dest="as_user", metavar="USERNAME", required=True)
        price = sub.add_parser("price", help="Revise a reference price: a new entry from a date (audited).")
        price.add_argument("item_type", metavar="ITEM_TYPE")
        price.add_argument("unit_value", metavar="UNIT_VALUE")
        price.add_argument("--currency", default="EUR")
        price.add_argument("--from", dest="valid_from", required=True, metavar="YYYY-MM-DD")
        price.add_argument("--source", required=True)
        price.add_argument("--as", dest="as_user", metavar="USERNAME", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["sub"] == "price":
            p = services.revise_price(
                actor=self.acting_user(options),
                item_type=options["item_type"],
                unit_value=options["unit_value"],
                currency=options["currency"],
                valid_from=options["valid_from"],
                source=options["source"],
            )
            self.stdout.write(
                f"{p.item_type.code}: {money_text(p.unit_value, p.currency)} {p.currency} "
                f"from {p.valid_from.isoformat()}"
            )
            return
        if options["sub"] == "load":
            counts = services.load_catalog(actor=self.acting_user(options))
            self.stdout.write(
                f"catalog: {counts['created']} created, {counts['updated']} updated, "
                f"{counts['unchanged']} unchanged"
            )
            return
        # Reference data, readable by every signed-in user: the CLI reads it as the system.
        items = []
        for item in selectors.item_type_list(
            user=_System(),  # type: ignore[arg-type]  # a stand-in reader, not a User
            capability=options["capability"],
        ):
            price = selectors.current_price(item)
            items.append(
                {
                    "code": item.code,
                    "name": item.name,
                    "capability": item.capability.code,
                    "unit": item.unit,
                    "family": item.family,
                    "unit_value": money_text(price.unit_value, price.currency) if price else None,
                    "currency": price.currency if price else None,
                    "price_source": price.source if price else None,
                    "price_date": jsonable(price.valid_from) if price else None,
                }
            )
        if options["format"] == "json":
            self.stdout.write(json.dumps({"items": items, "count": len(items)}, indent=2, ensure_ascii=False))
            return
        self.stdout.write(
            f"{'code':<18} {'capability':<27} {'unit':<12} {'family':<20} {'unit value':>18}  name"
        )
        for i in items:
            value = f"{i['unit_value']} {i['currency']}" if i["unit_value"] else "-"
            self.stdout.write(
                f"{i['code']:<18} {i['capability']:<27} {i['unit']:<12} {i['family']:<20} "
                f"{value:>18}  {i['name']}"
            )
        self.stdout.write(count_of(len(items), "item type"))


class _System:
    """A reader for CLI listings of reference data that every signed-in user may read."""

    is_authenticated = True
    is_superuser = False
    role = ""
    pk = None
