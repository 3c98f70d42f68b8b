"""A shipment from dispatch to receipt through the pages, in a real browser (Debian's Chromium)."""

from __future__ import annotations

from typing import Any

import pytest
from tests.browser import require_chromium, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
require_chromium()


@pytest.fixture
def pages(open_page: Any) -> Any:
    return lambda: open_page(height=900)


def login(page: Any, live_server: Any, username: str) -> None:
    sign_in(page, live_server, username)
    page.wait_for_selector("header nav")


def test_a_shipment_is_planned_dispatched_moved_and_received(
    pages: Any, live_server: Any, personas: dict[str, Any]
) -> None:
    from clearinghouse.logistics.models import Shipment
    from clearinghouse.logistics.tests import factories

    allocation = factories.allocation(personas)
    factories.sites(personas)

    donor = pages()
    login(donor, live_server, "donor_usa")
    donor.goto(f"{live_server.url}/shipments/")
    donor.select_option("#shipment-form select[name=allocation]", str(allocation.pk))
    donor.fill("#shipment-form input[name=quantity]", "60")
    donor.select_option("#shipment-form select[name=from_site]", "USA-DEPOT")
    donor.select_option("#shipment-form select[name=to_site]", "UKR-HANDOVER")
    donor.fill("#shipment-form input[name=reference]", "BROWSER-1")
    donor.click("#shipment-submit")
    donor.wait_for_selector("#err-shipment")
    assert "only 50 of its 50 are not shipped yet" in donor.inner_text("#err-shipment")
    donor.fill("#shipment-form input[name=quantity]", "30")
    donor.click("#shipment-submit")
    donor.wait_for_selector("#state")
    assert donor.inner_text("#state").strip() == "planned"
    shipment_url = donor.url
    for state in ("dispatched", "in_transit"):
        donor.select_option("#event-form select[name=state]", state)
        donor.click("#event-submit")
        donor.wait_for_selector(f"#state:has-text('{state}')")
    # Going back is refused, and said so.
    donor.select_option("#event-form select[name=state]", "dispatched")
    donor.click("#event-submit")
    donor.wait_for_selector("text=cannot take it back to dispatched")
    assert donor.inner_text("#state").strip() == "in_transit"
    assert "dispatched" in donor.inner_text(".shipment-timeline")

    recipient = pages()
    login(recipient, live_server, "recipient")
    recipient.goto(shipment_url)
    assert recipient.query_selector("#event-form") is None
    recipient.fill("#receipt-form input[name=received]", "28")
    recipient.fill("#receipt-form input[name=damaged]", "3")
    recipient.fill("#receipt-form input[name=note]", "three wet")
    recipient.click("#receipt-submit")
    recipient.wait_for_selector("#state:has-text('received')")
    assert "28 received, 3 damaged" in recipient.inner_text("#receipt")
    assert "5" in recipient.inner_text("#discrepancy")
    shipment = Shipment.objects.get(reference="BROWSER-1")
    assert shipment.delivery is not None and shipment.delivery.quantity == 25 and shipment.discrepancy == 5

    # The donor sees the discrepancy listed, and the pledge page shows the timeline.
    donor.goto(f"{live_server.url}/shipments/?discrepancy=1")
    assert "discrepancy 5" in donor.inner_text("#shipments")
    donor.goto(f"{live_server.url}/pledges/{allocation.pledge_id}/")
    assert "received" in donor.inner_text("#shipment-timelines")
