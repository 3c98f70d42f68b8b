"""The country page (/participants/<code>/): the participant's pledges, deliveries, fund standing and
Kiel profile, each as far as the viewer may see."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clearinghouse.pledges import services as pledge_services
from clearinghouse.pledges.tests import factories

pytestmark = pytest.mark.django_db


def test_country_page_shows_pledges_deliveries_funds_and_kiel(
    personas: dict[str, Any], page_client: Any
) -> None:
    from clearinghouse.funds.tests.factories import cash, trio_fund
    from clearinghouse.tracker import services as ingest
    from clearinghouse.tracker.tests.kiel_files import R29

    ingest.import_kiel_release(actor=personas["admin"], directory=R29)
    trio_fund(personas["admin"])
    cash(personas["finance"], "trio", "POL", "1000.00", "EUR", "2024-06-03", releasability="contact_group")
    shown = factories.pledge(personas, donor="donor_pol", quantity=10, releasability="contact_group")
    hidden = factories.pledge(personas, donor="donor_pol", quantity=20, releasability="owner")
    pledge_services.transition_pledge(actor=personas["coordinator"], pledge_id=shown.pk, to="accepted")
    r = factories.requirement(personas)
    allocation = pledge_services.allocate(
        actor=personas["coordinator"], pledge_id=shown.pk, requirement_id=r.pk, quantity=10
    )
    pledge_services.record_delivery(
        actor=personas["donor_pol"], allocation_id=allocation.pk, quantity=4, delivered_on=dt.date(2024, 3, 1)
    )

    page = page_client(personas["donor_deu"]).get("/participants/POL/").content.decode()
    pledges = page.split('id="country-pledges"')[1].split("</section>")[0]
    assert f'href="/pledges/{shown.pk}/"' in pledges and f"/pledges/{hidden.pk}/" not in pledges
    assert "<strong>1</strong> pledge you may see" in pledges
    deliveries = page.split('id="country-deliveries"')[1].split("</section>")[0]
    assert "2024-03-01" in deliveries and f'href="/requirements/{r.pk}/"' in deliveries
    funds = page.split('id="country-funds"')[1].split("</section>")[0]
    assert 'href="/funds/trio/"' in funds
    kiel = page.split('id="country-kiel"')[1].split("</section>")[0]
    assert "release 29" in kiel and 'id="country-kiel-table"' in kiel
    assert "Total" in kiel and "of its 2021 GDP" in kiel
    assert 'aria-label="Breadcrumb"' in page and 'href="/participants/">Participants</a>' in page

    # Its own officer sees its own-eyes-only pledge too.
    own = page_client(personas["donor_pol"]).get("/participants/POL/").content.decode()
    assert f"/pledges/{hidden.pk}/" in own.split('id="country-pledges"')[1].split("</section>")[0]


def test_country_page_without_kiel_or_funds(personas: dict[str, Any], page_client: Any) -> None:
    response = page_client(personas["nonmember"]).get("/participants/USA/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Not a member of any fund you may see." in text and "No figures in the Kiel tracker" in text
    assert page_client(personas["nonmember"]).get("/participants/XXX/").status_code == 404
