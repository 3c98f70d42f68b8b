"""The shipments pages: list filters, a shipment's timeline and forms, sites, and the includes on
the pledge and requirement pages."""

from __future__ import annotations

from typing import Any

import pytest

from clearinghouse.logistics.tests import factories

pytestmark = pytest.mark.django_db


def test_pages_show_shipments_and_record_a_receipt(personas: dict[str, Any], page_client: Any) -> None:
    s = factories.dispatched(personas)
    donor, recipient = page_client(personas["donor_usa"]), page_client(personas["recipient"])
    page = donor.get("/shipments/?overdue=1").content.decode()
    assert f'href="/shipments/{s.pk}/"' in page and "overdue" in page and 'id="shipment-form"' in page
    assert f'href="/shipments/{s.pk}/"' not in donor.get("/shipments/?state=received").content.decode()
    assert 'id="shipment-form"' not in recipient.get("/shipments/").content.decode()
    detail = recipient.get(f"/shipments/{s.pk}/").content.decode()
    assert 'id="receipt-form"' in detail and 'id="event-form"' not in detail
    r = recipient.post(
        f"/shipments/{s.pk}/receipt/", {"received": "30", "damaged": "2", "received_on": "2024-03-09"}
    )
    assert r.status_code == 302
    s.refresh_from_db()
    assert s.state == "received" and s.discrepancy == 2
    assert f'href="/shipments/{s.pk}/"' in donor.get("/shipments/?discrepancy=1").content.decode()
    pledge_page = donor.get(f"/pledges/{s.allocation.pledge_id}/").content.decode()
    assert 'id="shipment-timelines"' in pledge_page and f"timeline-{s.pk}" in pledge_page
    requirement_page = recipient.get(f"/requirements/{s.allocation.requirement_id}/").content.decode()
    assert f"timeline-{s.pk}" in requirement_page


def test_sites_page_adds_a_site_and_hides_a_confidential_one(
    personas: dict[str, Any], page_client: Any
) -> None:
    donor = page_client(personas["donor_usa"])
    r = donor.post(
        "/sites/",
        {"code": "USA-HUB-2", "name": "Hub", "kind": "hub", "country": "DEU", "releasability": "owner"},
    )
    assert r.status_code == 302
    assert "USA-HUB-2" in donor.get("/sites/").content.decode()
    assert "USA-HUB-2" not in page_client(personas["recipient"]).get("/sites/").content.decode()
    r = donor.post("/sites/", {"code": "X", "name": "X", "kind": "hub", "country": "ZZZ"})
    assert r.status_code == 422 and "ISO 3166" in r.content.decode()


def test_home_lists_receipts_to_record_and_overdue_shipments(
    personas: dict[str, Any], page_client: Any
) -> None:
    factories.dispatched(personas)
    home = page_client(personas["recipient"]).get("/").content.decode()
    assert 'id="logistics-to-do"' in home
    assert "1 shipment on the way: its receipt to record" in home and "1 overdue shipment" in home
    assert 'id="logistics-to-do"' not in page_client(personas["donor_deu"]).get("/").content.decode()
