"""Reads of requirements for a user; every query starts from `restrict`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from clearinghouse.core.actors import Actor
from clearinghouse.core.errors import NotFound
from clearinghouse.requirements import coverage
from clearinghouse.requirements.choices import PRIORITY_RANK, Priority
from clearinghouse.requirements.models import Requirement
from clearinghouse.requirements.value import Valuer, coverage_value

PRIORITY_ORDER = Case(
    *[When(priority=p, then=Value(rank)) for p, rank in PRIORITY_RANK.items()],
    default=Value(9),
    output_field=IntegerField(),
)


def requirement_list(
    *,
    user: Actor,
    capability: str | None = None,
    priority: str | None = None,
    status: str | None = None,
    item_type: str | None = None,
    owner: str | None = None,
    q: str | None = None,
) -> QuerySet[Requirement]:
    """Requirements the user may see, most urgent first (priority, then needed-by date, then id).

    Each carries what `coverage.of` needs to tell the user how far it is covered; `status` is the
    status as the user may know it (see coverage.py), so that filtering reveals no more than it.
    """
    qs: Any = coverage.annotate(Requirement.objects.restrict(user, "view"), user)
    if capability:
        qs = qs.filter(capability__code=capability)
    if priority:
        qs = qs.filter(priority=priority)
    if status:
        qs = qs.filter(coverage.status_filter(status))
    if item_type:
        qs = qs.filter(item_types__code=item_type)
    if owner:
        qs = qs.filter(owner__code=owner.upper())
    if q:
        qs = qs.filter(Q(external_ref__icontains=q) | Q(notes__icontains=q))
    ordered: QuerySet[Requirement] = (
        qs.select_related("owner", "capability")
        .prefetch_related("item_types", "releasable_to", "derivations")
        .annotate(priority_rank=PRIORITY_ORDER)
        .order_by("priority_rank", "needed_by", "id")
    )
    return ordered


def get_requirement(*, user: Actor, requirement_id: int) -> Requirement:
    """One requirement the user may see; NotFound (same answer) when missing or invisible."""
    requirement = requirement_list(user=user).filter(pk=requirement_id).first()
    if requirement is None:
        raise NotFound("Requirement not found.")
    return requirement


def get_requirement_by_ref(*, user: Actor, external_ref: str, owner: str | None = None) -> Requirement | None:
    """The visible requirement with this external reference (of `owner`, if given), or None."""
    if not external_ref:
        return None
    return requirement_list(user=user, owner=owner).filter(external_ref=external_ref).first()


def open_by_priority(*, user: Actor) -> dict[str, int]:
    """How many visible requirements still need allocations (not fully covered, as far as the user
    may know), per priority."""
    ids = requirement_list(user=user, status=coverage.NOT_FULLY_COVERED).order_by().values("pk")
    qs = Requirement.objects.filter(pk__in=ids)
    counts = dict(qs.order_by().values_list("priority").annotate(n=Count("id")))
    return {p: counts.get(p, 0) for p in Priority.values}


def totals(qs: QuerySet[Requirement], user: Actor, on: dt.date) -> dict[str, Any]:
    """Over every row of a (filtered, `requirement_list`) list, not one page: how many, what they are
    worth in EUR at the catalog's reference prices of `on`, and what of it is still short, as far as
    the user may know it (rows whose coverage is coarsened for the user are left out of `short_eur`
    and counted in `short_unknown`; rows without a reference price in `unvalued`)."""
    valuer = Valuer(on)
    out: dict[str, Any] = {
        "count": 0,
        "required_eur": Decimal(0),
        "short_eur": Decimal(0),
        "unvalued": 0,
        "short_unknown": 0,
    }
    for r in qs:
        out["count"] += 1
        value = coverage_value(coverage.of(r, user), valuer.unit_value(r))
        if value["required_eur"] is None:
            out["unvalued"] += 1
            continue
        out["required_eur"] += value["required_eur"]
        if value["short_eur"] is None:
            out["short_unknown"] += 1
        else:
            out["short_eur"] += value["short_eur"]
    return out
