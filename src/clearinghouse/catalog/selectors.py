"""Reads of the catalog for a user; every query starts from `restrict`."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, Q, QuerySet

from clearinghouse.catalog.models import CapabilityArea, ItemPrice, ItemType
from clearinghouse.core.actors import Actor
from clearinghouse.core.errors import NotFound


def capability_list(*, user: Actor) -> QuerySet[CapabilityArea]:
    """Capability areas in their display order."""
    return CapabilityArea.objects.restrict(user, "view").order_by("sort_order", "name")


def item_type_list(
    *,
    user: Actor,
    capability: str | None = None,
    family: str | None = None,
    q: str | None = None,
) -> QuerySet[ItemType]:
    """Item types, optionally of one capability area or family, or matching a code/name search."""
    qs = ItemType.objects.restrict(user, "view").select_related("capability")
    if capability:
        qs = qs.filter(capability__code=capability)
    if family:
        qs = qs.filter(family=family)
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q))
    return qs.prefetch_related(
        Prefetch("prices", queryset=ItemPrice.objects.order_by("valid_from"))
    ).order_by("capability__sort_order", "code")


def get_item_type(*, user: Actor, code: str) -> ItemType:
    """One item type by code, or NotFound."""
    item = item_type_list(user=user).filter(code=code).first()
    if item is None:
        raise NotFound("Item type not found.")
    return item


def reference_price(item_type: ItemType | int, on: dt.date) -> ItemPrice | None:
    """The price list entry in force on `on`: the latest one valid from that date or before."""
    item_type_id = item_type if isinstance(item_type, int) else item_type.pk
    return (
        ItemPrice.objects.filter(item_type_id=item_type_id, valid_from__lte=on)
        .order_by("-valid_from")
        .first()
    )


def current_price(item_type: ItemType) -> ItemPrice | None:
    """The latest entry of a prefetched price list (no query when `prices` was prefetched)."""
    prices = sorted(item_type.prices.all(), key=lambda p: p.valid_from)
    return prices[-1] if prices else None
