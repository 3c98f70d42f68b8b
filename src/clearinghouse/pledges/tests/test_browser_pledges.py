"""A pledge followed from entry to confirmed delivery in a real browser (Debian's Chromium, Playwright)."""

from __future__ import annotations

from typing import Any

import pytest
from tests.browser import require_chromium, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
require_chromium()


@pytest.fixture
def pages(open_page: Any) -> Any:
    """Opens one signed-out page per call, each in its own context (its own session cookie)."""
    return lambda: open_page(height=900)


def login(page: Any, live_server: Any, username: str) -> None:
    sign_in(page, live_server, username)
    page.wait_for_selector("header nav")


def status(page: Any) -> str:
    return str(page.inner_text("#status")).strip()


def test_a_pledge_is_entered_accepted_allocated_committed_delivered_and_confirmed(
    pages: Any, live_server: Any, personas: dict[str, Any]
) -> None:
    from clearinghouse.pledges.tests import factories

    requirement = factories.requirement(
        personas, external_ref="UKR-AMMO-155", quantity=1000, needed_by="2027-01-31"
    )

    # A donor officer enters the pledge; the form checks a field as soon as it is left.
    donor = pages()
    login(donor, live_server, "donor_usa")
    donor.goto(f"{live_server.url}/pledges/new/")
    donor.fill("#id_external_ref", "USA-155-BROWSER")
    donor.select_option("#id_item_type", "AMM-155-HE")
    donor.fill("#id_quantity", "0")
    donor.press("#id_quantity", "Tab")
    donor.wait_for_selector("#err-quantity li:has-text('must be at least 1, got 0')")
    assert donor.inner_text("#err-quantity") == "must be at least 1, got 0"
    donor.fill("#id_quantity", "100")
    donor.press("#id_quantity", "Tab")
    donor.wait_for_selector("#err-quantity li", state="detached")
    donor.fill("#id_available_from", "2024-02-01")
    donor.click("#pledge-form button[type=submit]")
    donor.wait_for_selector("#status")
    assert status(donor) == "Offered"
    pledge_url = donor.url
    assert "Donor" in donor.inner_text("#facts") and "United States (USA)" in donor.inner_text("#facts")

    # The coordination cell accepts it and allocates it to the requirement.
    cell = pages()
    login(cell, live_server, "coordinator")
    cell.goto(pledge_url)
    cell.click("button[name=move][value=accepted]")
    cell.wait_for_selector("#status:has-text('Accepted')")
    cell.select_option("#allocate-form select[name=requirement]", str(requirement.pk))
    cell.fill("#allocate-form input[name=quantity]", "100")
    cell.click("#allocate-form button[type=submit]")
    cell.wait_for_selector(f"#allocations a[href='/requirements/{requirement.pk}/']")

    # The donor commits and records the delivery of every unit: the pledge is delivered.
    donor.goto(pledge_url)
    donor.click("button[name=move][value=committed]")
    donor.wait_for_selector("#status:has-text('Committed')")
    donor.fill("#delivery-form input[name=quantity]", "100")
    donor.click("#delivery-form button[type=submit]")
    donor.wait_for_selector("#status:has-text('Delivered')")
    assert "awaiting confirmation" in donor.inner_text("#deliveries")

    # The recipient confirms receipt.
    recipient = pages()
    login(recipient, live_server, "recipient")
    recipient.goto(pledge_url)
    recipient.click("#deliveries button.confirm-receipt")
    recipient.wait_for_selector("#deliveries .badge.ok")

    # Anyone who may see the pledge finds it delivered, with its whole lifecycle.
    donor.goto(pledge_url)
    assert status(donor) == "Delivered"
    assert "confirmed" in donor.inner_text("#deliveries")
    timeline = donor.inner_text("#timeline")
    steps = [
        "Pledge entered: offered",
        "offered → accepted",
        f"Allocated 100 units to requirement R{requirement.pk}",
        "accepted → committed",
        "Delivered 100 units",
        "committed → in_delivery",
        "in_delivery → delivered",
        "Receipt of delivery",
    ]
    positions = [timeline.index(step) for step in steps]
    assert positions == sorted(positions)
    assert (
        "donor_usa (USA)" in timeline and "coordinator (NATO)" in timeline and "recipient (UKR)" in timeline
    )
