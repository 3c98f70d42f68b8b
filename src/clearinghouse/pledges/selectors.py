"""Reads of pledges, allocations and deliveries for a user; every query starts from `restrict`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from clearinghouse.core.actors import Actor, is_signed_in
from clearinghouse.core.errors import NotFound
from clearinghouse.participants.permissions import is_coordination_cell
from clearinghouse.pledges.choices import PledgeStatus
from clearinghouse.pledges.models import Allocation, Delivery, Pledge
from clearinghouse.requirements import coverage as coverage_rule
from clearinghouse.requirements import selectors as requirement_selectors
from clearinghouse.requirements.choices import PRIORITY_RANK
from clearinghouse.requirements.models import Requirement


def pledge_list(
    *,
    user: Actor,
    donor: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    item_type: str | None = None,
    capability: str | None = None,
    releasability: str | None = None,
    q: str | None = None,
    offered_against: int | None = None,
) -> QuerySet[Pledge]:
    """Pledges the user may see, newest first, optionally filtered."""
    qs = Pledge.objects.restrict(user, "view")
    if offered_against:
        qs = qs.filter(offered_against_id=offered_against)
    if donor:
        qs = qs.filter(owner__code=donor.upper())
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if item_type:
        qs = qs.filter(item_type__code=item_type)
    if capability:
        qs = qs.filter(item_type__capability__code=capability)
    if releasability:
        qs = qs.filter(releasability=releasability)
    if q:
        qs = qs.filter(Q(external_ref__icontains=q) | Q(notes__icontains=q) | Q(purpose__icontains=q))
    return (
        qs.select_related("owner", "item_type", "item_type__capability", "offered_against")
        .prefetch_related("releasable_to", "tranches")
        .order_by("-id")
    )


def get_pledge(*, user: Actor, pledge_id: int) -> Pledge:
    """One pledge the user may see; NotFound (same answer) when missing or invisible."""
    pledge = pledge_list(user=user).filter(pk=pledge_id).first()
    if pledge is None:
        raise NotFound("Pledge not found.")
    return pledge


def get_pledge_by_ref(*, user: Actor, donor: str, external_ref: str) -> Pledge | None:
    """The visible pledge of `donor` with this external reference, or None."""
    if not external_ref:
        return None
    return pledge_list(user=user, donor=donor).filter(external_ref=external_ref).first()


def pipeline(*, user: Actor) -> dict[str, dict[str, Any]]:
    """Visible pledges per status: how many and their value in EUR (the home page's pipeline)."""
    ids = pledge_list(user=user).order_by().values("pk")
    out: dict[str, dict[str, Any]] = {s: {"count": 0, "value_eur": Decimal(0)} for s in PledgeStatus.values}
    # Summed in Python, exactly: SQL's SUM over many large amounts overflows 64 bits on SQLite.
    for status, value in Pledge.objects.filter(pk__in=ids).order_by().values_list("status", "value_eur"):
        out[status]["count"] += 1
        out[status]["value_eur"] += value or 0
    return out


def totals(qs: QuerySet[Pledge]) -> dict[str, Any]:
    """How many pledges a (filtered) list holds and their value in EUR, over every row, not one page.

    Summed in Python, exactly (see `pipeline`); pledges without a EUR value are counted apart."""
    count, value, unvalued = 0, Decimal(0), 0
    for v in (
        Pledge.objects.filter(pk__in=qs.order_by().values("pk"))
        .order_by()
        .values_list("value_eur", flat=True)
    ):
        count += 1
        if v is None:
            unvalued += 1
        else:
            value += v
    return {"count": count, "value_eur": value, "unvalued": unvalued}


def allocation_list(
    *,
    user: Actor,
    pledge: int | None = None,
    requirement: int | None = None,
    donor: str | None = None,
    source: str | None = None,
) -> QuerySet[Allocation]:
    """Allocations the user may see (both their pledge and their requirement are visible)."""
    qs = Allocation.objects.restrict(user, "view")
    if pledge:
        qs = qs.filter(pledge_id=pledge)
    if requirement:
        qs = qs.filter(requirement_id=requirement)
    if donor:
        qs = qs.filter(pledge__owner__code=donor.upper())
    if source:
        qs = qs.filter(source=source)
    return qs.select_related("pledge", "pledge__owner", "pledge__item_type", "created_by").order_by("id")


def get_allocation(*, user: Actor, allocation_id: int) -> Allocation:
    """One allocation the user may see; NotFound (same answer) when missing or invisible."""
    allocation = allocation_list(user=user).filter(pk=allocation_id).first()
    if allocation is None:
        raise NotFound("Allocation not found.")
    return allocation


def delivery_list(
    *,
    user: Actor,
    allocation: int | None = None,
    pledge: int | None = None,
    requirement: int | None = None,
    confirmed: bool | None = None,
) -> QuerySet[Delivery]:
    """Deliveries the user may see, in date order."""
    qs = Delivery.objects.restrict(user, "view")
    if allocation:
        qs = qs.filter(allocation_id=allocation)
    if pledge:
        qs = qs.filter(allocation__pledge_id=pledge)
    if requirement:
        qs = qs.filter(allocation__requirement_id=requirement)
    if confirmed is not None:
        qs = qs.filter(confirmed_at__isnull=not confirmed)
    return qs.select_related("allocation", "confirmed_by", "created_by").order_by("delivered_on", "id")


def get_delivery(*, user: Actor, delivery_id: int) -> Delivery:
    """One delivery the user may see; NotFound (same answer) when missing or invisible."""
    delivery = delivery_list(user=user).filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound("Delivery not found.")
    return delivery


# --- offers against requirements -------------------------------------------------------------------


def offer_list(*, user: Actor, status: str | None = PledgeStatus.OFFERED) -> QuerySet[Pledge]:
    """Pledges offered against requirements that the user decides on: the recipient's officers see
    the offers against its own requirements, the coordination cell every offer it sees."""
    qs = pledge_list(user=user, status=status).filter(offered_against__isnull=False)
    if not is_coordination_cell(user):
        participant = user.participant_id if is_signed_in(user) else None
        qs = qs.filter(offered_against__owner_id=participant) if participant else qs.none()
    return qs.select_related("offered_against__capability").order_by("offered_against__priority", "id")


@dataclass(frozen=True)
class Servable:
    """An open requirement a donor could serve: its items the donor has pledged before, and how many
    units of the first of them would cover the shortfall."""

    requirement: Any
    coverage: Any
    shortfall: Decimal
    items: list[str]
    suggested_item: str
    suggested_quantity: int


def donor_item_types(*, user: Actor, donor: int) -> set[int]:
    """Item types of the donor's visible in-kind pledges (its "catalog")."""
    return set(
        Pledge.objects.restrict(user, "view")
        .filter(owner_id=donor, item_type__isnull=False)
        .values_list("item_type_id", flat=True)
        .distinct()
    )


def shortfall(seen: Any) -> Decimal:
    """Units still short as the viewer may know them (the top of the band when coarsened)."""
    if seen.outstanding is not None:
        return Decimal(seen.outstanding)
    low = seen.allocated_band[0] if seen.allocated_band else 0
    return Decimal(seen.quantity) * (100 - low) / 100


def servable_requirements(*, user: Actor, donor: int, limit: int = 200) -> list[Servable]:
    """Open requirements (not fully covered as far as the user knows) that accept an item type the
    donor has pledged, most urgent first (priority, then the largest shortfall)."""
    types = donor_item_types(user=user, donor=donor)
    if not types:
        return []
    # The item type test as a subquery of ids, and the status in Python (the same rule as the
    # `not_fully_covered` filter, whose SQL over the coverage annotations is slow on PostgreSQL).
    accepting = Requirement.item_types.through.objects.filter(itemtype_id__in=types).values("requirement_id")
    qs = requirement_selectors.requirement_list(user=user).filter(pk__in=accepting, cancelled=False)
    out: list[Servable] = []
    for r in qs:
        seen = coverage_rule.of(r, user)
        short = shortfall(seen)
        if short <= 0:  # covered or delivered, as far as the user may know
            continue
        items = [t.code for t in sorted(r.item_types.all(), key=lambda t: t.code) if t.pk in types]
        factor = r.factor_of(items[0]) or Decimal(1)
        out.append(Servable(r, seen, short, items, items[0], max(1, math.ceil(short / factor))))
    out.sort(key=lambda s: (PRIORITY_RANK.get(s.requirement.priority, 9), -s.shortfall, s.requirement.pk))
    return out[:limit]
