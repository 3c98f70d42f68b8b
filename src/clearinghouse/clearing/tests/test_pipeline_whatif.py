"""What-if on the whole pipeline (issue 13): a stalled or delayed donor or package takes back what it
has not delivered yet, including units already allocated, and the comparison reports the effect per
requirement and per month in units and in EUR (`comparison["pipeline"]`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from clearinghouse.clearing import services
from clearinghouse.core import clock
from clearinghouse.core.errors import InvalidInput
from clearinghouse.packages.tests import factories as package_factories
from clearinghouse.pledges import services as pledge_services
from clearinghouse.pledges.models import Allocation, Pledge
from clearinghouse.requirements.value import Valuer

pytestmark = pytest.mark.django_db


def _allocated(situation: dict[str, Any], personas: dict[str, Any]) -> Allocation:
    """300 US shells allocated to the low-priority need, 100 of them delivered: 200 in the pipeline."""
    cell = personas["coordinator"]
    usa = situation["pledges"]["usa"]
    pledge_services.transition_pledge(actor=cell, pledge_id=usa.pk, to="accepted")
    allocation = pledge_services.allocate(
        actor=cell, pledge_id=usa.pk, requirement_id=situation["requirements"]["shells-low"].pk, quantity=300
    )
    pledge_services.record_delivery(
        actor=cell, allocation_id=allocation.pk, quantity=100, delivered_on=situation["today"]
    )
    return allocation


def _cmp(run: Any) -> dict[str, Any]:
    assert isinstance(run.comparison, dict)
    return run.comparison


def _res(run: Any) -> dict[str, Any]:
    assert isinstance(run.result, dict)
    return run.result


def _row(run: Any, requirement: Any) -> dict[str, Any]:
    rows = [r for r in _cmp(run)["pipeline"]["requirements"] if r["requirement_pk"] == requirement.pk]
    assert len(rows) == 1, _cmp(run)["pipeline"]
    row: dict[str, Any] = rows[0]
    return row


def _eur(requirement: Any, units: int) -> str:
    value = Valuer(clock.today()).unit_value(requirement)
    assert value is not None
    return str((Decimal(units) * value).quantize(Decimal("0.01")))


def test_stalled_donor_takes_back_allocated_undelivered_units(
    situation: dict[str, Any], personas: dict[str, Any]
) -> None:
    _allocated(situation, personas)
    low = situation["requirements"]["shells-low"]
    run = services.run_scenario(
        actor=personas["coordinator"], scenario={"exclude_donors": ["USA"]}, on=situation["today"]
    )
    row = _row(run, low)
    assert row["units_lost"] == 200 and row["units_delayed"] == 0
    assert row["eur_lost"] == _eur(low, 200)
    assert row["months"] == [{"month": "2026-11", "units": -200, "eur": "-" + _eur(low, 200)}]
    assert _cmp(run)["pipeline"]["total_units_lost"] == 200
    assert _cmp(run)["pipeline"]["total_eur_lost"] == _eur(low, 200)
    # The requirement's shortfall in the scenario rises by the 200 units taken back.
    change = next(c for c in _cmp(run)["requirements"] if c["requirement_pk"] == low.pk)
    assert change["scenario_unmet"] - change["baseline_unmet"] == 200


def test_without_a_disruption_the_pipeline_is_untouched(
    situation: dict[str, Any], personas: dict[str, Any]
) -> None:
    _allocated(situation, personas)
    run = services.run_scenario(
        actor=personas["coordinator"], scenario={"exclude_donors": ["DEU"]}, on=situation["today"]
    )
    assert _cmp(run)["pipeline"]["requirements"] == []
    assert _cmp(run)["pipeline"]["total_eur_lost"] == "0.00"


def test_delayed_donor_shifts_allocated_units_by_the_months(
    situation: dict[str, Any], personas: dict[str, Any]
) -> None:
    allocation = _allocated(situation, personas)
    low = situation["requirements"]["shells-low"]
    run = services.run_scenario(
        actor=personas["coordinator"], scenario={"delay_donors": {"USA": 3}}, on=situation["today"]
    )
    row = _row(run, low)
    assert row["units_lost"] == 0 and row["units_delayed"] == 200
    assert row["eur_delayed"] == _eur(low, 200)
    assert [(m["month"], m["units"]) for m in row["months"]] == [("2026-11", -200), ("2027-02", 200)]
    # Three months on is past this run's planning horizon (to January 2027): the pledge, its 200
    # allocated units included, drops out of the scenario, so the need is 200 units shorter.
    assert run.parameters["periods"] == 3
    assert not [a for a in _res(run)["allocations"] if a["offer"] == f"P{allocation.pledge_id}"]
    change = next(c for c in _cmp(run)["requirements"] if c["requirement_pk"] == low.pk)
    assert change["scenario_unmet"] - change["baseline_unmet"] == 200


def test_delay_inside_the_horizon_offers_the_units_again(
    situation: dict[str, Any], personas: dict[str, Any]
) -> None:
    allocation = _allocated(situation, personas)
    low = situation["requirements"]["shells-low"]
    run = services.run_scenario(
        actor=personas["coordinator"], scenario={"delay_donors": {"USA": 1}}, on=situation["today"]
    )
    assert [(m["month"], m["units"]) for m in _row(run, low)["months"]] == [
        ("2026-11", -200),
        ("2026-12", 200),
    ]
    # In delivery, the pledge offers nothing in the baseline; in the scenario the 200 units taken
    # back come again a month later, and the engine places them all (on the critical need).
    assert not [o for o in run.problem["offers"] if o["id"] == f"P{allocation.pledge_id}"]
    placed = [a for a in _res(run)["allocations"] if a["offer"] == f"P{allocation.pledge_id}"]
    assert sum(a["quantity"] for a in placed) == 200


def _package(personas: dict[str, Any], month: dt.date) -> tuple[Any, Pledge]:
    package = package_factories.contracted(
        personas["coordinator"],
        items=[{"item_type": "AMM-155-HE", "quantity": 600, "unit_value": "3000.00", "currency": "EUR"}],
        funders=[
            {"participant": "NLD", "amount": "1200000.00", "currency": "EUR"},
            {"participant": "DEU", "amount": "600000.00", "currency": "EUR"},
        ],
        schedule=[{"month": f"{month:%Y-%m}", "item_type": "AMM-155-HE", "quantity": 300}],
        signed=clock.today(),
        value="1750000.00",
    )
    return package, Pledge.objects.get(package_line__contract__package=package)


def test_stalled_package_removes_its_schedules_allocated_units(
    situation: dict[str, Any], personas: dict[str, Any]
) -> None:
    shells = situation["requirements"]["shells"]
    package, pledge = _package(personas, dt.date(2026, 12, 1))
    pledge_services.allocate(
        actor=personas["coordinator"], pledge_id=pledge.pk, requirement_id=shells.pk, quantity=100
    )
    run = services.run_scenario(
        actor=personas["coordinator"], scenario={"stall_packages": [package.pk]}, on=situation["today"]
    )
    assert (run.scenario or {})["stall_packages"] == [package.pk]
    row = _row(run, shells)
    assert row["units_lost"] == 100 and row["eur_lost"] == _eur(shells, 100)
    assert row["months"][0]["units"] == -100
    # Nothing of the package is offered in the scenario (its 200 pending units are gone too).
    assert not [a for a in _res(run)["allocations"] if a["offer"] == f"P{pledge.pk}"]
    # The baseline covers all 1,400 units of ammunition; without the package's 100 allocated and 200
    # pending units the scenario is 300 short.
    assert sum(c["change"] for c in _cmp(run)["requirements"] if c["capability"] == "ammunition") == 300


def test_delayed_package_shifts_its_schedule(situation: dict[str, Any], personas: dict[str, Any]) -> None:
    shells = situation["requirements"]["shells"]
    package, pledge = _package(personas, dt.date(2026, 12, 1))
    pledge_services.allocate(
        actor=personas["coordinator"], pledge_id=pledge.pk, requirement_id=shells.pk, quantity=100
    )
    run = services.run_scenario(
        actor=personas["coordinator"],
        scenario={"delay_packages": {str(package.pk): 2}},
        on=situation["today"],
    )
    row = _row(run, shells)
    assert row["units_delayed"] == 100 and row["units_lost"] == 0
    assert [(m["month"], m["units"]) for m in row["months"]] == [("2026-12", -100), ("2027-02", 100)]


def test_unknown_packages_and_bad_months_are_422(
    situation: dict[str, Any], personas: dict[str, Any], api_client: Any
) -> None:
    package, _pledge = _package(personas, dt.date(2026, 12, 1))
    client = api_client(personas["coordinator"])
    for body, field in (
        ({"stall_packages": [999999]}, "stall_packages.0"),
        ({"stall_packages": [package.pk, "x"]}, "stall_packages.1"),
        ({"delay_packages": {"999999": 2}}, "delay_packages.999999"),
        ({"delay_packages": {str(package.pk): -1}}, f"delay_packages.{package.pk}"),
        ({"delay_packages": {str(package.pk): "soon"}}, f"delay_packages.{package.pk}"),
    ):
        response = client.post("/api/v1/clearing/scenarios", body, content_type="application/json")
        assert response.status_code == 422, (body, response.content)
        assert response.json()["field"] == field
    with pytest.raises(InvalidInput) as caught:
        services.run_scenario(
            actor=personas["coordinator"], scenario={"stall_packages": "all"}, on=situation["today"]
        )
    assert caught.value.field == "stall_packages"


def test_api_answer_and_page_show_the_pipeline(
    situation: dict[str, Any], personas: dict[str, Any], api_client: Any, page_client: Any
) -> None:
    _allocated(situation, personas)
    response = api_client(personas["coordinator"]).post(
        "/api/v1/clearing/scenarios", {"exclude_donors": ["USA"]}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    pipeline = response.json()["comparison"]["pipeline"]
    assert pipeline["total_units_lost"] == 200 and isinstance(pipeline["total_eur_lost"], str)
    run = services.run_scenario(
        actor=personas["coordinator"], scenario={"exclude_donors": ["USA"]}, on=situation["today"]
    )
    page = page_client(personas["coordinator"]).get(f"/clearing/runs/{run.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="pipeline"' in text and "REQ-155-L" in text


def test_scenario_page_stalls_and_delays_a_package(
    situation: dict[str, Any], personas: dict[str, Any], page_client: Any
) -> None:
    from clearinghouse.clearing.models import ClearingRun

    shells = situation["requirements"]["shells"]
    package, pledge = _package(personas, dt.date(2026, 12, 1))
    pledge_services.allocate(
        actor=personas["coordinator"], pledge_id=pledge.pk, requirement_id=shells.pk, quantity=100
    )
    browser = page_client(personas["coordinator"])
    form = browser.get("/clearing/scenario/").content.decode()
    assert 'name="stall_packages"' in form and 'name="delay_package"' in form
    half = browser.post(
        "/clearing/scenario/",
        {"name": "Half a delay", "lateness_penalty": "100", "delay_package": package.pk},
    )
    assert half.status_code == 200 and "Give both a package and a number of months" in half.content.decode()
    assert not ClearingRun.objects.exists()
    done = browser.post(
        "/clearing/scenario/",
        {"name": "Package stalls", "lateness_penalty": "100", "stall_packages": [package.pk]},
    )
    assert done.status_code == 302, done.content
    run = ClearingRun.objects.get(kind="scenario")
    assert (run.scenario or {})["stall_packages"] == [package.pk]
    page = browser.get(done["Location"]).content.decode()
    assert 'id="pipeline"' in page and "REQ-155" in page


def test_cli_scenario_reports_the_pipeline(
    situation: dict[str, Any], personas: dict[str, Any], tmp_path: Any, capsys: Any
) -> None:
    import json

    from django.core.management import call_command

    _allocated(situation, personas)
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps({"name": "US slips", "delay_donors": {"USA": 1}}))
    call_command("match", "--scenario", str(scenario), "--as", "coordinator")
    pipeline = json.loads(capsys.readouterr().out)["comparison"]["pipeline"]
    low = situation["requirements"]["shells-low"]
    row = next(r for r in pipeline["requirements"] if r["requirement_pk"] == low.pk)
    assert row["units_delayed"] == 200 and row["eur_delayed"] == _eur(low, 200)
