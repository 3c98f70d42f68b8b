"""`clearinghouse pledges list|transition|allocate|deliver|confirm`: pledges from offer to delivery.

Every subcommand acts as the account named by `--as` and is held to its permissions and its view.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import CommandError, CommandParser

from clearinghouse.core.actors import Actor
from clearinghouse.core.audit import jsonable
from clearinghouse.core.commands import ClearinghouseCommand
from clearinghouse.core.humanize import count_of
from clearinghouse.core.money import money_text
from clearinghouse.pledges import selectors, services
from clearinghouse.pledges.choices import PledgeKind, PledgeStatus


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD)") from None


class Command(ClearinghouseCommand):
    help = "List pledges, move them along their lifecycle, allocate them, record and confirm deliveries."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)

        def command(name: str, help_text: str) -> CommandParser:
            p = sub.add_parser(name, help=help_text)
            p.add_argument("--as", dest="as_user", metavar="USERNAME", required=True)
            return p

        lst = command("list", "Pledges the account may see, newest first.")
        lst.add_argument("--format", choices=["table", "json"], default="table")
        lst.add_argument("--donor")
        lst.add_argument("--status", choices=PledgeStatus.values)
        lst.add_argument("--kind", choices=PledgeKind.values)
        move = command("transition", "Move a pledge, e.g. `transition 12 accepted`.")
        move.add_argument("pledge_id", type=int)
        move.add_argument("to", choices=PledgeStatus.values)
        move.add_argument(
            "--reason", default="", help="why (required to decline or withdraw); kept in the audit chain"
        )
        allocate = command("allocate", "Allocate units of a pledge to a requirement (the coordination cell).")
        allocate.add_argument("pledge_id", type=int)
        allocate.add_argument("requirement_id", type=int)
        allocate.add_argument("quantity", type=int)
        deliver = command("deliver", "Record a delivery against an allocation.")
        deliver.add_argument("allocation_id", type=int)
        deliver.add_argument("quantity", type=int)
        deliver.add_argument("--on", required=True, help="Delivery date, YYYY-MM-DD")
        confirm = command("confirm", "Confirm receipt of a delivery (the recipient's officers).")
        confirm.add_argument("delivery_id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        user = self.acting_user(options)
        sub = options["sub"]
        if sub == "transition":
            p = services.transition_pledge(
                actor=user, pledge_id=options["pledge_id"], to=options["to"], reason=options["reason"]
            )
            self.stdout.write(f"pledge {p.pk} is {p.status}")
        elif sub == "allocate":
            a = services.allocate(
                actor=user,
                pledge_id=options["pledge_id"],
                requirement_id=options["requirement_id"],
                quantity=options["quantity"],
            )
            self.stdout.write(
                f"allocation {a.pk}: {a.quantity} of pledge {a.pledge_id} to {a.requirement_id}"
            )
        elif sub == "deliver":
            d = services.record_delivery(
                actor=user,
                allocation_id=options["allocation_id"],
                quantity=options["quantity"],
                delivered_on=_date(options["on"]),
            )
            self.stdout.write(f"delivery {d.pk}: {d.quantity} on {d.delivered_on}")
        elif sub == "confirm":
            d = services.confirm_delivery(actor=user, delivery_id=options["delivery_id"])
            self.stdout.write(f"delivery {d.pk} confirmed")
        else:
            self._list(user, options)

    def _list(self, user: Actor, options: dict[str, Any]) -> None:
        pledges = selectors.pledge_list(
            user=user, donor=options["donor"], status=options["status"], kind=options["kind"]
        )
        items = [
            {
                "id": p.pk,
                "external_ref": p.external_ref,
                "donor": p.owner.code,
                "kind": p.kind,
                "status": p.status,
                "item_type": p.item_type.code if p.item_type else None,
                "quantity": p.quantity,
                "value_amount": None if p.value_amount is None else money_text(p.value_amount, p.currency),
                "currency": p.currency,
                "value_eur": None if p.value_eur is None else money_text(p.value_eur, "EUR"),
                "fx_date": jsonable(p.fx_date),
                "available_from": jsonable(p.available_from),
                "releasability": p.releasability,
                "allocated_quantity": p.allocated_quantity,
                "delivered_quantity": p.delivered_quantity,
                "illustrative": p.illustrative,
            }
            for p in pledges
        ]
        if options["format"] == "json":
            self.stdout.write(json.dumps({"items": items, "count": len(items)}, indent=2))
            return
        for i in items:
            what = f"{i['quantity']} {i['item_type']}" if i["kind"] == PledgeKind.IN_KIND else "financial"
            self.stdout.write(
                f"{i['id']:>6} {i['donor']:<5} {i['status']:<12} {what:<24} "
                f"{i['value_amount']:>18} {i['currency']} = {i['value_eur']:>18} EUR  {i['external_ref']}"
                + ("  [illustrative]" if i["illustrative"] else "")
            )
        self.stdout.write(count_of(len(items), "pledge"))
