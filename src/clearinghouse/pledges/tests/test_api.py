"""The API doors: ETag / If-Match, Idempotency-Key, permissions, and errors as statuses."""

from __future__ import annotations

from typing import Any

import pytest

from clearinghouse.core.models import AuditEvent, IdempotencyRecord
from clearinghouse.pledges.models import Allocation, Delivery, Pledge
from clearinghouse.pledges.tests import factories
from clearinghouse.requirements.models import Requirement

pytestmark = pytest.mark.django_db

JSON = "application/json"
PLEDGE = {
    "external_ref": "US-155-01",
    "donor": "USA",
    "kind": "in_kind",
    "item_type": "AMM-155-HE",
    "quantity": 5000,
    "unit_value": "3100.50",
    "currency": "USD",
    "available_from": "2024-01-02",
    "releasability": "contact_group",
    "notes": "from stocks",
}


def test_a_pledge_through_the_api_from_offer_to_confirmed_delivery(
    personas: dict[str, Any], api_client: Any
) -> None:
    factories.ensure_catalog()
    donor, cell, recipient = (api_client(personas[n]) for n in ("donor_usa", "coordinator", "recipient"))
    created = donor.post("/api/v1/pledges", PLEDGE, content_type=JSON)
    assert created.status_code == 201, created.json()
    pledge = created.json()
    for field in PLEDGE:
        assert field in pledge
    assert (pledge["status"], pledge["value_amount"], pledge["fx_rate"]) == (
        "offered",
        "15502500.00",
        "1.0956000000",
    )
    assert created["ETag"]
    requirement = recipient.post(
        "/api/v1/requirements", {"item_types": ["AMM-155-HE"], "quantity": 10000}, content_type=JSON
    ).json()
    moved = cell.post(f"/api/v1/pledges/{pledge['id']}/transition", {"to": "accepted"}, content_type=JSON)
    assert moved.status_code == 200 and moved.json()["status"] == "accepted"
    allocation = cell.post(
        "/api/v1/allocations",
        {"pledge": pledge["id"], "requirement": requirement["id"], "quantity": 5000},
        content_type=JSON,
    )
    assert allocation.status_code == 201, allocation.json()
    delivery = donor.post(
        "/api/v1/deliveries",
        {"allocation": allocation.json()["id"], "quantity": 5000, "delivered_on": "2024-04-01"},
        content_type=JSON,
    )
    assert delivery.status_code == 201, delivery.json()
    assert donor.get(f"/api/v1/pledges/{pledge['id']}").json()["status"] == "delivered"
    confirmed = recipient.post(f"/api/v1/deliveries/{delivery.json()['id']}/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["confirmed_by"] == "recipient"
    req = recipient.get(f"/api/v1/requirements/{requirement['id']}").json()
    assert (req["status"], req["coverage_pct"], req["delivered_quantity"]) == ("partly_covered", 50.0, 5000)
    assert donor.get(f"/api/v1/deliveries?pledge={pledge['id']}").json()["count"] == 1
    assert donor.get(f"/api/v1/allocations?requirement={requirement['id']}").json()["count"] == 1


def test_a_stale_if_match_gets_412_and_loses_no_update(personas: dict[str, Any], api_client: Any) -> None:
    p = factories.pledge(personas)
    alice, bob = api_client(personas["donor_usa"]), api_client(personas["donor_usa"])
    tag = alice.get(f"/api/v1/pledges/{p.pk}")["ETag"]
    assert bob.get(f"/api/v1/pledges/{p.pk}")["ETag"] == tag
    first = alice.patch(f"/api/v1/pledges/{p.pk}", {"notes": "alice"}, content_type=JSON, HTTP_IF_MATCH=tag)
    assert first.status_code == 200 and first["ETag"] != tag
    second = bob.patch(f"/api/v1/pledges/{p.pk}", {"quantity": 7}, content_type=JSON, HTTP_IF_MATCH=tag)
    assert second.status_code == 412 and "changed by somebody else" in second.json()["detail"]
    p.refresh_from_db()
    assert (p.notes, p.quantity) == ("alice", 100)
    retried = bob.patch(
        f"/api/v1/pledges/{p.pk}", {"quantity": 7}, content_type=JSON, HTTP_IF_MATCH=first["ETag"]
    )
    assert (
        retried.status_code == 200 and retried.json()["notes"] == "alice" and retried.json()["quantity"] == 7
    )
    # No If-Match at all is allowed (last writer wins, by choice of the client); so is a weak or `*` tag.
    assert alice.patch(f"/api/v1/pledges/{p.pk}", {"notes": "n"}, content_type=JSON).status_code == 200
    assert (
        alice.patch(
            f"/api/v1/pledges/{p.pk}", {"notes": "m"}, content_type=JSON, HTTP_IF_MATCH="*"
        ).status_code
        == 200
    )
    weak = "W/" + alice.get(f"/api/v1/pledges/{p.pk}")["ETag"]
    assert (
        alice.patch(
            f"/api/v1/pledges/{p.pk}", {"notes": "o"}, content_type=JSON, HTTP_IF_MATCH=weak
        ).status_code
        == 200
    )


def test_a_transition_or_allocation_changes_the_etag(personas: dict[str, Any], api_client: Any) -> None:
    p = factories.pledge(personas)
    donor = api_client(personas["donor_usa"])
    tag = donor.get(f"/api/v1/pledges/{p.pk}")["ETag"]
    api_client(personas["coordinator"]).post(
        f"/api/v1/pledges/{p.pk}/transition", {"to": "accepted"}, content_type=JSON
    )
    stale = donor.patch(f"/api/v1/pledges/{p.pk}", {"notes": "x"}, content_type=JSON, HTTP_IF_MATCH=tag)
    assert stale.status_code == 412


@pytest.mark.parametrize("kind", ["requirement", "allocation", "delivery"])
def test_if_match_guards_every_patch(personas: dict[str, Any], api_client: Any, kind: str) -> None:
    d = factories.delivery(personas)
    url, who, body = {
        "requirement": (f"/api/v1/requirements/{d.allocation.requirement_id}", "recipient", {"notes": "x"}),
        "allocation": (f"/api/v1/allocations/{d.allocation_id}", "coordinator", {"notes": "x"}),
        "delivery": (f"/api/v1/deliveries/{d.pk}", "donor_usa", {"notes": "x"}),
    }[kind]
    client = api_client(personas[who])
    tag = client.get(url)["ETag"]
    assert client.patch(url, body, content_type=JSON, HTTP_IF_MATCH=tag).status_code == 200
    assert client.patch(url, {"notes": "y"}, content_type=JSON, HTTP_IF_MATCH=tag).status_code == 412


def test_a_retried_create_returns_the_first_response_and_creates_nothing(
    personas: dict[str, Any], api_client: Any
) -> None:
    factories.ensure_catalog()
    donor = api_client(personas["donor_usa"])
    first = donor.post("/api/v1/pledges", PLEDGE, content_type=JSON, HTTP_IDEMPOTENCY_KEY="import-42")
    events = AuditEvent.objects.count()
    again = donor.post("/api/v1/pledges", PLEDGE, content_type=JSON, HTTP_IDEMPOTENCY_KEY="import-42")
    assert (again.status_code, again.json(), again["ETag"]) == (201, first.json(), first["ETag"])
    assert Pledge.objects.count() == 1 and AuditEvent.objects.count() == events
    other = donor.post(
        "/api/v1/pledges", {**PLEDGE, "quantity": 6}, content_type=JSON, HTTP_IDEMPOTENCY_KEY="import-42"
    )
    assert other.status_code == 422 and other.json()["field"] == "Idempotency-Key"
    assert Pledge.objects.count() == 1
    # Keys belong to their user: the admin's "import-42" is a different key.
    admin = api_client(personas["admin"])
    theirs = admin.post(
        "/api/v1/pledges",
        {**PLEDGE, "external_ref": "X"},
        content_type=JSON,
        HTTP_IDEMPOTENCY_KEY="import-42",
    )
    assert theirs.status_code == 201 and Pledge.objects.count() == 2


def test_a_refused_create_is_not_remembered(personas: dict[str, Any], api_client: Any) -> None:
    factories.ensure_catalog()
    donor = api_client(personas["donor_usa"])
    refused = donor.post(
        "/api/v1/pledges", {**PLEDGE, "item_type": "NOPE"}, content_type=JSON, HTTP_IDEMPOTENCY_KEY="k"
    )
    assert refused.status_code == 422 and refused.json()["field"] == "item_type"
    assert not IdempotencyRecord.objects.exists()
    assert (
        donor.post("/api/v1/pledges", PLEDGE, content_type=JSON, HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    )


@pytest.mark.parametrize("route", ["requirements", "allocations", "deliveries"])
def test_every_create_is_idempotent(personas: dict[str, Any], api_client: Any, route: str) -> None:
    a = factories.allocation(personas)
    who, body, model = {
        "requirements": ("recipient", {"item_types": ["AMM-155-HE"], "quantity": 5}, Requirement),
        "allocations": (
            "coordinator",
            {"pledge": a.pledge_id, "requirement": a.requirement_id, "quantity": 5},
            Allocation,
        ),
        "deliveries": (
            "donor_usa",
            {"allocation": a.pk, "quantity": 5, "delivered_on": "2024-03-01"},
            Delivery,
        ),
    }[route]
    client = api_client(personas[who])
    before = model.objects.count()
    first = client.post(f"/api/v1/{route}", body, content_type=JSON, HTTP_IDEMPOTENCY_KEY="once")
    second = client.post(f"/api/v1/{route}", body, content_type=JSON, HTTP_IDEMPOTENCY_KEY="once")
    assert first.status_code == second.status_code == 201 and first.json() == second.json()
    assert model.objects.count() == before + 1


def test_errors_come_back_as_statuses_with_a_readable_detail(
    personas: dict[str, Any], api_client: Any
) -> None:
    p = factories.pledge(personas)
    donor, other = api_client(personas["donor_usa"]), api_client(personas["donor_pol"])
    illegal = donor.post(f"/api/v1/pledges/{p.pk}/transition", {"to": "delivered"}, content_type=JSON)
    assert illegal.status_code == 409
    assert illegal.json()["detail"] == f"cannot move pledge {p.pk} from offered to delivered"
    assert (
        donor.post(f"/api/v1/pledges/{p.pk}/transition", {"to": "nope"}, content_type=JSON).status_code == 422
    )
    foreign = other.post("/api/v1/pledges", {**PLEDGE, "donor": "USA"}, content_type=JSON)
    assert foreign.status_code == 403
    assert (
        api_client(personas["recipient"]).post("/api/v1/pledges", PLEDGE, content_type=JSON).status_code
        == 403
    )
    for reader in ("analyst", "auditor", "finance"):
        client = api_client(personas[reader])
        assert client.patch(f"/api/v1/pledges/{p.pk}", {"notes": "x"}, content_type=JSON).status_code == 403
    bad = donor.post("/api/v1/pledges", {**PLEDGE, "currency": "XYZ"}, content_type=JSON)
    assert bad.status_code == 422 and bad.json()["field"] == "currency"
    assert donor.post("/api/v1/pledges", {**PLEDGE, "quantity": -1}, content_type=JSON).status_code == 422


def test_invisible_and_missing_are_the_same_404(personas: dict[str, Any], api_client: Any) -> None:
    d = factories.delivery(personas, releasability="owner")
    outsider = api_client(personas["donor_pol"])
    for url, missing in [
        (f"/api/v1/pledges/{d.allocation.pledge_id}", "/api/v1/pledges/999999"),
        (f"/api/v1/allocations/{d.allocation_id}", "/api/v1/allocations/999999"),
        (f"/api/v1/deliveries/{d.pk}", "/api/v1/deliveries/999999"),
    ]:
        hidden, absent = outsider.get(url), outsider.get(missing)
        assert hidden.status_code == absent.status_code == 404
        assert hidden.content == absent.content
    patch = outsider.patch(f"/api/v1/pledges/{d.allocation.pledge_id}", {"notes": "x"}, content_type=JSON)
    assert patch.status_code == 404 and patch.content == outsider.get("/api/v1/pledges/999999").content
