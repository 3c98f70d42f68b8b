"""Logistics services: sites, shipments and their events, receipts, discrepancies, end-use checks.
The only code that writes.

Lock order is that of the pledges services (pledge, requirement, allocation, delivery), then the
shipment: a receipt records its delivery through `pledges.services.record_delivery`, in the same
transaction, so counters, confirmations, shortfalls and reports see it as any other delivery.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any, cast

import pycountry
from django.db import IntegrityError, transaction
from django.db.models import Sum

from clearinghouse.core import audit, cleaning, clock
from clearinghouse.core.actors import Actor, is_signed_in, signed_in
from clearinghouse.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from clearinghouse.core.humanize import count_of
from clearinghouse.logistics.choices import (
    CLOSED,
    RANK,
    VOID,
    Resolution,
    ShipmentState,
    SiteKind,
)
from clearinghouse.logistics.models import EndUseCheck, Shipment, ShipmentEvent, Site
from clearinghouse.participants import cleaning as participant_cleaning
from clearinghouse.participants.permissions import (
    is_coordination_cell,
    is_donor_officer_of,
    is_recipient_officer_of,
)
from clearinghouse.pledges import services as pledge_services
from clearinghouse.pledges.models import Allocation, Delivery, Pledge

SHIPMENT_FIELDS = (
    "allocation",
    "quantity",
    "from_site",
    "to_site",
    "carrier",
    "reference",
    "dispatched_on",
    "expected_on",
)


def _site_after(site: Site) -> dict[str, Any]:
    after = audit.snapshot(site, exclude=("created_at", "releasable_to"))
    after["releasable_to"] = sorted(site.releasable_to.values_list("code", flat=True))
    return after


def _coordinate(value: Any, field: str, limit: int) -> Decimal | None:
    if cleaning.blank(value):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidInput(f"{field}: {value!r} is not a number", field=field) from None
    if not number.is_finite() or not -limit <= number <= limit:
        raise InvalidInput(f"{field}: must be between {-limit} and {limit}", field=field)
    return number.quantize(Decimal("0.000001"))


def create_site(*, actor: Actor, data: dict[str, Any]) -> Site:
    """A depot, hub, handover point or unit, owned by the actor's participant (donor or recipient
    officers, the coordination cell)."""
    if not is_signed_in(actor) or actor.participant_id is None:
        raise PermissionDenied("Only the officers of a participant and the coordination cell add sites.")
    if not (
        is_coordination_cell(actor)
        or is_donor_officer_of(actor, actor.participant_id)
        or is_recipient_officer_of(actor, actor.participant_id)
    ):
        raise PermissionDenied("Only donor and recipient officers and the coordination cell add sites.")
    cleaning.check_fields(
        data,
        (
            "code",
            "name",
            "kind",
            "country",
            "latitude",
            "longitude",
            "releasability",
            "releasable_to",
            "notes",
        ),
    )
    code = cleaning.text(data.get("code"), "code", max_length=40).strip().upper()
    if not code or not code.replace("-", "").replace("_", "").isalnum():
        raise InvalidInput("code: required, letters, digits, - and _", field="code")
    name = cleaning.text(data.get("name"), "name", max_length=200).strip()
    if not name:
        raise InvalidInput("name: required", field="name")
    kind = cleaning.choice(data.get("kind"), "kind", SiteKind)
    country = str(data.get("country") or "").strip().upper()
    if len(country) != 3 or pycountry.countries.get(alpha_3=country) is None:
        raise InvalidInput(f"country: {country!r} is not an ISO 3166 alpha-3 code", field="country")
    releasable_to = participant_cleaning.participants(data.get("releasable_to"), "releasable_to")
    with transaction.atomic():
        if Site.objects.filter(code=code).exists():
            raise Conflict(f"a site with code {code} already exists", field="code")
        site = Site.objects.create(
            code=code,
            name=name,
            kind=kind,
            country=country,
            latitude=_coordinate(data.get("latitude"), "latitude", 90),
            longitude=_coordinate(data.get("longitude"), "longitude", 180),
            notes=cleaning.text(data.get("notes"), "notes", max_length=10_000),
            owner_id=actor.participant_id,
            releasability=cleaning.releasability(data.get("releasability")),
            created_by=signed_in(actor),
        )
        if releasable_to:
            site.releasable_to.set(releasable_to)
        audit.record(actor=actor, action="create", obj=site, after=_site_after(site))
    return site


# --- shipments -------------------------------------------------------------------------------------


def _site(actor: Actor, value: Any, field: str, *, required: bool = True) -> Site | None:
    """A site the actor may see, by code."""
    if cleaning.blank(value):
        if required:
            raise InvalidInput(f"{field}: required", field=field)
        return None
    qs = Site.objects.restrict(actor, "view")
    text = str(value).strip()
    site = qs.filter(code=text.upper()).first() if text.isprintable() else None
    if site is None:
        raise NotFound(f"{field}: no site {text!r}", field=field)
    return cast("Site", site)


def carried(allocation_id: int, *, exclude: int = 0) -> int:
    """Units of an allocation that its shipments carry or carried: a shipment's quantity, its
    serviceable units once a replacement ships the rest, nothing once lost or returned; plus the
    units delivered without a shipment."""
    qs = Shipment.objects.filter(allocation_id=allocation_id).exclude(pk=exclude).exclude(state__in=VOID)
    total = 0
    for s in qs.only("quantity", "received", "damaged", "resolution", "state"):
        total += s.serviceable if s.resolution == Resolution.REPLACEMENT else s.quantity
    direct = (
        Delivery.objects.filter(allocation_id=allocation_id, shipment__isnull=True).aggregate(
            n=Sum("quantity")
        )["n"]
        or 0
    )
    return total + direct


def unshipped(allocation: Allocation) -> int:
    """Units of the allocation not yet shipped (nor delivered without a shipment)."""
    return max(0, allocation.quantity - carried(allocation.pk))


def _locked_allocation(actor: Actor, allocation_id: Any) -> tuple[Pledge, Allocation]:
    number = cleaning.integer(allocation_id, "allocation")
    ids = (
        Allocation.objects.restrict(actor, "view")
        .filter(pk=number)
        .values_list("pledge_id", flat=True)
        .first()
    )
    if ids is None:
        raise NotFound("Allocation not found.", field="allocation")
    pledge = Pledge.objects.select_for_update().get(pk=ids)
    return pledge, Allocation.objects.select_for_update().get(pk=number)


def _may_ship(actor: Actor, pledge: Pledge) -> bool:
    return is_donor_officer_of(actor, pledge.owner_id) or is_coordination_cell(actor)


def _check_room(allocation: Allocation, units: int) -> None:
    left = unshipped(allocation)
    if units > left:
        raise Conflict(
            f"cannot ship {count_of(units, 'unit')} of allocation {allocation.pk}: only {left} of its "
            f"{allocation.quantity} are not shipped yet",
            field="quantity",
        )


def _dates(data: dict[str, Any]) -> tuple[dt.date | None, dt.date | None]:
    dispatched = cleaning.date(data.get("dispatched_on"), "dispatched_on", required=False)
    expected = cleaning.date(data.get("expected_on"), "expected_on", required=False)
    if dispatched and expected and expected < dispatched:
        raise InvalidInput(
            f"expected_on: {expected} is before dispatched_on ({dispatched})", field="expected_on"
        )
    return dispatched, expected


def _event(
    actor: Actor, shipment: Shipment, state: str, at: dt.datetime, site: Site | None, source: str
) -> None:
    event = ShipmentEvent.objects.create(
        shipment=shipment, state=state, at=at, site=site, source=source, created_by=signed_in(actor)
    )
    audit.record(
        actor=actor, action="create", obj=event, after=audit.snapshot(event, exclude=("created_at",))
    )


def _at_day(day: dt.date) -> dt.datetime:
    """When a dated step happened: now if today, else noon (UTC) of that day."""
    if day == clock.today():
        return clock.now().replace(microsecond=0)
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


def create_shipment(*, actor: Actor, data: dict[str, Any]) -> Shipment:
    """A shipment of some of an allocation's units (the pledge's donor officers or the cell), planned;
    never more than the allocation's units not yet shipped (409 naming what is left)."""
    cleaning.check_fields(data, SHIPMENT_FIELDS)
    units = cleaning.integer(data.get("quantity"), "quantity")
    dispatched, expected = _dates(data)
    carrier = cleaning.text(data.get("carrier"), "carrier", max_length=200)
    reference = cleaning.text(data.get("reference"), "reference", max_length=100)
    with transaction.atomic():
        pledge, allocation = _locked_allocation(actor, data.get("allocation"))
        if not _may_ship(actor, pledge):
            raise PermissionDenied("Only the donor's officers or the coordination cell ship an allocation.")
        from_site = _site(actor, data.get("from_site"), "from_site")
        to_site = _site(actor, data.get("to_site"), "to_site")
        if from_site == to_site:
            raise InvalidInput("to_site: the same site as from_site", field="to_site")
        _check_room(allocation, units)
        shipment = _new_shipment(
            actor, allocation, units, from_site, to_site, carrier, reference, dispatched, expected
        )
    return shipment


def _new_shipment(
    actor: Actor,
    allocation: Allocation,
    units: int,
    from_site: Site | None,
    to_site: Site | None,
    carrier: str,
    reference: str,
    dispatched: dt.date | None,
    expected: dt.date | None,
) -> Shipment:
    assert from_site is not None and to_site is not None
    shipment = Shipment.objects.create(
        allocation=allocation,
        quantity=units,
        from_site=from_site,
        to_site=to_site,
        carrier=carrier,
        reference=reference,
        dispatched_on=dispatched,
        expected_on=expected,
        created_by=signed_in(actor),
    )
    audit.record(
        actor=actor, action="create", obj=shipment, after=audit.snapshot(shipment, exclude=("created_at",))
    )
    _event(actor, shipment, ShipmentState.PLANNED, clock.now(), from_site, "")
    return shipment


def _locked_shipment(actor: Actor, shipment_id: int) -> tuple[Pledge, Shipment]:
    """A shipment the actor can see, its pledge and allocation locked first (lock order)."""
    ids = (
        Shipment.objects.restrict(actor, "view")
        .filter(pk=shipment_id)
        .values_list("allocation__pledge_id", "allocation_id")
        .first()
    )
    if ids is None:
        raise NotFound("Shipment not found.")
    pledge = Pledge.objects.select_for_update().get(pk=ids[0])
    Allocation.objects.select_for_update().get(pk=ids[1])
    return pledge, cast("Shipment", Shipment.objects.select_for_update().get(pk=shipment_id))


def _check_move(shipment: Shipment, state: str) -> None:
    """Forward only; at_hub may repeat (hub to hub); lost and returned from any state still open."""
    if shipment.state in CLOSED:
        raise Conflict(f"shipment {shipment.pk} is {shipment.state}: no further events", field="state")
    if state == ShipmentState.RECEIVED:
        raise Conflict(
            f"shipment {shipment.pk}: record the receipt (units received and damaged) to receive it",
            field="state",
        )
    if state in VOID or (state == ShipmentState.AT_HUB and shipment.state == ShipmentState.AT_HUB):
        return
    if RANK[state] <= RANK[shipment.state]:
        raise Conflict(
            f"shipment {shipment.pk} is {shipment.state}: an event cannot take it back to {state} "
            f"(order: {' → '.join(RANK)})",
            field="state",
        )


def record_event(
    *, actor: Actor, shipment_id: int, state: Any, at: Any = None, site: Any = None, source: str = ""
) -> Shipment:
    """A shipment reached a state (the pledge's donor officers or the cell): forward in the order
    planned → dispatched → in_transit → at_hub → handed_over, or lost / returned; going back is a 409."""
    chosen = cleaning.choice(state, "state", ShipmentState)
    when = _when(at)
    with transaction.atomic():
        pledge, shipment = _locked_shipment(actor, shipment_id)
        if not _may_ship(actor, pledge):
            raise PermissionDenied(
                "Only the donor's officers or the coordination cell record shipment events."
            )
        where = _site(actor, site, "site", required=False)
        _check_move(shipment, chosen)
        before = audit.snapshot(shipment, exclude=("created_at",))
        shipment.state = chosen
        if chosen == ShipmentState.DISPATCHED and shipment.dispatched_on is None:
            shipment.dispatched_on = when.date()
        shipment.version += 1
        shipment.save()
        audit.record(
            actor=actor,
            action="transition",
            obj=shipment,
            before=before,
            after=audit.snapshot(shipment, exclude=("created_at",)),
        )
        _event(actor, shipment, chosen, when, where, source)
    return shipment


def _when(at: Any) -> dt.datetime:
    if cleaning.blank(at):
        return clock.now()
    if isinstance(at, dt.datetime):
        value = at
    else:
        text = str(at).strip().replace("Z", "+00:00")
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            raise InvalidInput(f"at: {at!r} is not a date and time (ISO 8601)", field="at") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    if value > clock.now() + dt.timedelta(minutes=5):
        raise InvalidInput(f"at: {value:%Y-%m-%d %H:%M} is in the future", field="at")
    if value.year < 1990:
        raise InvalidInput("at: before 1990", field="at")
    return value.replace(microsecond=0)


def record_receipt(
    *,
    actor: Actor,
    shipment_id: int,
    received: Any,
    damaged: Any = 0,
    received_on: Any = None,
    note: str = "",
) -> Shipment:
    """The recipient's officers record what arrived: units received, units damaged or unserviceable,
    a note. Serviceable units (received − damaged) become a delivery of the allocation (recorded and
    confirmed by the recipient); quantity − serviceable is the shipment's discrepancy."""
    got = cleaning.integer(received, "received", minimum=0)
    bad = cleaning.integer(damaged if not cleaning.blank(damaged) else 0, "damaged", minimum=0)
    day = cleaning.date(received_on, "received_on", required=False) or clock.today()
    text = cleaning.text(note, "note", max_length=10_000)
    with transaction.atomic():
        _, shipment = _locked_shipment(actor, shipment_id)
        requirement_owner = shipment.allocation.requirement.owner_id
        if not is_recipient_officer_of(actor, requirement_owner):
            raise PermissionDenied("Only the recipient's officers record a receipt.")
        if shipment.state in CLOSED or shipment.state == ShipmentState.PLANNED:
            raise Conflict(
                f"shipment {shipment.pk} is {shipment.state}: only a dispatched shipment can be received",
                field="received",
            )
        if got > shipment.quantity:
            raise InvalidInput(
                f"received: {got} is more than the {shipment.quantity} shipped", field="received"
            )
        if bad > got:
            raise InvalidInput(f"damaged: {bad} is more than the {got} received", field="damaged")
        if shipment.dispatched_on and day < shipment.dispatched_on:
            raise InvalidInput(
                f"received_on: {day} is before the shipment was dispatched ({shipment.dispatched_on})",
                field="received_on",
            )
        _receive(actor, shipment, got, bad, day, text)
    return shipment


def _receive(actor: Actor, shipment: Shipment, got: int, bad: int, day: dt.date, text: str) -> None:
    before = audit.snapshot(shipment, exclude=("created_at",))
    serviceable = got - bad
    if serviceable:
        delivery = pledge_services.record_delivery(
            actor=actor,
            allocation_id=shipment.allocation_id,
            quantity=serviceable,
            delivered_on=day,
            notes=f"Shipment {shipment.pk} received: {got} received, {bad} damaged. {text}".strip(),
            by_recipient=True,
        )
        pledge_services.confirm_delivery(actor=actor, delivery_id=delivery.pk)
        shipment.delivery = delivery
    shipment.state = ShipmentState.RECEIVED
    shipment.received, shipment.damaged, shipment.received_on = got, bad, day
    shipment.receipt_note = text
    shipment.discrepancy = shipment.quantity - serviceable
    shipment.version += 1
    try:
        with transaction.atomic():
            shipment.save()
    except IntegrityError as exc:
        raise Conflict(f"shipment {shipment.pk}: {exc}") from None
    audit.record(
        actor=actor,
        action="receive",
        obj=shipment,
        before=before,
        after=audit.snapshot(shipment, exclude=("created_at",)),
    )
    _event(actor, shipment, ShipmentState.RECEIVED, _at_day(day), shipment.to_site, "")


def resolve_discrepancy(
    *,
    actor: Actor,
    shipment_id: int,
    resolution: Any,
    reason: Any = "",
    carrier: Any = "",
    reference: Any = "",
    expected_on: Any = None,
) -> Shipment:
    """Settle a received shipment's discrepancy (the pledge's donor officers or the cell): a
    replacement shipment of the missing units (created here, planned, same sites), or a write-off
    with a reason."""
    how = cleaning.choice(resolution, "resolution", Resolution)
    if how == Resolution.NONE:
        raise InvalidInput("resolution: replacement or write_off", field="resolution")
    why = cleaning.text(reason, "reason", max_length=2000).strip()
    if how == Resolution.WRITE_OFF and not why:
        raise InvalidInput("reason: a write-off needs a reason", field="reason")
    expected = cleaning.date(expected_on, "expected_on", required=False)
    with transaction.atomic():
        pledge, shipment = _locked_shipment(actor, shipment_id)
        if not _may_ship(actor, pledge):
            raise PermissionDenied(
                "Only the donor's officers or the coordination cell resolve discrepancies."
            )
        if not shipment.open_discrepancy:
            state = f"was resolved ({shipment.resolution})" if shipment.resolution else "has no discrepancy"
            raise Conflict(f"shipment {shipment.pk} {state}")
        before = audit.snapshot(shipment, exclude=("created_at",))
        shipment.resolution, shipment.resolution_reason = how, why
        shipment.resolved_at = clock.now()
        if how == Resolution.REPLACEMENT:
            shipment.replacement = _new_shipment(
                actor,
                shipment.allocation,
                shipment.discrepancy,
                shipment.from_site,
                shipment.to_site,
                cleaning.text(carrier, "carrier", max_length=200) or shipment.carrier,
                cleaning.text(reference, "reference", max_length=100),
                None,
                expected,
            )
        shipment.version += 1
        shipment.save()
        audit.record(
            actor=actor,
            action="resolve",
            obj=shipment,
            before=before,
            after=audit.snapshot(shipment, exclude=("created_at",)),
        )
    return shipment


def record_end_use_check(
    *, actor: Actor, delivery_id: Any, checked_on: Any, units_verified: Any, finding: Any
) -> EndUseCheck:
    """A donor's end-use check of delivered units (the pledge's donor officers)."""
    number = cleaning.integer(delivery_id, "delivery")
    day = cleaning.date(checked_on, "checked_on")
    units = cleaning.integer(units_verified, "units_verified", minimum=0)
    text = cleaning.text(finding, "finding", max_length=10_000).strip()
    if not text:
        raise InvalidInput("finding: required", field="finding")
    with transaction.atomic():
        delivery = (
            Delivery.objects.restrict(actor, "view")
            .filter(pk=number)
            .select_related("allocation__pledge")
            .first()
        )
        if delivery is None:
            raise NotFound("Delivery not found.", field="delivery")
        if not is_donor_officer_of(actor, delivery.allocation.pledge.owner_id):
            raise PermissionDenied("Only the donor's officers record end-use checks of its deliveries.")
        if units > delivery.quantity:
            raise InvalidInput(
                f"units_verified: {units} is more than the {delivery.quantity} delivered",
                field="units_verified",
            )
        if day < delivery.delivered_on or day > clock.today():
            raise InvalidInput(
                f"checked_on: {day} must lie between the delivery ({delivery.delivered_on}) and today",
                field="checked_on",
            )
        check = EndUseCheck.objects.create(
            delivery=delivery, checked_on=day, units_verified=units, finding=text, created_by=signed_in(actor)
        )
        audit.record(
            actor=actor, action="create", obj=check, after=audit.snapshot(check, exclude=("created_at",))
        )
    return check
