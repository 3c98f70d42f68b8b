"""`clearinghouse shipment ...`: create, event, receive, list, import (a carrier's status file)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from clearinghouse.core.commands import ClearinghouseCommand
from clearinghouse.core.tabular import ImportErrors
from clearinghouse.logistics import carrier, selectors, services
from clearinghouse.logistics.models import Shipment, Site


def _fmt(parser: Any) -> None:
    parser.add_argument("--format", choices=["table", "json"], default="table")


class Command(ClearinghouseCommand):
    help = "Shipments of allocations' units: create, event, receive, list, import a carrier's status file."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)
        cr = sub.add_parser("create", help="Plan a shipment of an allocation's units.")
        cr.add_argument("--allocation", required=True)
        cr.add_argument("--quantity", required=True)
        cr.add_argument("--from", dest="from_site", required=True)
        cr.add_argument("--to", dest="to_site", required=True)
        cr.add_argument("--carrier", default="")
        cr.add_argument("--reference", default="")
        cr.add_argument("--dispatched-on", dest="dispatched_on", default=None)
        cr.add_argument("--expected-on", dest="expected_on", default=None)
        ev = sub.add_parser("event", help="A shipment reached a state.")
        ev.add_argument("shipment", type=int)
        ev.add_argument("--state", required=True)
        ev.add_argument("--at", default=None, help="ISO 8601 date and time (default: now)")
        ev.add_argument("--site", default=None)
        rc = sub.add_parser("receive", help="Record a receipt: units received and damaged.")
        rc.add_argument("shipment", type=int)
        rc.add_argument("--received", required=True)
        rc.add_argument("--damaged", default="0")
        rc.add_argument("--received-on", dest="received_on", default=None)
        rc.add_argument("--note", default="")
        ls = sub.add_parser("list", help="Shipments (those the account may see with --as).")
        ls.add_argument("--state", default=None)
        ls.add_argument("--overdue", action="store_true")
        ls.add_argument("--discrepancy", action="store_true")
        im = sub.add_parser("import", help="Apply a carrier's status file (reference, state, at, site).")
        im.add_argument("file")
        for p, required in ((cr, True), (ev, True), (rc, True), (ls, False), (im, True)):
            _fmt(p)
            p.add_argument("--as", dest="as_user", metavar="USERNAME", required=required)

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, "do_" + options["sub"])(options)

    def _show(self, user: Any, shipment_id: int, options: dict[str, Any]) -> None:
        s = selectors.get_shipment(user=user, shipment_id=shipment_id)
        data = selectors.shipment_dict(s, selectors.visible_site_ids(user), events=True)
        if options["format"] == "json":
            self.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False))
            return
        line = f"shipment {s.pk}: {s.quantity} units, {s.state}"
        if s.state == "received":
            line += f"; delivery {s.delivery_id or '—'}, discrepancy {s.discrepancy}"
        self.stdout.write(line)

    def do_create(self, options: dict[str, Any]) -> None:
        user = self.acting_user(options)
        keys = ("allocation", "quantity", "from_site", "to_site", "carrier", "reference")
        data = {k: options[k] for k in (*keys, "dispatched_on", "expected_on")}
        shipment = services.create_shipment(actor=user, data=data)
        self._show(user, shipment.pk, options)

    def do_event(self, options: dict[str, Any]) -> None:
        user = self.acting_user(options)
        services.record_event(
            actor=user,
            shipment_id=options["shipment"],
            state=options["state"],
            at=options["at"],
            site=options["site"],
        )
        self._show(user, options["shipment"], options)

    def do_receive(self, options: dict[str, Any]) -> None:
        user = self.acting_user(options)
        services.record_receipt(
            actor=user,
            shipment_id=options["shipment"],
            received=options["received"],
            damaged=options["damaged"],
            received_on=options["received_on"],
            note=options["note"],
        )
        self._show(user, options["shipment"], options)

    def do_list(self, options: dict[str, Any]) -> None:
        user = self.acting_user(options) if options["as_user"] else None
        if user is not None:
            qs = selectors.shipment_list(
                user=user,
                state=options["state"],
                overdue=options["overdue"],
                discrepancy=options["discrepancy"],
            )
            visible = selectors.visible_site_ids(user)
        else:
            qs = _all(options)
            visible = set(Site.objects.values_list("pk", flat=True))
        items = [selectors.shipment_dict(s, visible) for s in qs]
        if options["format"] == "json":
            self.stdout.write(json.dumps({"items": items, "count": len(items)}, indent=2, default=str))
            return
        for i in items:
            self.stdout.write(
                f"{i['id']}\t{i['state']}\t{i['quantity']}\t{i['from_site']} → {i['to_site']}"
                f"\t{i['carrier']} {i['reference']}\texpected {i['expected_on'] or '—'}"
                + ("\tOVERDUE" if i["overdue"] else "")
            )

    def do_import(self, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        try:
            summary = carrier.import_carrier_file(actor=self.acting_user(options), path=path)
        except ImportErrors as exc:
            raise CommandError("\n".join(exc.lines)) from exc
        if options["format"] == "json":
            self.stdout.write(json.dumps(summary))
        else:
            self.stdout.write(f"{summary['file']}: {summary['events']} events recorded")


def _all(options: dict[str, Any]) -> Any:
    """Every shipment (the operator's console), with the same filters."""
    from clearinghouse.core import clock
    from clearinghouse.logistics.choices import MOVING, ShipmentState

    qs = Shipment.objects.select_related(
        "allocation__pledge__owner",
        "allocation__pledge__item_type",
        "allocation__requirement__capability",
        "from_site",
        "to_site",
    ).order_by("-pk")
    if options["state"]:
        qs = qs.filter(state=options["state"])
    if options["overdue"]:
        qs = qs.filter(state__in=(ShipmentState.PLANNED, *MOVING), expected_on__lt=clock.today())
    if options["discrepancy"]:
        qs = qs.filter(discrepancy__gt=0, resolution="")
    return qs
