"""The API contract of issue 19: sites, shipments, events (409 going back), receipts, filters."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from clearinghouse.core import clock
from clearinghouse.logistics.tests import factories
from clearinghouse.pledges.models import Delivery

pytestmark = pytest.mark.django_db


def _post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_shipment_from_dispatch_to_receipt(personas: dict[str, Any], api_client: Any) -> None:
    donor, recipient = api_client(personas["donor_usa"]), api_client(personas["recipient"])
    allocation = factories.allocation(personas)
    r = _post(
        donor, "/api/v1/sites", {"code": "usa-depot", "name": "Depot", "kind": "depot", "country": "USA"}
    )
    assert r.status_code == 201, r.content
    assert r.json()["code"] == "USA-DEPOT"
    r = _post(
        api_client(personas["coordinator"]),
        "/api/v1/sites",
        {"code": "PL-HUB", "name": "Hub", "kind": "hub", "country": "POL", "releasability": "contact_group"},
    )
    assert r.status_code == 201
    assert {s["code"] for s in donor.get("/api/v1/sites").json()} >= {"USA-DEPOT", "PL-HUB"}
    body = {
        "allocation": allocation.pk,
        "quantity": 30,
        "from_site": "USA-DEPOT",
        "to_site": "PL-HUB",
        "carrier": "Maersk",
        "reference": "MSK-1",
        "dispatched_on": "2024-03-01",
        "expected_on": "2024-03-10",
    }
    r = _post(donor, "/api/v1/shipments", body)
    assert r.status_code == 201, r.content
    sid = r.json()["id"]
    assert r.json()["state"] == "planned"
    r = _post(donor, "/api/v1/shipments", {**body, "quantity": 21})
    assert r.status_code == 409
    assert "only 20 of its 50 are not shipped yet" in r.json()["detail"]
    for state in ("dispatched", "in_transit"):
        r = _post(donor, f"/api/v1/shipments/{sid}/events", {"state": state, "at": "2024-03-02T10:00:00Z"})
        assert r.status_code == 200, r.content
    assert [s["id"] for s in donor.get("/api/v1/shipments?state=in_transit").json()["items"]] == [sid]
    assert [s["id"] for s in donor.get("/api/v1/shipments?overdue=true").json()["items"]] == [sid]
    r = _post(donor, f"/api/v1/shipments/{sid}/events", {"state": "dispatched", "at": "2024-03-03T10:00:00Z"})
    assert r.status_code == 409
    r = _post(
        donor,
        f"/api/v1/shipments/{sid}/events",
        {"state": "at_hub", "at": "2024-03-04T10:00:00Z", "site": "PL-HUB"},
    )
    assert r.json()["events"][-1] == {
        "state": "at_hub",
        "at": "2024-03-04T10:00:00Z",
        "site": "PL-HUB",
        "source": "",
    }
    receipt = {"received": 28, "damaged": 3, "received_on": "2024-03-09", "note": "3 rounds wet"}
    assert _post(donor, f"/api/v1/shipments/{sid}/receipt", receipt).status_code == 403
    r = _post(recipient, f"/api/v1/shipments/{sid}/receipt", receipt)
    assert r.status_code == 200, r.content
    out = r.json()
    assert out["state"] == "received" and out["discrepancy"] == 5
    delivery = Delivery.objects.get(pk=out["delivery"])
    assert delivery.quantity == 25 and delivery.shipment.pk == sid
    assert donor.get(f"/api/v1/deliveries/{delivery.pk}").json()["confirmed"] is True
    assert [s["id"] for s in donor.get("/api/v1/discrepancies").json()["items"]] == [sid]
    assert donor.get("/api/v1/shipments?overdue=true").json() == {"items": [], "count": 0}
    r = _post(donor, f"/api/v1/shipments/{sid}/resolution", {"resolution": "write_off"})
    assert r.status_code == 422 and r.json()["field"] == "reason"
    r = _post(donor, f"/api/v1/shipments/{sid}/resolution", {"resolution": "write_off", "reason": "unusable"})
    assert r.status_code == 200 and r.json()["resolution"] == "write_off"
    assert donor.get("/api/v1/discrepancies").json()["count"] == 0


def test_bad_input_names_the_field(personas: dict[str, Any], api_client: Any) -> None:
    donor = api_client(personas["donor_usa"])
    s = factories.dispatched(personas)
    r = _post(donor, f"/api/v1/shipments/{s.pk}/events", {"state": "teleported"})
    assert r.status_code == 422 and r.json()["field"] == "state"
    r = _post(donor, "/api/v1/sites", {"code": "X", "name": "X", "kind": "hub", "country": "XXX"})
    assert r.status_code == 422 and r.json()["field"] == "country"
    r = _post(api_client(personas["recipient"]), f"/api/v1/shipments/{s.pk}/receipt", {"received": 31})
    assert r.status_code == 422 and r.json()["field"] == "received"
    future = (clock.today().replace(year=clock.today().year + 1)).isoformat()
    r = _post(
        api_client(personas["recipient"]),
        f"/api/v1/shipments/{s.pk}/receipt",
        {"received": 3, "received_on": future},
    )
    assert r.status_code == 422 and r.json()["field"] == "delivered_on"


def test_a_confidential_hub_is_withheld(personas: dict[str, Any], api_client: Any) -> None:
    s = factories.dispatched(personas)
    factories.site(personas, "SECRET-HUB", "hub", by="donor_usa", releasability="owner")
    donor = api_client(personas["donor_usa"])
    r = _post(donor, f"/api/v1/shipments/{s.pk}/events", {"state": "at_hub", "site": "SECRET-HUB"})
    assert r.json()["events"][-1]["site"] == "SECRET-HUB"
    recipient = api_client(personas["recipient"])
    assert "SECRET-HUB" not in {x["code"] for x in recipient.get("/api/v1/sites").json()}
    seen = recipient.get(f"/api/v1/shipments/{s.pk}").json()
    assert seen["events"][-1]["site"] == "withheld"
    assert recipient.get("/api/v1/shipments?hub=SECRET-HUB").json()["count"] == 0
    assert api_client(personas["donor_deu"]).get(f"/api/v1/shipments/{s.pk}").status_code == 404


def test_a_retried_create_makes_one_shipment(personas: dict[str, Any], api_client: Any) -> None:
    from clearinghouse.logistics.models import Shipment

    allocation = factories.allocation(personas)
    factories.sites(personas)
    donor = api_client(personas["donor_usa"])
    body = {"allocation": allocation.pk, "quantity": 5, "from_site": "USA-DEPOT", "to_site": "UKR-HANDOVER"}
    first = donor.post(
        "/api/v1/shipments", json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    again = donor.post(
        "/api/v1/shipments", json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert Shipment.objects.count() == 1
