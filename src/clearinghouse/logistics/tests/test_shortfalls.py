"""Shortfalls distinguish allocated, shipped, in transit and received (new keys; the old ones stay)."""

from __future__ import annotations

from typing import Any

import pytest

from clearinghouse.logistics import services
from clearinghouse.logistics.tests import factories

pytestmark = pytest.mark.django_db


def test_shortfalls_show_units_in_transit_apart_from_received(
    personas: dict[str, Any], api_client: Any, page_client: Any
) -> None:
    received = factories.dispatched(personas, quantity=20)
    services.record_receipt(actor=personas["recipient"], shipment_id=received.pk, received=20, damaged=4)
    moving = factories.dispatched(
        personas, quantity=10, allocation_id=received.allocation_id, reference="DHL-2"
    )
    services.record_event(actor=personas["donor_usa"], shipment_id=moving.pk, state="in_transit")
    data = api_client(personas["coordinator"]).get("/api/v1/clearing/shortfalls").json()
    requirement = received.allocation.requirement_id
    item = next(i for row in data["rows"] for i in row["items"] if i["requirement"] == requirement)
    assert (item["allocated"], item["shipped"], item["in_transit"], item["received"]) == (50, 30, 10, 16)
    area = next(c for c in data["capabilities"] if c["capability"] == "ammunition")
    # 155mm rounds at 3,000 EUR: 10 in transit, 16 serviceable received; allocated and delivered as before.
    assert area["in_transit_eur"] == "30000.00" and area["received_eur"] == "48000.00"
    assert area["shipped_eur"] == "90000.00" and area["delivered_eur"] == "48000.00"
    assert {"required_eur", "allocated_eur", "short_eur", "allocated_pct"} <= set(area)
    page = page_client(personas["coordinator"]).get("/shortfalls/").content.decode()
    assert "In transit (EUR)" in page and "10 in transit, 16 received" in page
