"""Reads of logistics for one user: sites, shipments (with the sites the user may not see withheld),
discrepancies, end-use checks, and what is where for an allocation, pledge or requirement."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from clearinghouse.core import clock
from clearinghouse.core.actors import Actor
from clearinghouse.core.errors import NotFound
from clearinghouse.logistics.choices import MOVING, VOID, Resolution, ShipmentState
from clearinghouse.logistics.models import EndUseCheck, Shipment, ShipmentEvent, Site

WITHHELD = "withheld"


def site_list(*, user: Actor, kind: str | None = None) -> QuerySet[Site]:
    qs: QuerySet[Site] = Site.objects.restrict(user, "view").select_related("owner")
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("code")


def visible_site_ids(user: Actor) -> set[int]:
    return set(Site.objects.restrict(user, "view").values_list("pk", flat=True))


def shipment_list(
    *,
    user: Actor,
    state: str | None = None,
    overdue: bool = False,
    capability: str | None = None,
    hub: str | None = None,
    discrepancy: bool = False,
    allocation: int | None = None,
    pledge: int | None = None,
    requirement: int | None = None,
) -> QuerySet[Shipment]:
    """Shipments the user may see, newest first; filters: state, overdue (on the way past the expected
    date), capability area, a hub (a site the user may see, at which an event was recorded), open
    discrepancies, an allocation, pledge or requirement."""
    qs: QuerySet[Shipment] = Shipment.objects.restrict(user, "view").select_related(
        "allocation__pledge__owner",
        "allocation__pledge__item_type",
        "allocation__requirement__capability",
        "from_site",
        "to_site",
    )
    if state:
        qs = qs.filter(state=state)
    if overdue:
        qs = qs.filter(state__in=(ShipmentState.PLANNED, *MOVING), expected_on__lt=clock.today())
    if capability:
        qs = qs.filter(allocation__requirement__capability__code=capability)
    if hub:
        site = Site.objects.restrict(user, "view").filter(code=hub.upper()).first()
        ids = ShipmentEvent.objects.filter(site=site).values("shipment_id") if site else []
        qs = qs.filter(Q(pk__in=ids) | Q(to_site=site) | Q(from_site=site)) if site else qs.none()
    if discrepancy:
        qs = qs.filter(discrepancy__gt=0, resolution=Resolution.NONE)
    if allocation:
        qs = qs.filter(allocation_id=allocation)
    if pledge:
        qs = qs.filter(allocation__pledge_id=pledge)
    if requirement:
        qs = qs.filter(allocation__requirement_id=requirement)
    return qs.distinct().order_by("-pk")


def get_shipment(*, user: Actor, shipment_id: int) -> Shipment:
    shipment = shipment_list(user=user).filter(pk=shipment_id).first()
    if shipment is None:
        raise NotFound("Shipment not found.")
    return shipment


def events_of(shipment: Shipment) -> list[ShipmentEvent]:
    return list(shipment.events.select_related("site").order_by("id"))


def site_code(site: Site | None, visible: set[int]) -> str | None:
    """A site's code, or "withheld" for a site the viewer may not see."""
    if site is None:
        return None
    return site.code if site.pk in visible else WITHHELD


def is_overdue(s: Shipment) -> bool:
    return bool(
        s.expected_on and s.state in (ShipmentState.PLANNED, *MOVING) and s.expected_on < clock.today()
    )


def shipment_dict(s: Shipment, visible: set[int], *, events: bool = False) -> dict[str, Any]:
    """A shipment as the API and the CLI give it."""
    out: dict[str, Any] = {
        "id": s.pk,
        "state": s.state,
        "allocation": s.allocation_id,
        "pledge": s.allocation.pledge_id,
        "requirement": s.allocation.requirement_id,
        "donor": s.allocation.pledge.owner.code,
        "item_type": s.allocation.pledge.item_type.code if s.allocation.pledge.item_type else None,
        "capability": s.allocation.requirement.capability.code,
        "quantity": s.quantity,
        "from_site": site_code(s.from_site, visible),
        "to_site": site_code(s.to_site, visible),
        "carrier": s.carrier,
        "reference": s.reference,
        "dispatched_on": s.dispatched_on,
        "expected_on": s.expected_on,
        "overdue": is_overdue(s),
        "received": s.received,
        "damaged": s.damaged,
        "received_on": s.received_on,
        "note": s.receipt_note,
        "delivery": s.delivery_id,
        "discrepancy": s.discrepancy if s.state == ShipmentState.RECEIVED else None,
        "resolution": s.resolution or None,
        "resolution_reason": s.resolution_reason,
        "replacement": s.replacement_id,
        "version": s.version,
    }
    if events:
        out["events"] = [
            {"state": e.state, "at": e.at, "site": site_code(e.site, visible), "source": e.source}
            for e in events_of(s)
        ]
    return out


def discrepancy_list(*, user: Actor, resolved: bool | None = False) -> QuerySet[Shipment]:
    """Received shipments with units short or damaged: open ones (default), resolved ones, or all."""
    qs = shipment_list(user=user).filter(state=ShipmentState.RECEIVED, discrepancy__gt=0)
    if resolved is True:
        qs = qs.exclude(resolution=Resolution.NONE)
    elif resolved is False:
        qs = qs.filter(resolution=Resolution.NONE)
    return qs


def end_use_checks(
    *, user: Actor, delivery: int | None = None, pledge: int | None = None
) -> QuerySet[EndUseCheck]:
    qs: QuerySet[EndUseCheck] = EndUseCheck.objects.restrict(user, "view").select_related(
        "delivery__allocation__pledge__owner", "created_by"
    )
    if delivery:
        qs = qs.filter(delivery_id=delivery)
    if pledge:
        qs = qs.filter(delivery__allocation__pledge_id=pledge)
    return qs


def end_use_dict(c: EndUseCheck) -> dict[str, Any]:
    return {
        "id": c.pk,
        "delivery": c.delivery_id,
        "pledge": c.delivery.allocation.pledge_id,
        "donor": c.delivery.allocation.pledge.owner.code,
        "checked_on": c.checked_on,
        "units_verified": c.units_verified,
        "finding": c.finding,
        "recorded_by": c.created_by.username if c.created_by else "",
    }


def units_by_requirement(*, user: Actor, requirement_ids: list[int]) -> dict[int, dict[str, Decimal]]:
    """For each requirement, in its own units (pledge units × the allocation's factor), what the
    shipments the user may see carry: shipped (dispatched or later, not lost or returned), in transit
    (on the way) and received (serviceable units received)."""
    out: dict[int, dict[str, Decimal]] = defaultdict(
        lambda: {"shipped": Decimal(0), "in_transit": Decimal(0), "received": Decimal(0)}
    )
    qs = (
        Shipment.objects.restrict(user, "view")
        .filter(allocation__requirement_id__in=requirement_ids)
        .exclude(state__in=(ShipmentState.PLANNED, *VOID))
        .values_list(
            "pk",
            "allocation__requirement_id",
            "allocation__factor",
            "state",
            "quantity",
            "received",
            "damaged",
        )
        .distinct()
    )
    for _, req, factor, state, quantity, received, damaged in qs:
        row = out[req]
        row["shipped"] += quantity * factor
        if state in MOVING:
            row["in_transit"] += quantity * factor
        elif state == ShipmentState.RECEIVED:
            row["received"] += ((received or 0) - (damaged or 0)) * factor
    return dict(out)
