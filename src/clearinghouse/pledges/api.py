"""API routes of the pledges app: pledges, allocations, deliveries."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Body, Router
from ninja.pagination import paginate

from clearinghouse.core import idempotency
from clearinghouse.core.choices import Releasability
from clearinghouse.core.errors import RowErrors
from clearinghouse.core.etag import etag_for, tag_created
from clearinghouse.core.openapi import FILE_RESPONSES
from clearinghouse.core.pagination import LimitOffsetPagination
from clearinghouse.core.schemas import ErrorOut
from clearinghouse.core.validation import Id
from clearinghouse.pledges import offers, selectors, services, spreadsheets
from clearinghouse.pledges.choices import PledgeKind, PledgeStatus
from clearinghouse.pledges.models import Allocation, Delivery, Pledge
from clearinghouse.pledges.offers import servable_json
from clearinghouse.pledges.schemas import (
    AcceptIn,
    AcceptOut,
    AllocationIn,
    AllocationOut,
    AllocationPatch,
    DeliveryIn,
    DeliveryOut,
    DeliveryPatch,
    PledgeIn,
    PledgeOut,
    PledgePatch,
    ReleaseIn,
    ServableOut,
    TransitionIn,
)

pledges_router = Router(tags=["pledges"])
allocations_router = Router(tags=["allocations"])
deliveries_router = Router(tags=["deliveries"])

ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 412: ErrorOut, 422: ErrorOut}


def _if_match(request: HttpRequest) -> str | None:
    return request.headers.get("If-Match")


# --- pledges ---------------------------------------------------------------------------------------


def _pledge(request: HttpRequest, response: HttpResponse, pledge_id: Id) -> Pledge:
    pledge = selectors.get_pledge(user=request.user, pledge_id=pledge_id)
    response["ETag"] = etag_for(pledge)
    return pledge


@pledges_router.get("", response=list[PledgeOut])
@paginate(LimitOffsetPagination)
def list_pledges(
    request: HttpRequest,
    donor: str | None = None,
    status: PledgeStatus | None = None,
    kind: PledgeKind | None = None,
    item_type: str | None = None,
    capability: str | None = None,
    releasability: Releasability | None = None,
    q: str | None = None,
    offered_against: Id | None = None,
) -> QuerySet[Pledge]:
    """Pledges you may see, newest first; filter by donor, status, kind, item type, capability, marking,
    and the requirement they were offered against."""
    return selectors.pledge_list(
        offered_against=offered_against,
        user=request.user,
        donor=donor,
        status=status,
        kind=kind,
        item_type=item_type,
        capability=capability,
        releasability=releasability,
        q=q,
    )


@pledges_router.post("", response={201: PledgeOut, **ERRORS})
def create_pledge(request: HttpRequest, payload: PledgeIn) -> JsonResponse:
    """Offer a pledge for your own participant (donor officers). `Idempotency-Key` makes retries safe."""

    def create() -> tuple[int, dict[str, Any]]:
        created = services.create_pledge(actor=request.user, data=payload.dict())
        pledge = selectors.get_pledge(user=request.user, pledge_id=created.pk)
        return 201, idempotency.to_json(PledgeOut.from_orm(pledge).model_dump())

    return tag_created(idempotency.run(request, create), "pledges.pledge")


@pledges_router.get("/offers", response=list[PledgeOut])
@paginate(LimitOffsetPagination)
def list_offers(request: HttpRequest, status: PledgeStatus | None = PledgeStatus.OFFERED) -> QuerySet[Pledge]:
    """Pledges offered against requirements that you decide on (the recipient: against its own
    requirements; the cell: every offer it sees), still offered unless `status` says otherwise."""
    return selectors.offer_list(user=request.user, status=status)


@pledges_router.post("/accept", response={200: AcceptOut, **ERRORS})
def accept_pledges(request: HttpRequest, payload: AcceptIn) -> Any:
    """Accept several offered pledges at once, all or none: a refused one answers 422 with `errors`,
    one per refused pledge (`index` in `pledges`, `pledge`, `field`, `detail`), and nothing is accepted."""
    try:
        accepted = services.accept_pledges(
            actor=request.user, pledge_ids=payload.pledges, reason=payload.reason
        )
    except RowErrors as exc:
        return JsonResponse(
            {
                "detail": exc.message,
                "field": "pledges",
                "errors": [
                    {
                        "index": i,
                        "pledge": payload.pledges[i],
                        "field": e.field or f"pledges.{i}",
                        "status": e.status,
                        "detail": e.message,
                    }
                    for i, e in exc.errors
                ],
            },
            status=422,
        )
    return {"accepted": [p.pk for p in accepted]}


@pledges_router.get("/servable-requirements", response={200: list[ServableOut], 403: ErrorOut, 422: ErrorOut})
def servable_requirements(request: HttpRequest, donor: str | None = None) -> list[dict[str, Any]]:
    """Open requirements that accept an item type the donor (yours; the cell and admins may name one)
    has pledged before, most urgent first: priority, then the largest shortfall."""
    return [
        servable_json(s)
        for s in selectors.servable_requirements(
            user=request.user, donor=offers.donor_for_view(request.user, donor).pk
        )
    ]


@pledges_router.get("/export", response={200: None, 422: ErrorOut}, openapi_extra=FILE_RESPONSES)
def export_pledges(request: HttpRequest, format: str = "csv", hxl: bool = False) -> HttpResponse:
    """Every pledge you may see as a `csv` or `xlsx` file, in the import's columns (re-imports cleanly);
    `hxl=true`: the CSV with the HXL hashtag row under the header."""
    content, content_type, name = spreadsheets.export_file(user=request.user, fmt=format, hxl=hxl)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@pledges_router.get("/{pledge_id}", response={200: PledgeOut, 404: ErrorOut})
def get_pledge(request: HttpRequest, response: HttpResponse, pledge_id: Id) -> Pledge:
    """One pledge; the `ETag` header is what a later PATCH sends as `If-Match`."""
    return _pledge(request, response, pledge_id)


@pledges_router.patch("/{pledge_id}", response={200: PledgeOut, **ERRORS})
def update_pledge(
    request: HttpRequest, response: HttpResponse, pledge_id: Id, payload: PledgePatch
) -> Pledge:
    """Change some fields of your own pledge; it is valued again. A stale `If-Match` gets 412."""
    services.update_pledge(
        actor=request.user,
        pledge_id=pledge_id,
        changes=payload.dict(exclude_unset=True),
        if_match=_if_match(request),
    )
    return _pledge(request, response, pledge_id)


@pledges_router.post("/{pledge_id}/transition", response={200: PledgeOut, **ERRORS})
def transition_pledge(
    request: HttpRequest, response: HttpResponse, pledge_id: Id, payload: TransitionIn
) -> Pledge:
    """Move a pledge along offered → accepted → committed → in_delivery → delivered (or withdrawn,
    declined). The cell accepts and declines; the donor withdraws; an illegal move gets 409."""
    services.transition_pledge(
        actor=request.user,
        pledge_id=pledge_id,
        to=payload.to,
        if_match=_if_match(request),
        reason=payload.reason,
    )
    return _pledge(request, response, pledge_id)


# --- allocations -----------------------------------------------------------------------------------


def _allocation(request: HttpRequest, response: HttpResponse, allocation_id: Id) -> Allocation:
    allocation = selectors.get_allocation(user=request.user, allocation_id=allocation_id)
    response["ETag"] = etag_for(allocation)
    return allocation


@allocations_router.get("", response=list[AllocationOut])
@paginate(LimitOffsetPagination)
def list_allocations(
    request: HttpRequest,
    pledge: Id | None = None,
    requirement: Id | None = None,
    donor: str | None = None,
    source: str | None = None,
) -> QuerySet[Allocation]:
    """Allocations whose pledge and requirement you may both see."""
    return selectors.allocation_list(
        user=request.user, pledge=pledge, requirement=requirement, donor=donor, source=source
    )


@allocations_router.post("", response={201: AllocationOut, **ERRORS})
def create_allocation(request: HttpRequest, payload: AllocationIn) -> JsonResponse:
    """Allocate units of an in-kind pledge to a requirement (the coordination cell)."""

    def create() -> tuple[int, dict[str, Any]]:
        created = services.allocate(
            actor=request.user,
            pledge_id=payload.pledge,
            requirement_id=payload.requirement,
            quantity=payload.quantity,
            notes=payload.notes,
        )
        allocation = selectors.get_allocation(user=request.user, allocation_id=created.pk)
        return 201, idempotency.to_json(AllocationOut.from_orm(allocation).model_dump())

    return tag_created(idempotency.run(request, create), "pledges.allocation")


@allocations_router.get("/{allocation_id}", response={200: AllocationOut, 404: ErrorOut})
def get_allocation(request: HttpRequest, response: HttpResponse, allocation_id: Id) -> Allocation:
    """One allocation."""
    return _allocation(request, response, allocation_id)


@allocations_router.patch("/{allocation_id}", response={200: AllocationOut, **ERRORS})
def update_allocation(
    request: HttpRequest, response: HttpResponse, allocation_id: Id, payload: AllocationPatch
) -> Allocation:
    """Change an allocation's quantity (not below what was delivered) or notes (the coordination cell);
    an optional `reason` is kept in the audit chain."""
    changes = payload.dict(exclude_unset=True)
    reason = changes.pop("reason", "")
    services.update_allocation(
        actor=request.user,
        allocation_id=allocation_id,
        changes=changes,
        if_match=_if_match(request),
        reason=reason,
    )
    return _allocation(request, response, allocation_id)


@allocations_router.post("/{allocation_id}/release", response={200: AllocationOut, 204: None, **ERRORS})
def release_allocation(
    request: HttpRequest, response: HttpResponse, allocation_id: Id, payload: Body[ReleaseIn | None] = None
) -> Allocation | HttpResponse:
    """Give back the undelivered units (the cell); 204 when nothing was delivered and it is gone. An
    optional body `{"reason": "..."}` is kept in the audit chain."""
    reason = payload.reason if payload is not None else ""
    if services.release_allocation(actor=request.user, allocation_id=allocation_id, reason=reason) is None:
        return HttpResponse(status=204)
    return _allocation(request, response, allocation_id)


# --- deliveries ------------------------------------------------------------------------------------


def _delivery(request: HttpRequest, response: HttpResponse, delivery_id: Id) -> Delivery:
    delivery = selectors.get_delivery(user=request.user, delivery_id=delivery_id)
    response["ETag"] = etag_for(delivery)
    return delivery


@deliveries_router.get("", response=list[DeliveryOut])
@paginate(LimitOffsetPagination)
def list_deliveries(
    request: HttpRequest,
    allocation: Id | None = None,
    pledge: Id | None = None,
    requirement: Id | None = None,
    confirmed: bool | None = None,
) -> QuerySet[Delivery]:
    """Deliveries you may see, in date order."""
    return selectors.delivery_list(
        user=request.user, allocation=allocation, pledge=pledge, requirement=requirement, confirmed=confirmed
    )


@deliveries_router.post("", response={201: DeliveryOut, **ERRORS})
def create_delivery(request: HttpRequest, payload: DeliveryIn) -> JsonResponse:
    """Record a (partial) delivery against an allocation (the donor's officers or the cell)."""

    def create() -> tuple[int, dict[str, Any]]:
        created = services.record_delivery(
            actor=request.user,
            allocation_id=payload.allocation,
            quantity=payload.quantity,
            delivered_on=payload.delivered_on,
            notes=payload.notes,
        )
        delivery = selectors.get_delivery(user=request.user, delivery_id=created.pk)
        return 201, idempotency.to_json(DeliveryOut.from_orm(delivery).model_dump())

    return tag_created(idempotency.run(request, create), "pledges.delivery")


@deliveries_router.get("/{delivery_id}", response={200: DeliveryOut, 404: ErrorOut})
def get_delivery(request: HttpRequest, response: HttpResponse, delivery_id: Id) -> Delivery:
    """One delivery."""
    return _delivery(request, response, delivery_id)


@deliveries_router.patch("/{delivery_id}", response={200: DeliveryOut, **ERRORS})
def update_delivery(
    request: HttpRequest, response: HttpResponse, delivery_id: Id, payload: DeliveryPatch
) -> Delivery:
    """Correct an unconfirmed delivery (quantity, date) or any delivery's notes."""
    services.update_delivery(
        actor=request.user,
        delivery_id=delivery_id,
        changes=payload.dict(exclude_unset=True),
        if_match=_if_match(request),
    )
    return _delivery(request, response, delivery_id)


@deliveries_router.post("/{delivery_id}/confirm", response={200: DeliveryOut, **ERRORS})
def confirm_delivery(request: HttpRequest, response: HttpResponse, delivery_id: Id) -> Delivery:
    """Confirm receipt (the recipient's officers)."""
    services.confirm_delivery(actor=request.user, delivery_id=delivery_id)
    return _delivery(request, response, delivery_id)
