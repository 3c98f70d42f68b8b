"""The work queue and notifications in a real browser (Debian's Chromium, Playwright): the cell finds
the offer waiting on its home page and accepts it; the donor sees the unread count in the header,
reads the notification and follows it to its pledge."""

from __future__ import annotations

from typing import Any

import pytest
from tests.browser import require_chromium, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
require_chromium()


def test_the_cell_decides_the_waiting_offer_and_the_donor_is_told(
    open_page: Any, live_server: Any, personas: dict[str, Any]
) -> None:
    from clearinghouse.pledges import services as pledge_services
    from clearinghouse.pledges.tests import factories

    pledge = factories.pledge(personas)

    cell = open_page(width=390, height=844)  # the phone width of the small-screen check
    sign_in(cell, live_server, "coordinator")
    cell.goto(f"{live_server.url}/")
    cell.wait_for_selector("#work-queue tr[data-kind='offer_to_decide']")
    assert "1" in cell.inner_text("#work-queue tr[data-kind='offer_to_decide'] td.num")
    cell.click("#work-queue a:has-text('Offers to decide')")
    cell.wait_for_selector("#offer_to_decide")
    cell.click(f"#offer_to_decide a[href='/pledges/{pledge.pk}/']")
    cell.wait_for_url(f"**/pledges/{pledge.pk}/")
    # The acceptance itself is the pledge page's (tested with it); here through the service.
    pledge_services.transition_pledge(actor=personas["coordinator"], pledge_id=pledge.pk, to="accepted")
    cell.goto(f"{live_server.url}/inbox/")
    assert cell.locator("#offer_to_decide").count() == 0

    donor = open_page()
    sign_in(donor, live_server, "donor_usa")
    donor.goto(f"{live_server.url}/")
    assert donor.inner_text("#nav-notifications") == "Notifications (1)"
    donor.click("#nav-notifications")
    donor.wait_for_selector("#notifications tr.unread")
    assert "accepted" in donor.inner_text("#notifications tr.unread")
    donor.click("#notifications tr.unread button:has-text('Mark read')")
    donor.wait_for_selector("#notifications tr.unread", state="detached")
    assert donor.inner_text("#nav-notifications") == "Notifications (0)"
    donor.click(f"#notifications a[href='/pledges/{pledge.pk}/']")
    donor.wait_for_url(f"**/pledges/{pledge.pk}/")
