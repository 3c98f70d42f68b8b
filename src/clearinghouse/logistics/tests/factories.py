"""Test helpers: sites and shipments made through the real services."""

from __future__ import annotations

from typing import Any

from clearinghouse.logistics import services
from clearinghouse.logistics.models import Shipment, Site
from clearinghouse.pledges.models import Allocation
from clearinghouse.pledges.tests import factories as pledge_factories


def site(
    personas: dict[str, Any], code: str, kind: str = "hub", by: str = "coordinator", **data: Any
) -> Site:
    values = {"code": code, "name": f"Site {code}", "kind": kind, "country": "POL", **data}
    return services.create_site(actor=personas[by], data=values)


def sites(personas: dict[str, Any]) -> tuple[Site, Site]:
    """A USA depot (coordination: the recipient sees it) and the cell's handover point (contact group)."""
    depot = site(personas, "USA-DEPOT", "depot", by="donor_usa", country="USA")
    handover = site(
        personas, "UKR-HANDOVER", "handover", by="coordinator", country="UKR", releasability="contact_group"
    )
    return depot, handover


def allocation(personas: dict[str, Any], quantity: int = 50) -> Allocation:
    return pledge_factories.allocation(personas, quantity=quantity, releasability="coordination")


def shipment(
    personas: dict[str, Any], quantity: int = 30, allocation_id: int | None = None, **data: Any
) -> Shipment:
    """A planned shipment of a USA allocation (50 units), depot to handover point."""
    if allocation_id is None:
        allocation_id = allocation(personas).pk
    if not Site.objects.filter(code="USA-DEPOT").exists():
        sites(personas)
    values = {
        "allocation": allocation_id,
        "quantity": quantity,
        "from_site": "USA-DEPOT",
        "to_site": "UKR-HANDOVER",
        "carrier": "DHL",
        "reference": "DHL-1",
        "dispatched_on": "2024-03-01",
        "expected_on": "2024-03-10",
        **data,
    }
    return services.create_shipment(actor=personas["donor_usa"], data=values)


def dispatched(personas: dict[str, Any], **data: Any) -> Shipment:
    s = shipment(personas, **data)
    return services.record_event(
        actor=personas["donor_usa"], shipment_id=s.pk, state="dispatched", at="2024-03-01T08:00:00Z"
    )
