"""API routes of logistics: sites, shipments (events, receipt, resolution), discrepancies, end-use checks."""

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from ninja import Router, Status
from ninja.pagination import paginate

from clearinghouse.core import idempotency
from clearinghouse.core.etag import tag_created
from clearinghouse.core.pagination import LimitOffsetPagination
from clearinghouse.core.schemas import ErrorOut
from clearinghouse.core.validation import Id, Line
from clearinghouse.logistics import selectors, services
from clearinghouse.logistics.choices import ShipmentState, SiteKind
from clearinghouse.logistics.models import Site
from clearinghouse.logistics.schemas import (
    EndUseCheckIn,
    EndUseCheckOut,
    EventIn,
    ReceiptIn,
    ResolutionIn,
    ShipmentIn,
    ShipmentOut,
    SiteIn,
    SiteOut,
)

sites_router = Router(tags=["logistics"])
shipments_router = Router(tags=["logistics"])
discrepancies_router = Router(tags=["logistics"])
end_use_router = Router(tags=["logistics"])

ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class Shown:
    """A queryset shown as dicts, one page at a time (what the paginator slices and counts)."""

    def __init__(self, qs: QuerySet[Any], show: Callable[[Any], dict[str, Any]]) -> None:
        self.qs, self.show = qs, show

    def __len__(self) -> int:
        return int(self.qs.count())

    def __getitem__(self, page: slice) -> list[dict[str, Any]]:
        return [self.show(x) for x in self.qs[page]]


def site_out(site: Site) -> dict[str, Any]:
    return {
        "id": site.pk,
        "code": site.code,
        "name": site.name,
        "kind": site.kind,
        "country": site.country,
        "latitude": str(site.latitude) if site.latitude is not None else None,
        "longitude": str(site.longitude) if site.longitude is not None else None,
        "owner": site.owner.code,
        "releasability": site.releasability,
        "notes": site.notes,
    }


@sites_router.get("", response=list[SiteOut])
def list_sites(request: HttpRequest, kind: SiteKind | None = None) -> list[dict[str, Any]]:
    """Depots, hubs, handover points and units you may see (a confidential hub only to whom it is
    releasable)."""
    return [site_out(s) for s in selectors.site_list(user=request.user, kind=kind)]


@sites_router.post("", response={201: SiteOut, **ERRORS})
def create_site(request: HttpRequest, payload: SiteIn) -> Status[Any]:
    """Add a site, owned by your participant (donor and recipient officers, the coordination cell)."""
    site = services.create_site(actor=request.user, data=payload.dict())
    return Status(201, site_out(site))


def _shipment(request: HttpRequest, shipment_id: int) -> dict[str, Any]:
    shipment = selectors.get_shipment(user=request.user, shipment_id=shipment_id)
    return selectors.shipment_dict(shipment, selectors.visible_site_ids(request.user), events=True)


@shipments_router.get("", response=list[ShipmentOut])
@paginate(LimitOffsetPagination)
def list_shipments(
    request: HttpRequest,
    state: ShipmentState | None = None,
    overdue: bool = False,
    capability: Line | None = None,
    hub: Line | None = None,
    discrepancy: bool = False,
    allocation: Id | None = None,
    pledge: Id | None = None,
    requirement: Id | None = None,
) -> Shown:
    """Shipments you may see, newest first: `state=in_transit`, `overdue=true` (on the way past the
    expected date), by capability area, by hub, with an open discrepancy, of an allocation, pledge or
    requirement. Sites you may not see are given as "withheld"."""
    visible = selectors.visible_site_ids(request.user)
    qs = selectors.shipment_list(
        user=request.user,
        state=state,
        overdue=overdue,
        capability=capability,
        hub=hub,
        discrepancy=discrepancy,
        allocation=allocation,
        pledge=pledge,
        requirement=requirement,
    )
    return Shown(qs, lambda s: selectors.shipment_dict(s, visible))


@shipments_router.post("", response={201: ShipmentOut, **ERRORS})
def create_shipment(request: HttpRequest, payload: ShipmentIn) -> JsonResponse:
    """Ship units of an allocation (the pledge's donor officers, the coordination cell); more than the
    allocation's units not yet shipped is a 409 naming what is left. `Idempotency-Key` makes retries
    safe."""

    def create() -> tuple[int, dict[str, Any]]:
        shipment = services.create_shipment(actor=request.user, data=payload.dict())
        return 201, idempotency.to_json(_shipment(request, shipment.pk))

    return tag_created(idempotency.run(request, create), "logistics.shipment")


@shipments_router.get("/{shipment_id}", response={200: ShipmentOut, 404: ErrorOut})
def get_shipment(request: HttpRequest, shipment_id: Id) -> dict[str, Any]:
    """One shipment, with its events."""
    return _shipment(request, shipment_id)


@shipments_router.post("/{shipment_id}/events", response={200: ShipmentOut, **ERRORS})
def create_event(request: HttpRequest, shipment_id: Id, payload: EventIn) -> dict[str, Any]:
    """A shipment reached a state (the pledge's donor officers, the cell); going back in the order
    planned → dispatched → in_transit → at_hub → handed_over → received is a 409."""
    services.record_event(
        actor=request.user, shipment_id=shipment_id, state=payload.state, at=payload.at, site=payload.site
    )
    return _shipment(request, shipment_id)


@shipments_router.post("/{shipment_id}/receipt", response={200: ShipmentOut, **ERRORS})
def record_receipt(request: HttpRequest, shipment_id: Id, payload: ReceiptIn) -> dict[str, Any]:
    """The recipient's officers record units received and damaged: `delivery` is the delivery made of
    the serviceable units (received − damaged), `discrepancy` is quantity − (received − damaged)."""
    services.record_receipt(
        actor=request.user,
        shipment_id=shipment_id,
        received=payload.received,
        damaged=payload.damaged,
        received_on=payload.received_on,
        note=payload.note,
    )
    return _shipment(request, shipment_id)


@shipments_router.post("/{shipment_id}/resolution", response={200: ShipmentOut, **ERRORS})
def resolve(request: HttpRequest, shipment_id: Id, payload: ResolutionIn) -> dict[str, Any]:
    """Resolve a discrepancy: `replacement` (a new planned shipment of the missing units) or
    `write_off` with a reason (the pledge's donor officers, the cell)."""
    services.resolve_discrepancy(actor=request.user, shipment_id=shipment_id, **payload.dict())
    return _shipment(request, shipment_id)


@discrepancies_router.get("", response=list[ShipmentOut])
@paginate(LimitOffsetPagination)
def list_discrepancies(request: HttpRequest, resolved: bool = False) -> Shown:
    """Received shipments short or damaged: open ones (default) or `resolved=true`."""
    visible = selectors.visible_site_ids(request.user)
    qs = selectors.discrepancy_list(user=request.user, resolved=resolved)
    return Shown(qs, lambda s: selectors.shipment_dict(s, visible))


@end_use_router.get("", response=list[EndUseCheckOut])
@paginate(LimitOffsetPagination)
def list_end_use_checks(request: HttpRequest, delivery: Id | None = None, pledge: Id | None = None) -> Shown:
    """End-use checks of delivered units: the donor's own, and all to the cell and auditors."""
    qs = selectors.end_use_checks(user=request.user, delivery=delivery, pledge=pledge)
    return Shown(qs, selectors.end_use_dict)


@end_use_router.post("", response={201: EndUseCheckOut, **ERRORS})
def create_end_use_check(request: HttpRequest, payload: EndUseCheckIn) -> Status[Any]:
    """Record an end-use check of a delivery (the pledge's donor officers)."""
    check = services.record_end_use_check(
        actor=request.user,
        delivery_id=payload.delivery,
        checked_on=payload.checked_on,
        units_verified=payload.units_verified,
        finding=payload.finding,
    )
    return Status(201, selectors.end_use_dict(selectors.end_use_checks(user=request.user).get(pk=check.pk)))
