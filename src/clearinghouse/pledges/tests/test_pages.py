"""The pledge pages: filters, detail with timeline and role-dependent actions, forms, the catalog page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from clearinghouse.core.models import AuditEvent
from clearinghouse.pledges.models import Delivery, Pledge
from clearinghouse.pledges.tests import factories

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def ids_on(content: bytes) -> set[int]:
    return {int(n) for n in re.findall(rb'href="/pledges/(\d+)/"', content)}


def test_the_list_filters_by_donor_status_and_kind(personas: dict[str, Any], page_client: Any) -> None:
    usa = factories.pledge(personas, releasability="contact_group")
    usa_money = factories.financial(personas, releasability="contact_group")
    deu = factories.accepted(personas, donor="donor_deu", releasability="contact_group")
    secret = factories.pledge(personas, donor="donor_pol", releasability="owner")
    client = page_client(personas["donor_usa"])

    def listed(query: str) -> set[int]:
        response = client.get(f"/pledges/?{query}")
        assert response.status_code == 200
        return ids_on(response.content)

    assert listed("") == {usa.pk, usa_money.pk, deu.pk}  # not POL's own-eyes-only pledge
    assert listed("donor=DEU") == {deu.pk}
    assert listed("donor=usa&kind=financial") == {usa_money.pk}
    assert listed("status=accepted") == {deu.pk}
    assert listed("status=offered&kind=in_kind") == {usa.pk}
    assert listed("status=bogus&kind=bogus") == {usa.pk, usa_money.pk, deu.pk}
    assert secret.pk in ids_on(page_client(personas["coordinator"]).get("/pledges/").content)


def _buttons(html: str) -> set[str]:
    return set(re.findall(r'name="move" value="(\w+)"', html))


def test_the_detail_offers_the_moves_the_viewers_role_allows(
    personas: dict[str, Any], page_client: Any
) -> None:
    pledge = factories.pledge(personas)
    url = reverse("pledge-detail", args=[pledge.pk])
    seen = {name: page_client(personas[name]).get(url) for name in ("coordinator", "donor_usa", "analyst")}
    assert _buttons(seen["coordinator"].content.decode()) == {"accepted", "declined"}
    assert _buttons(seen["donor_usa"].content.decode()) == {"withdrawn"}
    assert _buttons(seen["analyst"].content.decode()) == set()
    assert f'href="/pledges/{pledge.pk}/edit/"' in seen["donor_usa"].content.decode()
    assert f'href="/pledges/{pledge.pk}/edit/"' not in seen["coordinator"].content.decode()
    assert page_client(personas["donor_deu"]).get(url).status_code == 404  # coordination marking


def test_transition_actions(personas: dict[str, Any], page_client: Any) -> None:
    pledge = factories.pledge(personas)
    url = reverse("pledge-transition", args=[pledge.pk])
    assert page_client(personas["analyst"]).post(url, {"to": "accepted"}).status_code == 403
    assert page_client(personas["donor_deu"]).post(url, {"to": "accepted"}).status_code == 404
    assert page_client(personas["donor_usa"]).post(url, {"to": "accepted"}).status_code == 403
    coordinator = page_client(personas["coordinator"])
    response = coordinator.post(url, {"to": "accepted"}, follow=True)
    assert f"Pledge P{pledge.pk} is now accepted." in response.content.decode()
    pledge.refresh_from_db()
    assert pledge.status == "accepted"
    response = coordinator.post(url, {"to": "declined"}, follow=True)
    assert f"cannot move pledge {pledge.pk} from accepted to declined" in response.content.decode()
    pledge.refresh_from_db()
    assert pledge.status == "accepted"


def test_allocate_deliver_and_confirm_from_the_pages(personas: dict[str, Any], page_client: Any) -> None:
    requirement = factories.requirement(personas, external_ref="R-AMMO")
    pledge = factories.accepted(personas)
    url = reverse("pledge-detail", args=[pledge.pk])
    coordinator, donor, recipient = (
        page_client(personas[n]) for n in ("coordinator", "donor_usa", "recipient")
    )
    page = coordinator.get(url).content.decode()
    assert 'id="allocate-form"' in page and f'<option value="{requirement.pk}">' in page
    assert 'id="allocate-form"' not in donor.get(url).content.decode()
    response = coordinator.post(
        reverse("pledge-allocate", args=[pledge.pk]), {"requirement": requirement.pk, "quantity": "100"}
    )
    assert response.status_code == 302 and response["Location"] == url
    allocation = pledge.allocations.get()
    assert allocation.quantity == 100
    page = donor.get(url).content.decode()
    assert 'id="delivery-form"' in page and f'<option value="{allocation.pk}">' in page
    record = reverse("delivery-record", args=[pledge.pk])
    refused = donor.post(record, {"allocation": allocation.pk, "quantity": "100"})
    # No date: refused by the service, shown beside the field, with what was typed kept.
    assert refused.status_code == 200 and not Delivery.objects.exists()
    html = refused.content.decode()
    assert 'id="err-delivered_on"' in html and 'name="quantity" min="1" value="100"' in html
    response = donor.post(
        reverse("delivery-record", args=[pledge.pk]),
        {"allocation": allocation.pk, "quantity": "100", "delivered_on": "2024-05-02"},
    )
    assert response.status_code == 302
    delivery = Delivery.objects.get()
    pledge.refresh_from_db()
    assert pledge.status == "delivered"  # every unit allocated and delivered
    assert 'class="confirm-receipt"' not in donor.get(url).content.decode()
    assert donor.post(reverse("delivery-confirm", args=[delivery.pk])).status_code == 403
    assert 'class="confirm-receipt"' in recipient.get(url).content.decode()
    assert recipient.post(reverse("delivery-confirm", args=[delivery.pk])).status_code == 302
    delivery.refresh_from_db()
    assert delivery.confirmed_by == personas["recipient"]
    timeline = recipient.get(url).content.decode().split('id="timeline"')[1]
    steps = [
        "Pledge entered: offered",
        "offered → accepted",
        f"Allocated 100 units to requirement R{requirement.pk}",
        "Delivered 100 units on 2024-05-02",
        "accepted → in_delivery",
        "in_delivery → delivered (all units allocated and delivered)",
        f"Receipt of delivery D{delivery.pk} confirmed",
    ]
    positions = [timeline.index(s) for s in steps]
    assert positions == sorted(positions)


def _pledge_form(**changes: Any) -> dict[str, Any]:
    data = {
        "external_ref": "USA-NEW-1",
        "kind": "in_kind",
        "item_type": "AMM-155-HE",
        "quantity": "500",
        "unit_value": "",
        "currency": "",
        "available_from": "2024-02-01",
        "releasability": "coordination",
        "notes": "",
    }
    return {**data, **changes}


def test_the_create_form_enters_a_pledge_of_the_officers_own_participant(
    personas: dict[str, Any], page_client: Any
) -> None:
    factories.ensure_catalog()
    client = page_client(personas["donor_deu"])
    page = client.get(reverse("pledge-create")).content.decode()
    assert 'name="donor"' not in page and "Germany (DEU)" in page
    response = client.post(reverse("pledge-create"), _pledge_form(donor="USA"))
    pledge = Pledge.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/pledges/{pledge.pk}/"
    assert (pledge.owner.code, pledge.quantity, str(pledge.unit_value), pledge.currency) == (
        "DEU",
        500,
        "3000.00",
        "EUR",
    )
    assert pledge.valuation_source.startswith("catalog reference price 3000.00 EUR")
    financial = _pledge_form(
        external_ref="DEU-FIN",
        kind="financial",
        item_type="",
        quantity="",
        amount="3000000",
        currency="USD",
        tranches="2025: 1000000; 2026: 2000000",
    )
    assert client.post(reverse("pledge-create"), financial).status_code == 302
    money = Pledge.objects.get(external_ref="DEU-FIN")
    assert [(t.year, str(t.amount)) for t in money.tranches.order_by("year")] == [
        (2025, "1000000.00"),
        (2026, "2000000.00"),
    ]
    assert page_client(personas["analyst"]).get(reverse("pledge-create")).status_code == 403
    assert (
        page_client(personas["recipient"]).post(reverse("pledge-create"), _pledge_form()).status_code == 403
    )


def test_the_create_form_shows_the_services_errors(personas: dict[str, Any], page_client: Any) -> None:
    factories.ensure_catalog()
    client = page_client(personas["donor_usa"])
    html = client.post(reverse("pledge-create"), _pledge_form(available_from="2021-06-01")).content.decode()
    unit_value = html.split('id="err-unit_value">')[1].split("</ul>")[0]
    assert "the catalog has no reference price for AMM-155-HE on 2021-06-01" in unit_value
    html = client.post(
        reverse("pledge-create"),
        _pledge_form(
            kind="financial", item_type="", quantity="", amount="5", currency="EUR", tranches="2025 = 4"
        ),
    ).content.decode()
    assert html.split('id="err-tranches">')[1].startswith(
        "<li>they add up to 4.00, not to the amount 5.00</li>"
    )
    assert Pledge.objects.count() == 0


def test_inline_validation_of_a_pledge(personas: dict[str, Any], page_client: Any) -> None:
    factories.ensure_catalog()
    client = page_client(personas["donor_usa"])
    url = reverse("pledge-validate")
    events = AuditEvent.objects.count()
    html = client.post(
        url, _pledge_form(quantity="-3"), HTTP_HX_TRIGGER_NAME="quantity", **HTMX
    ).content.decode()
    assert (
        '<ul class="errorlist" id="err-quantity" hx-swap-oob="true"><li>must be at least 1, got -3</li></ul>'
        in html
    )
    # All fields pass: the service itself finds what is wrong with the record.
    html = client.post(
        url, _pledge_form(unit_value="1000", currency="XYZ"), HTTP_HX_TRIGGER_NAME="currency", **HTMX
    ).content.decode()
    assert "Select a valid choice. XYZ is not one of the available choices." in html
    html = client.post(
        url, _pledge_form(item_type=""), HTTP_HX_TRIGGER_NAME="external_ref", **HTMX
    ).content.decode()
    assert (
        '<ul class="errorlist" id="err-item_type" hx-swap-oob="true">'
        "<li>required for an in-kind pledge</li></ul>" in html
    )
    html = client.post(url, _pledge_form(), HTTP_HX_TRIGGER_NAME="quantity", **HTMX).content.decode()
    assert "<li>" not in html
    assert (Pledge.objects.count(), AuditEvent.objects.count()) == (0, events)


def test_the_edit_form(personas: dict[str, Any], page_client: Any) -> None:
    from clearinghouse.core.etag import etag_for
    from clearinghouse.pledges.forms import PledgeForm

    pledge = factories.pledge(personas, external_ref="P-1")
    url = reverse("pledge-edit", args=[pledge.pk])
    client = page_client(personas["donor_usa"])
    assert client.get(url).status_code == 200
    data = {**PledgeForm.initial_from(pledge), "quantity": "150", "etag": etag_for(pledge)}
    data = {k: v for k, v in data.items() if k not in ("donor", "kind")}
    assert client.post(url, data).status_code == 302
    pledge.refresh_from_db()
    assert (pledge.quantity, pledge.kind, str(pledge.value_amount)) == (150, "in_kind", "450000.00")
    assert page_client(personas["coordinator"]).get(url).status_code == 403
    assert page_client(personas["donor_deu"]).get(url).status_code == 404
    html = client.post(
        reverse("pledge-edit-validate", args=[pledge.pk]),
        {**data, "quantity": "0"},
        HTTP_HX_TRIGGER_NAME="quantity",
        **HTMX,
    ).content.decode()
    assert "must be at least 1, got 0" in html


def test_the_catalog_page_lists_item_types_with_their_reference_price(
    personas: dict[str, Any], page_client: Any
) -> None:
    factories.ensure_catalog()
    html = page_client(personas["analyst"]).get("/catalog/?capability=ammunition").content.decode()
    assert "AMM-155-HE" in html and "AMM-152-HE" in html and "ART-M777" not in html
    row = html.split("<code>AMM-152-HE</code>")[1].split("</tr>")[0]
    assert "4,000.00 EUR" in row and "2022-01-24" in row


@pytest.mark.parametrize(
    "name",
    ["pledge-validate", "pledge-edit-validate", "pledge-transition", "pledge-allocate", "delivery-record"],
)
def test_actions_answer_405_to_get(personas: dict[str, Any], page_client: Any, name: str) -> None:
    pledge = factories.pledge(personas)
    kwargs = {} if name == "pledge-validate" else {"pledge_id": pledge.pk}
    assert page_client(personas["donor_usa"]).get(reverse(name, kwargs=kwargs)).status_code == 405


def test_confirm_answers_405_to_get(personas: dict[str, Any], page_client: Any) -> None:
    delivery = factories.delivery(personas)
    assert (
        page_client(personas["recipient"]).get(reverse("delivery-confirm", args=[delivery.pk])).status_code
        == 405
    )
