"""The requirement pages: filters, coverage bars, detail with timeline, forms with inline validation."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils.html import escape

from clearinghouse.core.models import AuditEvent
from clearinghouse.pledges import services as pledge_services
from clearinghouse.pledges.tests import factories
from clearinghouse.requirements.models import Requirement

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def ids_on(content: bytes) -> set[int]:
    """The requirements a page links to."""
    return {int(n) for n in re.findall(rb'href="/requirements/(\d+)/"', content)}


@pytest.fixture
def board(personas: dict[str, Any]) -> dict[str, Any]:
    """Three requirements: critical 155mm (open), high guns (open), critical 152mm (partly covered)."""
    r155 = factories.requirement(personas, priority="critical", external_ref="R-155")
    guns = factories.requirement(
        personas, capability="artillery", item_types=["ART-M777"], quantity=10, external_ref="R-GUNS"
    )
    r152 = factories.requirement(
        personas, item_types=["AMM-152-HE"], priority="critical", quantity=400, external_ref="R-152"
    )
    pledge = factories.accepted(personas, item_type="AMM-152-HE", quantity=200)
    allocation = pledge_services.allocate(
        actor=personas["coordinator"], pledge_id=pledge.pk, requirement_id=r152.pk, quantity=200
    )
    pledge_services.record_delivery(
        actor=personas["donor_usa"], allocation_id=allocation.pk, quantity=80, delivered_on="2024-03-01"
    )
    return {"personas": personas, "r155": r155, "guns": guns, "r152": r152, "allocation": allocation}


def test_the_list_filters_by_capability_priority_and_status(board: dict[str, Any], page_client: Any) -> None:
    client = page_client(board["personas"]["donor_deu"])
    r155, guns, r152 = board["r155"].pk, board["guns"].pk, board["r152"].pk

    def listed(query: str) -> set[int]:
        response = client.get(f"/requirements/?{query}")
        assert response.status_code == 200
        return ids_on(response.content)

    assert listed("") == {r155, guns, r152}
    assert listed("priority=critical") == {r155, r152}
    assert listed("capability=artillery") == {guns}
    # The home page's "open" (nothing or only part allocated) is what the list calls open.
    assert listed("priority=critical&status=open") == {r155, r152}
    assert listed("status=unallocated") == {r155, guns}
    assert listed("status=partly_covered") == {r152}
    assert listed("status=covered") == set()
    assert listed("status=nonsense&priority=nonsense") == {r155, guns, r152}


def test_the_list_shows_coverage_bars(board: dict[str, Any], page_client: Any) -> None:
    content = page_client(board["personas"]["analyst"]).get("/requirements/?capability=ammunition").content
    row = content.decode().split(f'href="/requirements/{board["r152"].pk}/"')[1].split("</tr>")[0]
    # 200 of 400 allocated, 80 delivered.
    assert '<div class="bar" title="50.0% allocated, 20.0% delivered">' in row
    assert '<span class="w-50"></span><span class="delivered w-20"></span>' in row
    assert "Partly covered" in row


def test_the_detail_shows_allocations_deliveries_and_the_lifecycle(
    board: dict[str, Any], page_client: Any
) -> None:
    personas, r152, allocation = board["personas"], board["r152"], board["allocation"]
    response = page_client(personas["recipient"]).get(reverse("requirement-detail", args=[r152.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    timeline = html.split('id="timeline"')[1]
    entries = [
        "Requirement entered",
        f"Allocated 200 units of pledge P{allocation.pledge_id} (allocation A{allocation.pk})",
        "Delivered 80 units on 2024-03-01",
    ]
    positions = [timeline.index(e) for e in entries]
    assert positions == sorted(positions)
    assert "coordinator (NATO)" in timeline and "donor_usa (USA)" in timeline
    assert 'class="confirm-receipt"' in html  # the recipient confirms receipt
    assert 'id="allocate-form"' not in html
    coordinator_html = page_client(personas["coordinator"]).get(f"/requirements/{r152.pk}/").content.decode()
    assert 'class="confirm-receipt"' not in coordinator_html
    assert 'id="allocate-form"' in coordinator_html  # 200 units still open


def test_an_invisible_requirement_is_a_404_like_a_missing_one(
    personas: dict[str, Any], page_client: Any
) -> None:
    secret = factories.requirement(personas, releasability="owner")
    client = page_client(personas["donor_usa"])
    assert client.get(f"/requirements/{secret.pk}/").status_code == 404
    assert client.get(f"/requirements/{secret.pk + 1000}/").status_code == 404
    assert client.get(f"/requirements/{secret.pk}/edit/").status_code == 404
    assert ids_on(client.get("/requirements/").content) == set()
    assert page_client(personas["analyst"]).get(f"/requirements/{secret.pk}/").status_code == 200


def _form(**changes: Any) -> dict[str, Any]:
    data = {
        "external_ref": "UKR-NEW-1",
        "capability": "ammunition",
        "item_types": ["AMM-155-HE", "AMM-152-HE"],
        "quantity": "2500",
        "unit": "",
        "priority": "critical",
        "needed_by": "2027-01-31",
        "releasability": "contact_group",
        "notes": "for the winter",
    }
    return {**data, **changes}


def test_the_create_form_saves_through_the_service(personas: dict[str, Any], page_client: Any) -> None:
    factories.ensure_catalog()
    response = page_client(personas["recipient"]).post(reverse("requirement-create"), _form())
    requirement = Requirement.objects.get(external_ref="UKR-NEW-1")
    assert response.status_code == 302 and response["Location"] == f"/requirements/{requirement.pk}/"
    assert sorted(t.code for t in requirement.item_types.all()) == ["AMM-152-HE", "AMM-155-HE"]
    assert (requirement.quantity, requirement.unit, requirement.owner.code) == (2500, "rounds", "UKR")
    event = AuditEvent.objects.get(object_type="requirements.requirement", object_id=str(requirement.pk))
    assert (event.action, event.actor) == ("create", "recipient")


def test_the_create_form_shows_errors_beside_their_fields(personas: dict[str, Any], page_client: Any) -> None:
    factories.ensure_catalog()
    client = page_client(personas["recipient"])
    response = client.post(reverse("requirement-create"), _form(quantity="0", needed_by="next spring"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<ul class="errorlist" id="err-quantity"><li>must be at least 1, got 0</li></ul>' in html
    assert "&#x27;next spring&#x27; is not a date (YYYY-MM-DD)" in html.split('id="err-needed_by"')[1]
    factories.requirement(personas, external_ref="UKR-NEW-1")
    html = client.post(reverse("requirement-create"), _form()).content.decode()
    assert "UKR already has a requirement &#x27;UKR-NEW-1&#x27;" in html.split('id="err-external_ref"')[1]
    assert Requirement.objects.count() == 1


def test_inline_validation_answers_with_the_fields_errors(personas: dict[str, Any], page_client: Any) -> None:
    factories.ensure_catalog()
    client = page_client(personas["recipient"])
    url = reverse("requirement-validate")
    response = client.post(
        url,
        {"quantity": "abc", "priority": "high", "releasability": "contact_group"},
        HTTP_HX_TRIGGER_NAME="quantity",
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        '<ul class="errorlist" id="err-quantity" hx-swap-oob="true">'
        "<li>&#x27;abc&#x27; is not a whole number</li></ul>" in html
    )
    # Fields the user has not reached stay quiet, although they are wrong (empty item types).
    assert '<ul class="errorlist" id="err-item_types" hx-swap-oob="true"></ul>' in html


def test_inline_validation_runs_the_service_and_writes_nothing(
    personas: dict[str, Any], page_client: Any
) -> None:
    factories.requirement(personas, external_ref="UKR-NEW-1")
    client = page_client(personas["recipient"])
    requirements, events = Requirement.objects.count(), AuditEvent.objects.count()
    html = client.post(
        reverse("requirement-validate"), _form(), HTTP_HX_TRIGGER_NAME="notes", **HTMX
    ).content.decode()
    external_ref = html.split('id="err-external_ref" hx-swap-oob="true">')[1].split("</ul>")[0]
    assert external_ref == "<li>UKR already has a requirement &#x27;UKR-NEW-1&#x27;</li>"
    html = client.post(
        reverse("requirement-validate"),
        _form(external_ref="UKR-NEW-2"),
        HTTP_HX_TRIGGER_NAME="external_ref",
        **HTMX,
    ).content.decode()
    assert "<li>" not in html  # a valid form: no error anywhere
    assert (Requirement.objects.count(), AuditEvent.objects.count()) == (requirements, events)


def test_the_form_asks_for_inline_validation_on_change(personas: dict[str, Any], page_client: Any) -> None:
    factories.ensure_catalog()
    html = page_client(personas["recipient"]).get(reverse("requirement-create")).content.decode()
    quantity = re.search(r'<input[^>]*name="quantity"[^>]*>', html)
    assert quantity is not None
    for attribute in (
        'hx-post="/requirements/new/validate/"',
        'hx-trigger="change"',
        'hx-include="closest form"',
        'hx-sync="closest form:replace"',
    ):
        assert attribute in quantity.group(0)


def test_the_edit_form_updates_and_refuses_a_stale_copy(personas: dict[str, Any], page_client: Any) -> None:
    from clearinghouse.core.etag import etag_for
    from clearinghouse.requirements.forms import RequirementForm

    requirement = factories.requirement(personas, external_ref="R-1")
    client = page_client(personas["recipient"])
    page = client.get(reverse("requirement-edit", args=[requirement.pk]))
    assert page.status_code == 200 and escape(etag_for(requirement)) in page.content.decode()
    data = {
        **RequirementForm.initial_from(requirement),
        "notes": "more urgent now",
        "etag": etag_for(requirement),
    }
    response = client.post(reverse("requirement-edit", args=[requirement.pk]), data)
    assert response.status_code == 302
    requirement.refresh_from_db()
    assert (requirement.notes, requirement.version) == ("more urgent now", 2)
    # The same (now stale) copy again: refused, nothing changes.
    response = client.post(
        reverse("requirement-edit", args=[requirement.pk]), {**data, "notes": "lost update"}
    )
    assert response.status_code == 200
    assert "was changed by somebody else" in response.content.decode()
    requirement.refresh_from_db()
    assert requirement.notes == "more urgent now"
    assert (
        page_client(personas["coordinator"]).get(f"/requirements/{requirement.pk}/edit/").status_code == 403
    )


def test_cancel_and_allocate_actions(board: dict[str, Any], page_client: Any) -> None:
    personas, r155 = board["personas"], board["r155"]
    pledge = factories.accepted(personas, quantity=300)
    coordinator = page_client(personas["coordinator"])
    response = coordinator.post(
        reverse("requirement-allocate", args=[r155.pk]), {"pledge": pledge.pk, "quantity": "120"}
    )
    assert response.status_code == 302
    r155.refresh_from_db()
    assert r155.allocated_quantity == 120
    page = coordinator.get(response["Location"]).content.decode()
    assert f"Pledge P{pledge.pk} allocated to requirement R{r155.pk}." in page
    # The recipient cannot cancel while allocated units are not delivered: the service says why.
    recipient = page_client(personas["recipient"])
    response = recipient.post(
        reverse("requirement-cancel", args=[r155.pk]), {"confirmed": "yes", "reason": "bought"}, follow=True
    )
    assert "120 allocated units are not delivered yet" in response.content.decode()
    guns = board["guns"]
    assert (
        page_client(personas["analyst"]).post(reverse("requirement-cancel", args=[guns.pk])).status_code
        == 403
    )
    assert (
        recipient.post(reverse("requirement-allocate", args=[guns.pk]), {"pledge": pledge.pk}).status_code
        == 403
    )
    confirm = recipient.post(reverse("requirement-cancel", args=[guns.pk]))
    assert confirm.status_code == 200 and 'id="confirm-form"' in confirm.content.decode()
    guns.refresh_from_db()
    assert not guns.cancelled  # the first click only asks
    done = recipient.post(
        reverse("requirement-cancel", args=[guns.pk]), {"confirmed": "yes", "reason": "covered nationally"}
    )
    assert done.status_code == 302
    guns.refresh_from_db()
    assert guns.cancelled


@pytest.mark.parametrize(
    "name",
    ["requirement-validate", "requirement-edit-validate", "requirement-cancel", "requirement-allocate"],
)
def test_actions_answer_405_to_get(personas: dict[str, Any], page_client: Any, name: str) -> None:
    requirement = factories.requirement(personas)
    kwargs = {} if name == "requirement-validate" else {"requirement_id": requirement.pk}
    assert page_client(personas["recipient"]).get(reverse(name, kwargs=kwargs)).status_code == 405
