"""Offers against needs in a real browser: a donor offers from a requirement, the recipient accepts
from its offers list, and the header's search finds the requirement (Debian's Chromium, Playwright)."""

from __future__ import annotations

from typing import Any

import pytest
from tests.browser import require_chromium, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
require_chromium()


def test_a_donor_offers_against_a_requirement_and_the_recipient_accepts(
    open_page: Any, live_server: Any, personas: dict[str, Any]
) -> None:
    from clearinghouse.pledges.models import Pledge
    from clearinghouse.pledges.tests import factories

    requirement = factories.requirement(personas, external_ref="UKR-SHELLS-OFFER", quantity=600)

    donor = open_page(height=900)
    sign_in(donor, live_server, "donor_usa")
    donor.wait_for_selector("header nav")
    donor.fill("#header-q", "UKR-SHELLS")
    donor.press("#header-q", "Enter")
    donor.wait_for_selector("#results-requirements")
    donor.click(f"#results-requirements a[href='/requirements/{requirement.pk}/']")
    donor.click("#offer-against")
    donor.wait_for_selector("#offer-for")
    assert donor.input_value("#id_quantity") == "600"
    assert donor.input_value("#id_item_type") == "AMM-155-HE"
    donor.fill("#id_unit_value", "3000")
    donor.select_option("#id_currency", "EUR")
    donor.click("#pledge-form button[type=submit]")
    donor.wait_for_selector("#offered-against")
    assert "UKR-SHELLS-OFFER" in donor.inner_text("#offered-against")
    pledge = Pledge.objects.get(offered_against=requirement)

    recipient = open_page(height=900)
    sign_in(recipient, live_server, "recipient")
    recipient.wait_for_selector("header nav")
    recipient.goto(f"{live_server.url}/pledges/offers/")
    recipient.check(f"#offer-{pledge.pk}")
    recipient.click("#accept-selected")
    recipient.wait_for_selector("ul.messages li.success")
    assert "Accepted 1" in recipient.inner_text("ul.messages")
    pledge.refresh_from_db()
    assert pledge.status == "accepted"
