"""Kinds of sites, the states of a shipment and their order, how a discrepancy is resolved."""

from __future__ import annotations

from django.db import models


class SiteKind(models.TextChoices):
    """What a site is on the way from a donor to the recipient's units."""

    DEPOT = "depot", "Donor depot"
    HUB = "hub", "Logistics hub"
    HANDOVER = "handover", "Handover point"
    UNIT = "unit", "Recipient unit"


class ShipmentState(models.TextChoices):
    """Where a shipment is: forward along the order, or lost / returned."""

    PLANNED = "planned", "Planned"
    DISPATCHED = "dispatched", "Dispatched"
    IN_TRANSIT = "in_transit", "In transit"
    AT_HUB = "at_hub", "At hub"
    HANDED_OVER = "handed_over", "Handed over"
    RECEIVED = "received", "Received"
    LOST = "lost", "Lost"
    RETURNED = "returned", "Returned"


# The forward order: an event may only move a shipment forward (at_hub may repeat, hub to hub).
ORDER = (
    ShipmentState.PLANNED,
    ShipmentState.DISPATCHED,
    ShipmentState.IN_TRANSIT,
    ShipmentState.AT_HUB,
    ShipmentState.HANDED_OVER,
    ShipmentState.RECEIVED,
)
RANK: dict[str, int] = {str(state): n for n, state in enumerate(ORDER)}
# On the way: dispatched and not yet received, lost or returned.
MOVING = (
    ShipmentState.DISPATCHED,
    ShipmentState.IN_TRANSIT,
    ShipmentState.AT_HUB,
    ShipmentState.HANDED_OVER,
)
# Finished: no event moves them again.
CLOSED = (ShipmentState.RECEIVED, ShipmentState.LOST, ShipmentState.RETURNED)
# Units that are not carried any more (they may ship again).
VOID = (ShipmentState.LOST, ShipmentState.RETURNED)


class Resolution(models.TextChoices):
    """How a discrepancy (units short or damaged on receipt) was settled."""

    NONE = "", "Open"
    REPLACEMENT = "replacement", "Replacement shipment"
    WRITE_OFF = "write_off", "Written off"
