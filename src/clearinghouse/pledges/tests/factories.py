"""Test helpers: the catalog rows a test needs, and records made through the real services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from clearinghouse.catalog.models import CapabilityArea, ItemPrice, ItemType
from clearinghouse.pledges import services as pledge_services
from clearinghouse.pledges.models import Allocation, Delivery, Pledge
from clearinghouse.requirements import services as requirement_services
from clearinghouse.requirements.models import Requirement

# A slice of the shipped catalog: enough for tests, quick to create inside every rolled-back setup.
ITEMS = {
    "AMM-155-HE": ("ammunition", "rounds", "155mm-NATO", "3000.00"),
    "AMM-152-HE": ("ammunition", "rounds", "152mm-Soviet", "4000.00"),
    "ART-M777": ("artillery", "guns", "155mm-NATO", "4778745.65"),
    "AD-NASAMS": ("air-defence", "systems", "nasams-amraam", "49013492.00"),
}


def ensure_catalog() -> None:
    """The item types of ITEMS with one reference price each (no-op when the full catalog is loaded)."""
    for code, (capability, unit, family, price) in ITEMS.items():
        area, _ = CapabilityArea.objects.get_or_create(code=capability, defaults={"name": capability.title()})
        item, _ = ItemType.objects.get_or_create(
            code=code, defaults={"name": code, "capability": area, "unit": unit, "family": family}
        )
        ItemPrice.objects.get_or_create(
            item_type=item,
            valid_from=dt.date(2022, 1, 24),
            defaults={"unit_value": Decimal(price), "currency": "EUR", "source": "test"},
        )


def requirement(personas: dict[str, Any], **data: Any) -> Requirement:
    """A requirement entered by the recipient officer (155mm rounds, 1000, contact group by default)."""
    ensure_catalog()
    values = {"capability": "ammunition", "item_types": ["AMM-155-HE"], "quantity": 1000, "priority": "high"}
    return requirement_services.create_requirement(actor=personas["recipient"], data={**values, **data})


def pledge(personas: dict[str, Any], donor: str = "donor_usa", **data: Any) -> Pledge:
    """An offered in-kind pledge of `donor` (a persona name): 100 rounds of 155mm, in EUR."""
    ensure_catalog()
    user = personas[donor]
    values = {
        "donor": user.participant.code,
        "kind": "in_kind",
        "item_type": "AMM-155-HE",
        "quantity": 100,
        "unit_value": "3000.00",
        "currency": "EUR",
        "available_from": "2024-01-02",
    }
    return pledge_services.create_pledge(actor=user, data={**values, **data})


def financial(personas: dict[str, Any], donor: str = "donor_usa", **data: Any) -> Pledge:
    """An offered financial pledge of `donor`: 1,000,000 USD."""
    user = personas[donor]
    values = {
        "donor": user.participant.code,
        "kind": "financial",
        "amount": "1000000",
        "currency": "USD",
        "available_from": "2024-01-02",
    }
    return pledge_services.create_pledge(actor=user, data={**values, **data})


def accepted(personas: dict[str, Any], donor: str = "donor_usa", **data: Any) -> Pledge:
    """An in-kind pledge accepted by the coordination cell."""
    p = pledge(personas, donor, **data)
    return pledge_services.transition_pledge(actor=personas["coordinator"], pledge_id=p.pk, to="accepted")


def allocation(personas: dict[str, Any], quantity: int = 50, **data: Any) -> Allocation:
    """An accepted pledge (100 units) allocated in part to a new requirement (1000 units)."""
    p = accepted(personas, **data)
    r = requirement(personas)
    return pledge_services.allocate(
        actor=personas["coordinator"], pledge_id=p.pk, requirement_id=r.pk, quantity=quantity
    )


def delivery(personas: dict[str, Any], quantity: int = 20, **data: Any) -> Delivery:
    """A delivery of part of an allocation of 50 units, recorded by the donor."""
    a = allocation(personas, **data)
    return pledge_services.record_delivery(
        actor=personas["donor_usa"], allocation_id=a.pk, quantity=quantity, delivered_on=dt.date(2024, 3, 1)
    )
