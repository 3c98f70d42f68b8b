"""Requirements: entry, validation, derived status and coverage, cancellation, upsert, API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clearinghouse.core.errors import Conflict, InvalidInput, PermissionDenied
from clearinghouse.core.models import AuditEvent
from clearinghouse.pledges import services as pledges
from clearinghouse.pledges.tests import factories
from clearinghouse.requirements import selectors, services
from clearinghouse.requirements.choices import RequirementStatus
from clearinghouse.requirements.models import Requirement

pytestmark = pytest.mark.django_db


def test_the_recipient_enters_a_requirement_with_substitutes(personas: dict[str, Any]) -> None:
    factories.ensure_catalog()
    r = services.create_requirement(
        actor=personas["recipient"],
        data={
            "external_ref": "UKR-2025-001",
            "capability": "ammunition",
            "item_types": "AMM-155-HE; AMM-152-HE",  # a spreadsheet cell
            "quantity": "200000",
            "priority": "Critical",
            "needed_by": "2025-03-01",
        },
    )
    assert r.owner.code == "UKR" and r.unit == "rounds" and r.quantity == 200_000
    assert sorted(r.item_types.values_list("code", flat=True)) == ["AMM-152-HE", "AMM-155-HE"]
    assert (r.priority, r.needed_by, r.releasability) == ("critical", dt.date(2025, 3, 1), "contact_group")
    assert r.status == RequirementStatus.OPEN and r.coverage_pct == 0.0
    assert AuditEvent.objects.filter(object_type="requirements.requirement", action="create").count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"item_types": []}, "item_types"),
        ({"item_types": ["NOPE"]}, "item_types"),
        ({"capability": "cooking"}, "capability"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": "12.5"}, "quantity"),
        ({"quantity": "many"}, "quantity"),
        ({"priority": "urgent"}, "priority"),
        ({"needed_by": "next March"}, "needed_by"),
        ({"releasability": "secret"}, "releasability"),
        ({"releasable_to": ["XXX"]}, "releasable_to"),
        ({"colour": "green"}, "colour"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    personas: dict[str, Any], data: dict[str, Any], field: str
) -> None:
    factories.ensure_catalog()
    events = AuditEvent.objects.count()
    base = {"capability": "ammunition", "item_types": ["AMM-155-HE"], "quantity": 10}
    with pytest.raises(InvalidInput) as exc:
        services.create_requirement(actor=personas["recipient"], data={**base, **data})
    assert exc.value.field == field
    assert Requirement.objects.count() == 0 and AuditEvent.objects.count() == events


@pytest.mark.parametrize("name", ["donor_usa", "coordinator", "analyst", "auditor", "finance", "outsider"])
def test_only_the_recipients_officers_enter_requirements(personas: dict[str, Any], name: str) -> None:
    factories.ensure_catalog()
    with pytest.raises(PermissionDenied):
        services.create_requirement(actor=personas[name], data={"item_types": ["AMM-155-HE"], "quantity": 1})


def test_status_and_coverage_follow_allocations_and_deliveries(personas: dict[str, Any]) -> None:
    r = factories.requirement(personas, quantity=100)
    p = factories.accepted(personas, quantity=100)
    cell = personas["coordinator"]

    def status() -> tuple[str, float, float]:
        fresh = Requirement.objects.get(pk=r.pk)
        listed = {s for s in RequirementStatus.values if selectors.requirement_list(user=cell, status=s)}
        assert listed == {fresh.status}, "the SQL filter and the property disagree"
        return fresh.status, fresh.coverage_pct, fresh.delivered_pct

    assert status() == ("open", 0.0, 0.0)
    a = pledges.allocate(actor=cell, pledge_id=p.pk, requirement_id=r.pk, quantity=40)
    assert status() == ("partly_covered", 40.0, 0.0)
    pledges.update_allocation(actor=cell, allocation_id=a.pk, changes={"quantity": 100})
    assert status() == ("covered", 100.0, 0.0)
    pledges.record_delivery(
        actor=personas["donor_usa"], allocation_id=a.pk, quantity=99, delivered_on="2024-05-01"
    )
    assert status() == ("covered", 100.0, 99.0)
    pledges.record_delivery(
        actor=personas["donor_usa"], allocation_id=a.pk, quantity=1, delivered_on="2024-05-02"
    )
    assert status() == ("delivered", 100.0, 100.0)


def test_cancelling_needs_nothing_pending(personas: dict[str, Any]) -> None:
    r = factories.requirement(personas)
    p = factories.accepted(personas)
    a = pledges.allocate(actor=personas["coordinator"], pledge_id=p.pk, requirement_id=r.pk, quantity=5)
    with pytest.raises(Conflict, match="5 allocated units are not delivered"):
        services.cancel_requirement(actor=personas["recipient"], requirement_id=r.pk)
    pledges.release_allocation(actor=personas["coordinator"], allocation_id=a.pk)
    with pytest.raises(PermissionDenied):
        services.cancel_requirement(actor=personas["donor_usa"], requirement_id=r.pk)
    r = services.cancel_requirement(actor=personas["recipient"], requirement_id=r.pk, reason="bought it")
    assert r.status == "cancelled" and r.outstanding_quantity == 0
    with pytest.raises(Conflict, match="already cancelled"):
        services.cancel_requirement(actor=personas["recipient"], requirement_id=r.pk)
    with pytest.raises(Conflict, match="is cancelled"):
        pledges.allocate(actor=personas["coordinator"], pledge_id=p.pk, requirement_id=r.pk, quantity=1)


def test_updates_keep_the_invariants(personas: dict[str, Any]) -> None:
    r = factories.requirement(personas, item_types=["AMM-155-HE", "AMM-152-HE"], quantity=100)
    p = factories.accepted(personas)
    pledges.allocate(actor=personas["coordinator"], pledge_id=p.pk, requirement_id=r.pk, quantity=60)
    with pytest.raises(Conflict, match="60 are already allocated"):
        services.update_requirement(
            actor=personas["recipient"], requirement_id=r.pk, changes={"quantity": 59}
        )
    with pytest.raises(Conflict, match="AMM-155-HE"):
        services.update_requirement(
            actor=personas["recipient"], requirement_id=r.pk, changes={"item_types": ["AMM-152-HE"]}
        )
    with pytest.raises(InvalidInput):
        services.update_requirement(
            actor=personas["recipient"], requirement_id=r.pk, changes={"owner": "POL"}
        )
    r = services.update_requirement(
        actor=personas["recipient"], requirement_id=r.pk, changes={"quantity": 60}
    )
    assert r.status == "covered"


def test_an_update_that_changes_nothing_writes_nothing(personas: dict[str, Any]) -> None:
    r = factories.requirement(personas, notes="as is")
    events, version = AuditEvent.objects.count(), r.version
    same = services.update_requirement(
        actor=personas["recipient"], requirement_id=r.pk, changes={"notes": "as is"}
    )
    assert same.version == version and AuditEvent.objects.count() == events


def test_upsert_by_external_ref_creates_then_updates_then_changes_nothing(personas: dict[str, Any]) -> None:
    factories.ensure_catalog()
    row = {"external_ref": "R-1", "capability": "ammunition", "item_types": "AMM-155-HE", "quantity": "10"}
    first, what = services.upsert_requirement(actor=personas["recipient"], data=row)
    assert what == "created"
    again, what = services.upsert_requirement(actor=personas["recipient"], data=row)
    assert (again.pk, what) == (first.pk, "unchanged")
    changed, what = services.upsert_requirement(actor=personas["recipient"], data={**row, "quantity": "12"})
    assert (changed.pk, what, changed.quantity) == (first.pk, "updated", 12)
    with pytest.raises(Conflict, match="already has a requirement"):
        services.update_requirement(
            actor=personas["recipient"],
            requirement_id=factories.requirement(personas).pk,
            changes={"external_ref": "R-1"},
        )


def test_home_page_counts_open_requirements_by_priority(personas: dict[str, Any]) -> None:
    factories.requirement(personas, priority="critical")
    factories.requirement(personas, priority="critical")
    factories.requirement(personas, priority="low", releasability="owner")
    assert selectors.open_by_priority(user=personas["recipient"]) == {
        "critical": 2,
        "high": 0,
        "medium": 0,
        "low": 1,
    }
    # The owner-only one is invisible to a donor.
    assert selectors.open_by_priority(user=personas["donor_usa"])["low"] == 0


def test_api_create_filter_patch_and_cancel(personas: dict[str, Any], api_client: Any) -> None:
    factories.ensure_catalog()
    client = api_client(personas["recipient"])
    body = {"external_ref": "A-1", "item_types": ["AMM-155-HE"], "quantity": 300, "priority": "critical"}
    created = client.post("/api/v1/requirements", body, content_type="application/json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert (data["capability"], data["status"], data["coverage_pct"], data["owner"]) == (
        "ammunition",
        "open",
        0.0,
        "UKR",
    )
    listed = client.get("/api/v1/requirements?priority=critical&status=open&capability=ammunition").json()
    assert [r["id"] for r in listed["items"]] == [data["id"]] and listed["count"] == 1
    assert client.get("/api/v1/requirements?status=covered").json()["count"] == 0
    detail = client.get(f"/api/v1/requirements/{data['id']}")
    patched = client.patch(
        f"/api/v1/requirements/{data['id']}",
        {"quantity": 250},
        content_type="application/json",
        HTTP_IF_MATCH=detail["ETag"],
    )
    assert patched.status_code == 200 and patched.json()["quantity"] == 250
    assert patched["ETag"] != detail["ETag"]
    bad = client.patch(f"/api/v1/requirements/{data['id']}", {"quantity": 0}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["field"].endswith("quantity")
    cancel = f"/api/v1/requirements/{data['id']}/cancel"
    reason = {"reason": "covered by a national purchase"}
    cancelled = client.post(cancel, reason, content_type="application/json")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert client.post(cancel, reason, content_type="application/json").status_code == 409
