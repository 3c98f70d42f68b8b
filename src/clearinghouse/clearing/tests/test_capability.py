"""Issue 14 on database records: clearing runs use equivalence factors, coverage counts what
allocations provide, shortfalls and their trend in EUR, and the capability-area migration."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction

from clearinghouse.catalog.models import CapabilityArea, ItemType
from clearinghouse.catalog.services import load_catalog
from clearinghouse.clearing import selectors, services
from clearinghouse.core import clock
from clearinghouse.core.errors import Conflict, PermissionDenied
from clearinghouse.pledges import services as pledge_services
from clearinghouse.pledges.models import Allocation, Pledge
from clearinghouse.requirements import coverage
from clearinghouse.requirements import services as requirement_services
from clearinghouse.requirements.models import Requirement

TODAY = dt.date(2026, 11, 15)
PATRIOT_EUR = Decimal("371781764.00")
NASAMS_EUR = Decimal("49013492.00")


def _need(personas: dict[str, Any], types: list[str], quantity: int, **more: Any) -> Requirement:
    return requirement_services.create_requirement(
        actor=personas["recipient"],
        data={
            "capability": "air-defence",
            "item_types": types,
            "quantity": quantity,
            "unit": "Patriot-equivalent fire units",
            "priority": "critical",
            "needed_by": dt.date(2027, 1, 31),
            "releasability": "contact_group",
            **more,
        },
    )


def _offer(personas: dict[str, Any], item: str, quantity: int, donor: str = "donor_usa") -> Pledge:
    user = personas[donor]
    p = pledge_services.create_pledge(
        actor=user,
        data={
            "donor": user.participant.code,
            "kind": "in_kind",
            "item_type": item,
            "quantity": quantity,
            "unit_value": "1000000.00",
            "currency": "EUR",
            "available_from": dt.date(2026, 11, 1),
            "releasability": "coordination",
        },
    )
    return pledge_services.transition_pledge(actor=personas["coordinator"], pledge_id=p.pk, to="accepted")


@pytest.fixture
def catalog() -> None:
    load_catalog()


def _run_and_accept(personas: dict[str, Any]) -> tuple[Any, list[Any]]:
    run = services.run_matching(actor=personas["coordinator"], on=TODAY)
    proposals = list(run.proposals.order_by("pk"))
    services.accept_proposals(actor=personas["coordinator"], run_id=run.pk)
    return run, proposals


def test_a_patriot_equivalent_need_served_by_nasams_at_half_takes_twice_the_units(
    catalog: None, personas: dict[str, Any], api_client: Any, page_client: Any
) -> None:
    need = _need(personas, ["AD-PATRIOT", "AD-NASAMS"], 10)  # NASAMS at its catalog default, 0.5
    nasams = _offer(personas, "AD-NASAMS", 30)
    run, proposals = _run_and_accept(personas)
    assert [(p.pledge_id, p.quantity, p.provides) for p in proposals] == [(nasams.pk, 20, Decimal("10"))]
    assert run.problem["requirements"][0]["item_types"] == {"AD-NASAMS": 0.5, "AD-PATRIOT": 1.0}
    body = api_client(personas["coordinator"]).get(f"/api/v1/clearing/runs/{run.pk}/proposals").json()
    assert [(p["quantity"], p["provides"]) for p in body["items"]] == [(20, "10")]
    need.refresh_from_db()
    allocation = Allocation.objects.get(requirement=need)
    assert (allocation.quantity, allocation.factor, allocation.provides) == (20, Decimal("0.5"), Decimal(10))
    # Coverage sums what is provided, not units: 20 NASAMS cover the 10 Patriot-equivalents.
    assert (need.allocated_quantity, need.allocated_provides, need.status) == (20, Decimal(10), "covered")
    seen = coverage.of(need, personas["recipient"])
    assert (seen.allocated, seen.coverage_pct, seen.outstanding) == (Decimal(10), 100.0, Decimal(0))
    api = api_client(personas["recipient"]).get(f"/api/v1/requirements/{need.pk}").json()
    assert (api["allocated_quantity"], api["status"], api["coverage_pct"]) == (10, "covered", 100.0)
    unit = NASAMS_EUR / Decimal("0.5")  # a Patriot-equivalent at its cheapest acceptable way
    assert (api["unit_value_eur"], api["allocated_eur"], api["short_eur"]) == (
        f"{unit:.2f}",
        f"{10 * unit:.2f}",
        "0.00",
    )
    browser = page_client(personas["coordinator"])
    page = browser.get(f"/requirements/{need.pk}/").content.decode()
    assert '<td class="num">10 <span class="small muted">(× 0.5)</span></td>' in page
    shortfalls = browser.get("/shortfalls/").content.decode()
    run_page = browser.get(f"/clearing/runs/{run.pk}/").content.decode()
    provides = '<td class="num">10 <span class="small muted">Patriot-equivalent fire units</span></td>'
    assert provides in run_page
    assert "Patriot-equivalent fire units" in shortfalls and "10 of 10" in shortfalls
    # Nothing more fits: one more NASAMS would provide 0.5 beyond the need.
    with pytest.raises(Conflict, match=r"providing 0\.5 at factor 0\.500"):
        pledge_services.allocate(
            actor=personas["coordinator"], pledge_id=nasams.pk, requirement_id=need.pk, quantity=1
        )
    # And the database itself refuses what the services would: provided beyond the quantity.
    with pytest.raises(IntegrityError), transaction.atomic():
        Requirement.objects.filter(pk=need.pk).update(allocated_milli=10_001)


def test_factors_of_one_give_todays_result(catalog: None, personas: dict[str, Any]) -> None:
    need = _need(personas, ["AD-PATRIOT", "AD-NASAMS:1"], 10)  # the override makes NASAMS count 1
    _offer(personas, "AD-NASAMS", 30)
    run, proposals = _run_and_accept(personas)
    # Today's input (a list of codes, the exact min-cost flow) and today's result: 10 units.
    assert run.problem["requirements"][0]["item_types"] == ["AD-NASAMS", "AD-PATRIOT"]
    assert [(p.quantity, p.provides) for p in proposals] == [(10, Decimal("10"))]
    need.refresh_from_db()
    assert (need.allocated_quantity, need.allocated_provides, need.status) == (10, Decimal(10), "covered")


def test_a_fraction_left_over_is_not_proposed_and_a_changed_factor_is_refused(
    catalog: None, personas: dict[str, Any]
) -> None:
    need = _need(personas, ["AD-PATRIOT", "AD-NASAMS"], 3)
    nasams = _offer(personas, "AD-NASAMS", 1)
    pledge_services.allocate(
        actor=personas["coordinator"], pledge_id=nasams.pk, requirement_id=need.pk, quantity=1
    )
    need.refresh_from_db()
    assert need.allocated_provides == Decimal("0.5") and need.status == "partly_covered"
    assert coverage.as_number(coverage.of(need, personas["coordinator"]).allocated) == 0.5
    _offer(personas, "AD-NASAMS", 10, donor="donor_deu")
    run = services.run_matching(actor=personas["coordinator"], on=TODAY)
    # 2.5 open: the engine counts whole requirement units, 2, which 4 NASAMS provide.
    assert run.problem["requirements"][0]["quantity"] == 2
    (proposal,) = run.proposals.all()
    assert (proposal.quantity, proposal.provides) == (4, Decimal("2"))
    requirement_services.update_requirement(
        actor=personas["recipient"],
        requirement_id=need.pk,
        changes={"item_types": ["AD-PATRIOT", "AD-NASAMS:0.25"]},
    )
    outcome = services.accept_proposals(actor=personas["coordinator"], run_id=run.pk)
    assert [p.reason for p in outcome.refused] == [f"requirement {need.pk} changed its equivalence factors"]


def test_shortfalls_value_requirement_units_at_the_cheapest_way_to_provide_them(
    catalog: None, personas: dict[str, Any], api_client: Any
) -> None:
    _need(personas, ["AD-PATRIOT", "AD-NASAMS"], 10)
    _offer(personas, "AD-NASAMS", 8)
    _run_and_accept(personas)
    data = selectors.shortfalls(user=personas["coordinator"])
    (row,) = data["capabilities"]
    unit = NASAMS_EUR / Decimal("0.5")  # 98.0 M EUR: cheaper than a Patriot battery at 371.8 M EUR
    assert unit < PATRIOT_EUR
    assert row["required_eur"] == 10 * unit and row["allocated_eur"] == 4 * unit
    assert row["short_eur"] == 6 * unit and row["allocated_pct"] == 40.0
    (item,) = data["rows"][0]["items"]
    assert (item["required"], item["allocated"], item["short"]) == (10, 4, 6)
    assert item["unit"] == "Patriot-equivalent fire units"
    body = api_client(personas["recipient"]).get("/api/v1/clearing/shortfalls").json()
    assert body["capabilities"][0]["short_eur"] == f"{6 * unit:.2f}"
    assert body["rows"][0]["items"][0]["unit_value_eur"] == f"{unit:.2f}"


def test_the_trend_replays_coverage_at_each_month_end_from_the_audit_history(
    catalog: None, personas: dict[str, Any], api_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    need = _need(personas, ["AD-PATRIOT", "AD-NASAMS"], 10)
    nasams = _offer(personas, "AD-NASAMS", 12)
    allocation = pledge_services.allocate(
        actor=personas["coordinator"], pledge_id=nasams.pk, requirement_id=need.pk, quantity=12
    )
    pledge_services.update_allocation(
        actor=personas["coordinator"], allocation_id=allocation.pk, changes={"quantity": 8}
    )
    this_month = clock.today().replace(day=1)
    later = (this_month + dt.timedelta(days=62)).replace(day=5)  # two months on
    monkeypatch.setattr(clock, "today", lambda: later)
    trend = selectors.coverage_trend(user=personas["coordinator"], months=3)
    by_end = {m["month_end"]: m for m in trend["months"]}
    unit = NASAMS_EUR / Decimal("0.5")
    before = (this_month - dt.timedelta(days=1)).isoformat()
    assert by_end[before]["required_eur"] == 0  # nothing was required yet
    after = [m for end, m in by_end.items() if end > before]
    assert len(after) == 2
    for m in after:  # 8 NASAMS after the change (not the 12 first allocated): 4 of 10
        assert (m["required_eur"], m["allocated_eur"], m["allocated_pct"]) == (10 * unit, 4 * unit, 40.0)
        assert m["capabilities"][0]["capability"] == "air-defence"
    with pytest.raises(PermissionDenied):
        selectors.coverage_trend(user=personas["recipient"])
    client = api_client(personas["coordinator"])
    body = client.get("/api/v1/clearing/shortfalls/trend?months=3").json()
    assert [m["allocated_eur"] for m in body["months"]][-1] == f"{4 * unit:.2f}"
    assert api_client(personas["recipient"]).get("/api/v1/clearing/shortfalls/trend").status_code == 403
    assert client.get("/api/v1/clearing/shortfalls/trend?months=0").status_code == 422


def test_the_migration_puts_interceptors_under_air_defence(catalog: None, personas: dict[str, Any]) -> None:
    # The catalog as it was before: interceptors under ammunition, no new areas.
    ammunition = CapabilityArea.objects.get(code="ammunition")
    ItemType.objects.filter(code__in=["AMM-PATRIOT", "AMM-AMRAAM"]).update(capability=ammunition)
    ItemType.objects.filter(capability__code__in=["air-force", "maritime"]).delete()
    CapabilityArea.objects.filter(code__in=["air-force", "maritime"]).delete()
    interceptors = _need(personas, ["AMM-PATRIOT"], 500, capability="ammunition", unit="missiles")
    shells = _need(personas, ["AMM-155-HE"], 1000, capability="ammunition", unit="rounds")
    before = {c["capability"]: c for c in selectors.shortfalls(user=personas["coordinator"])["capabilities"]}
    assert "air-defence" not in before
    migration = importlib.import_module("clearinghouse.requirements.migrations.0006_capability_areas")
    migration.forward(apps, None)
    assert ItemType.objects.get(code="AMM-PATRIOT").capability.code == "air-defence"
    assert CapabilityArea.objects.filter(code__in=["air-force", "maritime"]).count() == 2
    interceptors.refresh_from_db()
    shells.refresh_from_db()
    # The requirement keeps its item types; only the area changes.
    assert interceptors.capability.code == "air-defence"
    assert [t.code for t in interceptors.item_types.all()] == ["AMM-PATRIOT"]
    assert shells.capability.code == "ammunition"
    after = {c["capability"]: c for c in selectors.shortfalls(user=personas["coordinator"])["capabilities"]}
    # The air-defence figure includes the Patriot interceptors; ammunition no longer does.
    assert (
        after["air-defence"]["required_eur"]
        == before["ammunition"]["required_eur"] - (after["ammunition"]["required_eur"])
    )
    assert after["air-defence"]["requirements"] == 1 and after["air-defence"]["required_eur"] > 0
    migration.backward(apps, None)
    interceptors.refresh_from_db()
    assert interceptors.capability.code == "ammunition"
