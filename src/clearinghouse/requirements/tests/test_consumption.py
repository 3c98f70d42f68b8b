"""Consumption requirements: N units a month from month A to month B, matched month by month."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from clearinghouse.catalog.services import load_catalog
from clearinghouse.clearing import services as clearing_services
from clearinghouse.core.errors import InvalidInput
from clearinghouse.core.tabular import ImportErrors
from clearinghouse.pledges import services as pledge_services
from clearinghouse.requirements import consumption, services, spreadsheets
from clearinghouse.requirements.models import Requirement

pytestmark = pytest.mark.django_db

SHELLS = {
    "external_ref": "SHELLS-2027",
    "item_types": "AMM-155-HE",
    "rate_per_month": "155",
    "from_month": "2027-01",
    "to_month": "2027-06",
    "priority": "critical",
}


def test_a_rate_derives_its_quantity_and_needed_by(personas: dict[str, Any]) -> None:
    load_catalog()
    r = services.create_requirement(actor=personas["recipient"], data=dict(SHELLS))
    assert (r.rate_per_month, r.from_month, r.to_month) == (155, dt.date(2027, 1, 1), dt.date(2027, 6, 1))
    assert r.quantity == 155 * 6 and r.needed_by == dt.date(2027, 1, 1) and r.is_rate
    # The same quantity stated beside the rate is accepted; a rate change derives it again.
    services.update_requirement(actor=personas["recipient"], requirement_id=r.pk, changes={"quantity": 930})
    services.update_requirement(
        actor=personas["recipient"],
        requirement_id=r.pk,
        changes={"rate_per_month": 200, "to_month": "2027-03"},
    )
    r.refresh_from_db()
    assert r.quantity == 600 and r.to_month == dt.date(2027, 3, 1)
    # Clearing the three rate fields makes it a one-off quantity again.
    services.update_requirement(
        actor=personas["recipient"],
        requirement_id=r.pk,
        changes={"rate_per_month": None, "from_month": None, "to_month": None, "quantity": 50},
    )
    r.refresh_from_db()
    assert r.quantity == 50 and not r.is_rate and r.needed_by is None  # derived from the rate: gone with it


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"to_month": "2026-12"}, "to_month", "to_month: 2026-12 is before from_month 2027-01"),
        ({"rate_per_month": "0"}, "rate_per_month", "rate_per_month: must be at least 1"),
        ({"to_month": ""}, "to_month", "to_month: required for a consumption requirement"),
        ({"from_month": "2027-13"}, "from_month", "from_month: '2027-13' is not a month (YYYY-MM)"),
        (
            {"quantity": "1000"},
            "quantity",
            "quantity: a consumption requirement needs rate_per_month × months",
        ),
        ({"needed_by": "2027-03-01"}, "needed_by", "needed_by: a consumption requirement is needed month"),
        ({"to_month": "2040-01"}, "to_month", "to_month: a rate spans at most 120 months"),
    ],
)
def test_bad_rates_are_refused_naming_the_field(
    personas: dict[str, Any], changes: dict[str, str], field: str, message: str
) -> None:
    load_catalog()
    with pytest.raises(InvalidInput) as err:
        services.create_requirement(actor=personas["recipient"], data={**SHELLS, **changes})
    assert err.value.field == field and str(err.value.message).startswith(message)
    assert not Requirement.objects.exists()


def test_a_plain_requirement_still_needs_a_quantity(personas: dict[str, Any]) -> None:
    load_catalog()
    with pytest.raises(InvalidInput) as err:
        services.create_requirement(actor=personas["recipient"], data={"item_types": "AMM-155-HE"})
    assert err.value.field == "quantity"


def test_month_table_fills_from_the_available_month_then_late() -> None:
    jan, jun = dt.date(2027, 1, 1), dt.date(2027, 6, 1)
    rows = consumption.month_table(
        rate=100, first=jan, last=jun, allocations=[(dt.date(2027, 3, 10), 350), (dt.date(2026, 12, 1), 80)]
    )
    # 80 available before January fill January; 350 from March fill March to May and half of June...
    assert [(r.label, r.allocated, r.short) for r in rows] == [
        ("2027-01", 80, 20),
        ("2027-02", 0, 100),
        ("2027-03", 100, 0),
        ("2027-04", 100, 0),
        ("2027-05", 100, 0),
        ("2027-06", 50, 50),
    ]
    # ... and what does not fit from its month on goes to the latest months before it (late).
    late = consumption.month_table(rate=100, first=jan, last=jun, allocations=[(dt.date(2027, 5, 1), 300)])
    assert [r.allocated for r in late] == [0, 0, 0, 100, 100, 100]


def _offer(
    personas: dict[str, Any], quantity: int, available: dt.date, releasability: str = "coordination"
) -> Any:
    return pledge_services.create_pledge(
        actor=personas["donor_usa"],
        data={
            "donor": "USA",
            "kind": "in_kind",
            "item_type": "AMM-155-HE",
            "quantity": quantity,
            "unit_value": "3000.00",
            "currency": "EUR",
            "available_from": available,
            "releasability": releasability,
        },
    )


def test_clearing_matches_a_rate_month_by_month_and_folds_back(personas: dict[str, Any]) -> None:
    """A rate expands into one engine requirement per month short; proposals fold back to it; after
    acceptance the months left short are the ones no offer reaches in time."""
    load_catalog()
    r = services.create_requirement(actor=personas["recipient"], data=dict(SHELLS))
    # 400 rounds from March 2027: enough for March, April and 90 of May.
    _offer(personas, 400, dt.date(2027, 3, 1))
    built = clearing_services.build_problem(on=dt.date(2026, 11, 15))
    months = {e["id"]: e for e in built.problem["requirements"]}
    assert sorted(months) == [f"R{r.pk}@2027-0{m}" for m in range(1, 7)]
    assert all(e["quantity"] == 155 for e in months.values())
    assert months[f"R{r.pk}@2027-01"]["needed_by"] == 2 and months[f"R{r.pk}@2027-06"]["needed_by"] == 7
    run = clearing_services.run_matching(actor=personas["coordinator"], on=dt.date(2026, 11, 15))
    proposals = list(run.proposals.all())
    assert [(p.requirement_id, p.quantity) for p in proposals] == [(r.pk, 400)]  # one, folded
    short = {s["requirement"] for s in run.explanations["shortfalls"]}
    assert f"R{r.pk}@2027-01" in short and f"R{r.pk}@2027-03" not in short
    outcome = clearing_services.accept_proposals(actor=personas["coordinator"], run_id=run.pk)
    assert outcome.refused == [] and len(outcome.accepted) == 1
    r.refresh_from_db()
    assert r.allocated_quantity == 400
    table = {m.label: m.short for m in consumption.requirement_months(r)}
    assert table == {
        "2027-01": 155,
        "2027-02": 155,
        "2027-03": 0,
        "2027-04": 0,
        "2027-05": 65,
        "2027-06": 155,
    }
    # The next run asks only for what is still short, month by month.
    again = clearing_services.build_problem(on=dt.date(2026, 11, 15))
    assert {e["id"]: e["quantity"] for e in again.problem["requirements"]} == {
        f"R{r.pk}@2027-01": 155,
        f"R{r.pk}@2027-02": 155,
        f"R{r.pk}@2027-05": 65,
        f"R{r.pk}@2027-06": 155,
    }


def test_the_run_page_links_the_months_short_to_their_requirement(
    personas: dict[str, Any], page_client: Any
) -> None:
    load_catalog()
    r = services.create_requirement(actor=personas["recipient"], data=dict(SHELLS))
    run = clearing_services.run_matching(actor=personas["coordinator"], on=dt.date(2026, 11, 15))
    html = page_client(personas["coordinator"]).get(f"/clearing/runs/{run.pk}/").content.decode()
    assert f'<a href="/requirements/{r.pk}/">R{r.pk}@2027-01</a>' in html
    listing = page_client(personas["recipient"]).get("/requirements/").content.decode()
    assert "155 a month" in listing and "2027-01 to 2027-06" in listing


def test_a_changed_rate_refuses_the_runs_proposals(personas: dict[str, Any]) -> None:
    load_catalog()
    r = services.create_requirement(actor=personas["recipient"], data=dict(SHELLS))
    _offer(personas, 100, dt.date(2027, 1, 1))
    run = clearing_services.run_matching(actor=personas["coordinator"], on=dt.date(2026, 11, 15))
    services.update_requirement(
        actor=personas["recipient"], requirement_id=r.pk, changes={"rate_per_month": 150}
    )
    outcome = clearing_services.accept_proposals(actor=personas["coordinator"], run_id=run.pk)
    assert outcome.accepted == []
    assert "changed its rate, its months or its priority" in outcome.refused[0].reason


def test_spreadsheet_import_reads_rates_all_or_nothing(personas: dict[str, Any], tmp_path: Path) -> None:
    load_catalog()
    header = "external_ref,capability,item_types,quantity,priority,needed_by,releasability,notes,"
    header += "rate_per_month,from_month,to_month\n"
    bad = tmp_path / "bad.csv"
    bad.write_text(
        header
        + "S-1,,AMM-155-HE,,critical,,,,155,2027-01,2027-06\n"
        + "S-2,,AMM-155-HE,,high,,,,100,2027-06,2027-01\n"
        + "S-3,,AMM-155-HE,,high,,,,,,\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportErrors) as err:
        spreadsheets.import_file(actor=personas["recipient"], path=bad)
    found = {(e.row, e.column): e.problem for e in err.value.errors}
    assert found[(3, "to_month")].startswith("2027-01 is before from_month 2027-06")
    assert (4, "quantity") in found  # neither a quantity nor a rate
    assert not Requirement.objects.exists()
    good = tmp_path / "good.csv"
    good.write_text(
        header
        + "S-1,,AMM-155-HE,,critical,,,,155,2027-01,2027-06\n"
        + "S-2,,AMM-155-HE,40,high,2027-02-01,,,,,\n",
        encoding="utf-8",
    )
    spreadsheets.import_file(actor=personas["recipient"], path=good)
    s1 = Requirement.objects.get(external_ref="S-1")
    assert (s1.rate_per_month, s1.quantity) == (155, 930)
    assert not Requirement.objects.get(external_ref="S-2").is_rate
    # The export imports again unchanged (the rate's quantity written as the total it derives).
    columns, rows = spreadsheets.export_rows(user=personas["recipient"])
    row = dict(zip(columns, rows[[r[0] for r in rows].index("S-1")], strict=True))
    assert (row["quantity"], row["rate_per_month"], row["from_month"], row["to_month"]) == (
        930,
        155,
        "2027-01",
        "2027-06",
    )
    summary = spreadsheets.import_file(actor=personas["recipient"], path=good)
    assert summary.unchanged == 2


def test_the_api_takes_a_rate_and_reports_the_months_short(personas: dict[str, Any], api_client: Any) -> None:
    load_catalog()
    client = api_client(personas["recipient"])
    body = {
        "item_types": ["AMM-155-HE"],
        "rate_per_month": 10,
        "from_month": "2027-01",
        "to_month": "2027-03",
    }
    created = client.post("/api/v1/requirements", body, content_type="application/json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert (data["quantity"], data["rate_per_month"], data["from_month"], data["to_month"]) == (
        30,
        10,
        "2027-01",
        "2027-03",
    )
    assert data["derived_from"] == []
    assert data["months_short"] == [
        {"month": "2027-01", "short": 10},
        {"month": "2027-02", "short": 10},
        {"month": "2027-03", "short": 10},
    ]
    # An owner-marked pledge the recipient may not see: which months it covers stays hidden from it.
    pledge = _offer(personas, 15, dt.date(2026, 12, 1), releasability="owner")
    pledge_services.transition_pledge(actor=personas["coordinator"], pledge_id=pledge.pk, to="accepted")
    pledge_services.allocate(
        actor=personas["coordinator"], pledge_id=pledge.pk, requirement_id=data["id"], quantity=15
    )
    cell = api_client(personas["coordinator"]).get(f"/api/v1/requirements/{data['id']}").json()
    assert cell["months_short"] == [{"month": "2027-02", "short": 5}, {"month": "2027-03", "short": 10}]
    assert client.get(f"/api/v1/requirements/{data['id']}").json()["months_short"] is None
    for wrong, field in (({"to_month": "2026-12"}, "to_month"), ({"from_month": "January"}, "from_month")):
        bad = client.post("/api/v1/requirements", {**body, **wrong}, content_type="application/json")
        assert bad.status_code == 422 and bad.json()["field"].endswith(field), bad.json()
    plain = client.post(
        "/api/v1/requirements", {"item_types": ["AMM-155-HE"], "quantity": 5}, content_type="application/json"
    ).json()
    assert plain["rate_per_month"] is None and plain["months_short"] == []


def test_the_requirement_page_shows_the_rate_and_its_months(
    personas: dict[str, Any], page_client: Any
) -> None:
    load_catalog()
    r = services.create_requirement(actor=personas["recipient"], data=dict(SHELLS))
    html = page_client(personas["coordinator"]).get(f"/requirements/{r.pk}/").content.decode()
    assert "155 rounds a month from 2027-01 to 2027-06" in html
    assert 'id="months"' in html and "2027-06" in html
    form = page_client(personas["recipient"]).get(f"/requirements/{r.pk}/edit/").content.decode()
    assert 'name="rate_per_month"' in form and 'value="2027-01"' in form


def test_the_form_page_enters_a_rate(personas: dict[str, Any], page_client: Any) -> None:
    load_catalog()
    client = page_client(personas["recipient"])
    data = {
        "item_types": ["AMM-155-HE"],
        "rate_per_month": "20",
        "from_month": "2027-01",
        "to_month": "2027-02",
        "priority": "high",
        "releasability": "contact_group",
    }
    response = client.post("/requirements/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    r = Requirement.objects.get()
    assert (r.rate_per_month, r.quantity) == (20, 40)
    wrong = client.post("/requirements/new/", {**data, "to_month": "2026-01"})
    assert wrong.status_code == 200 and "is before from_month" in wrong.content.decode()


def test_the_cli_lists_the_rate_and_its_months_short(personas: dict[str, Any]) -> None:
    load_catalog()
    services.create_requirement(actor=personas["recipient"], data={**SHELLS, "to_month": "2027-02"})
    out = io.StringIO()
    call_command("requirements", "list", "--as", "coordinator", "--format", "json", stdout=out)
    item = json.loads(out.getvalue())["items"][0]
    assert (item["rate_per_month"], item["from_month"], item["to_month"], item["quantity"]) == (
        155,
        "2027-01",
        "2027-02",
        310,
    )
    assert item["months_short"] == [{"month": "2027-01", "short": 155}, {"month": "2027-02", "short": 155}]
    assert item["derived_from"] == []
    table = io.StringIO()
    call_command("requirements", "list", "--as", "coordinator", stdout=table)
    assert "[155/month 2027-01..2027-02]" in table.getvalue()


def test_the_shortfall_report_spreads_a_rate_over_its_months(personas: dict[str, Any]) -> None:
    """By capability area and month: a rate counts its rate in each month of its range, with what the
    allocations cover there, not its whole quantity in its first month."""
    from clearinghouse.clearing import selectors as clearing_selectors

    load_catalog()
    r = services.create_requirement(actor=personas["recipient"], data=dict(SHELLS))
    _offer(personas, 400, dt.date(2027, 3, 1))
    run = clearing_services.run_matching(actor=personas["coordinator"], on=dt.date(2026, 11, 15))
    clearing_services.accept_proposals(actor=personas["coordinator"], run_id=run.pk)
    report = clearing_selectors.shortfalls(user=personas["coordinator"])
    items = {
        row["month"]: item for row in report["rows"] for item in row["items"] if item["requirement"] == r.pk
    }
    assert {m: (i["required"], i["allocated"], i["short"]) for m, i in items.items()} == {
        "2027-01": (155, 0, 155),
        "2027-02": (155, 0, 155),
        "2027-03": (155, 155, 0),
        "2027-04": (155, 155, 0),
        "2027-05": (155, 90, 65),
        "2027-06": (155, 0, 155),
    }
    area = next(c for c in report["capabilities"] if c["capability"] == r.capability.code)
    assert area["requirements"] == 1  # counted once in its area
    unit = items["2027-01"]["unit_value_eur"]
    assert area["short_eur"] == Decimal(unit) * (155 * 6 - 400)
