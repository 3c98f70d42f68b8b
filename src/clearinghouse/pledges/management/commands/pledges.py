"""`clearinghouse pledges list|transition|allocate|deliver|confirm|offers|accept|servable`: pledges from
offer to delivery, and offers against requirements.

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
from clearinghouse.core.errors import RowErrors
from clearinghouse.core.humanize import count_of
from clearinghouse.core.money import money_text
from clearinghouse.pledges import offers, selectors, services
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
        lst.add_argument("--offered-against", type=int, help="only pledges offered against this requirement")
        offers_cmd = command("offers", "Offers against requirements that the account decides on.")
        offers_cmd.add_argument("--format", choices=["table", "json"], default="table")
        offers_cmd.add_argument("--donor", default=None)
        offers_cmd.add_argument("--status", default=None)
        offers_cmd.add_argument("--kind", default=None)
        offers_cmd.add_argument("--offered-against", type=int, default=None)
        accept = command("accept", "Accept several offered pledges at once, all or none.")
        accept.add_argument("pledge_ids", type=int, nargs="+")
        accept.add_argument("--reason", default="")
        servable = command("servable", "Open requirements a donor could serve, most urgent first.")
        servable.add_argument("--donor", help="the donor (the cell and admins; default: your own)")
        servable.add_argument("--format", choices=["table", "json"], default="table")
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
        elif sub == "accept":
            try:
                done = services.accept_pledges(
                    actor=user, pledge_ids=options["pledge_ids"], reason=options["reason"]
                )
            except RowErrors as exc:
                lines = [f"pledge {options['pledge_ids'][i]}: {e.message}" for i, e in exc.errors]
                raise CommandError("nothing accepted; " + "; ".join(lines)) from None
            self.stdout.write("accepted " + ", ".join(str(p.pk) for p in done))
        elif sub == "servable":
            rows = [
                offers.servable_json(s)
                for s in selectors.servable_requirements(
                    user=user, donor=offers.donor_for_view(user, options["donor"]).pk
                )
            ]
            if options["format"] == "json":
                self.stdout.write(json.dumps({"items": rows, "count": len(rows)}, indent=2, default=str))
                return
            for r in rows:
                self.stdout.write(
                    f"{r['requirement']:>6} {r['priority']:<9} {r['capability']:<16} "
                    f"short {r['shortfall']:>10} {r['unit']}  "
                    f"offer {r['suggested_quantity']} × {r['suggested_item']}"
                )
            self.stdout.write(count_of(len(rows), "requirement"))
        elif sub == "confirm":
            d = services.confirm_delivery(actor=user, delivery_id=options["delivery_id"])
            self.stdout.write(f"delivery {d.pk} confirmed")
        else:
            self._list(user, options)

    def _list(self, user: Actor, options: dict[str, Any]) -> None:
        if options["sub"] == "offers":
            pledges = selectors.offer_list(user=user)
        else:
            pledges = selectors.pledge_list(
                user=user,
                donor=options["donor"],
                status=options["status"],
                kind=options["kind"],
                offered_against=options["offered_against"],
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
                "offered_against": p.offered_against_id,
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
