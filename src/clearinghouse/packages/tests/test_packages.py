"""Jointly funded packages: from money to delivered capability, through the API, the CLI and the pages.

The done-criterion of issue 13 (packages): a package funded by two allies, contracted with a
schedule, shows up as offers in a clearing run; its deliveries reduce the shortfall; its value
appears as the funders' military aid in the records reports (and not as the implementer's)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from clearinghouse.catalog.services import load_catalog
from clearinghouse.clearing.models import Proposal
from clearinghouse.core import clock
from clearinghouse.core.models import AuditEvent
from clearinghouse.packages import services
from clearinghouse.packages.models import Package, ScheduleLine
from clearinghouse.pledges import services as pledge_services
from clearinghouse.pledges.models import Pledge
from clearinghouse.reports import selectors as report_selectors
from clearinghouse.requirements import services as requirement_services
from clearinghouse.requirements.models import Requirement

pytestmark = pytest.mark.django_db


def _month(offset: int) -> str:
    first = clock.today().replace(day=1)
    y, m = divmod(first.month - 1 + offset, 12)
    return f"{first.year + y}-{m + 1:02d}"


def _body(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "155 mm for the winter",
        "implementer": "USA",
        "items": [{"item_type": "AMM-155-HE", "quantity": 600, "unit_value": "3000.00", "currency": "EUR"}],
        "funders": [
            {"participant": "NLD", "amount": "1200000.00", "currency": "EUR"},
            {"participant": "DEU", "amount": "600000.00", "currency": "EUR"},
        ],
        "releasability": "contact_group",
    }
    body.update(over)
    return body


@pytest.fixture
def need(personas: dict[str, Any]) -> Requirement:
    load_catalog()
    return requirement_services.create_requirement(
        actor=personas["recipient"],
        data={
            "external_ref": "REQ-PKG-155",
            "capability": "ammunition",
            "item_types": ["AMM-155-HE"],
            "quantity": 1000,
            "priority": "critical",
            "needed_by": clock.today() + dt.timedelta(days=120),
            "releasability": "contact_group",
        },
    )


def _post(client: Any, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, data=json.dumps(body), content_type="application/json")


def _contract(cell: Any, pid: int) -> None:
    """A schedule delivering more than the contents is a 422 naming the line; then the right one."""
    too_much = _post(
        cell,
        f"/api/v1/packages/{pid}/contracts",
        {
            "supplier": "General Dynamics OTS",
            "value": "1750000.00",
            "currency": "EUR",
            "signed": clock.today().isoformat(),
            "schedule": [
                {"month": _month(0), "item_type": "AMM-155-HE", "quantity": 400},
                {"month": _month(2), "item_type": "AMM-155-HE", "quantity": 300},
            ],
        },
    )
    assert too_much.status_code == 422
    assert too_much.json()["field"] == "schedule[1].quantity"
    contract = _post(
        cell,
        f"/api/v1/packages/{pid}/contracts",
        {
            "supplier": "General Dynamics OTS",
            "value": "1750000.00",
            "currency": "EUR",
            "signed": clock.today().isoformat(),
            "schedule": [
                {"month": _month(0), "item_type": "AMM-155-HE", "quantity": 400},
                {"month": _month(2), "item_type": "AMM-155-HE", "quantity": 200},
            ],
        },
    )
    assert contract.status_code == 201, contract.content
    assert contract.json()["contracts"][0]["value"] == "1750000.00"


def test_package_from_money_to_delivery_through_the_api(
    need: Requirement, personas: dict[str, Any], api_client: Any
) -> None:
    cell = api_client(personas["coordinator"])
    # Proposed with funding short: moving to funded is a 409 naming the shortfall.
    short = _post(
        cell,
        "/api/v1/packages",
        _body(funders=[{"participant": "NLD", "amount": "1500000", "currency": "EUR"}]),
    )
    assert short.status_code == 201, short.content
    refused = _post(cell, f"/api/v1/packages/{short.json()['id']}/transition", {"to": "funded"})
    assert refused.status_code == 409
    assert "300000.00 EUR" in refused.json()["detail"]

    created = _post(cell, "/api/v1/packages", _body())
    assert created.status_code == 201, created.content
    data = created.json()
    pid = data["id"]
    assert data["state"] == "proposed"
    assert (data["price_eur"], data["funded_amount_eur"]) == ("1800000.00", "1800000.00")
    assert _post(cell, f"/api/v1/packages/{pid}/transition", {"to": "funded"}).json()["state"] == "funded"

    _contract(cell, pid)
    # Funded, not yet contracted: the schedule is not supply yet.
    assert not ScheduleLine.objects.filter(pledge__isnull=False).exists()
    assert (
        _post(cell, f"/api/v1/packages/{pid}/transition", {"to": "contracted"}).json()["state"]
        == "contracted"
    )
    lines = list(ScheduleLine.objects.select_related("pledge").order_by("month"))
    assert [(line.pledge.quantity, line.pledge.available_from) for line in lines if line.pledge] == [
        (400, dt.date.fromisoformat(_month(0) + "-01")),
        (200, dt.date.fromisoformat(_month(2) + "-01")),
    ]
    assert all(line.pledge and line.pledge.owner.code == "USA" for line in lines)

    # The clearing house offers the schedule; its proposals name the package.
    run = _post(cell, "/api/v1/clearing/runs", {})
    assert run.status_code == 201, run.content
    run_id = run.json()["id"]
    proposals = cell.get(f"/api/v1/clearing/runs/{run_id}/proposals").json()["items"]
    from_package = [p for p in proposals if p["package"] == pid]
    assert sum(p["quantity"] for p in from_package) == 600
    assert all(p["requirement"] == need.pk for p in from_package)
    accepted = _post(cell, f"/api/v1/clearing/runs/{run_id}/accept", {})
    assert accepted.status_code == 200 and len(accepted.json()["accepted"]) == len(proposals)
    assert {p["package"] for p in accepted.json()["accepted"]} == {pid}

    # The implementer's officers record deliveries like any other; they close the shortfall.
    first = Proposal.objects.get(run_id=run_id, pledge=lines[0].pledge)
    assert first.allocation_id is not None
    usa = api_client(personas["donor_usa"])
    delivered = _post(
        usa,
        "/api/v1/deliveries",
        {"allocation": first.allocation_id, "quantity": 250, "delivered_on": clock.today().isoformat()},
    )
    assert delivered.status_code == 201, delivered.content
    need.refresh_from_db()
    assert (need.allocated_quantity, need.delivered_quantity) == (600, 250)
    shortfalls = cell.get("/api/v1/clearing/shortfalls").json()
    [item] = [i for row in shortfalls["rows"] for i in row["items"] if i["requirement"] == need.pk]
    assert (item["required"], item["allocated"], item["short"]) == (1000, 600, 400)
    assert Decimal(item["short_eur"]) == Decimal(item["unit_value_eur"]) * 400 > 0
    shown = cell.get(f"/api/v1/packages/{pid}").json()
    assert shown["contracts"][0]["schedule"][0]["delivered"] == 250

    # The records reports credit the funders pro rata as military aid, never the implementer.
    donors = cell.get("/api/v1/reports/donors", {"source": "records", "type": "military"}).json()
    military = {
        d["participant"]: Decimal(str(d["value_eur_bn"])) for d in donors["donors"] if d["value_eur_bn"]
    }
    assert military["NLD"] == Decimal("0.0012") and military["DEU"] == Decimal("0.0006")
    assert "USA" not in military
    totals = cell.get("/api/v1/reports/totals", {"source": "records"}).json()
    year = next(r for r in totals["rows"] if r["period"] == str(clock.today().year))
    assert Decimal(str(year["military"])) == Decimal("0.0018")  # once, not with the schedule's pledges
    assert AuditEvent.objects.filter(object_type="packages.package", object_id=str(pid)).count() >= 3


def test_funding_from_a_financial_pledge_is_military_and_counted_once(
    need: Requirement, personas: dict[str, Any]
) -> None:
    pledge = pledge_services.create_pledge(
        actor=personas["donor_deu"],
        data={
            "donor": "DEU",
            "kind": "financial",
            "amount": "1000000.00",
            "currency": "EUR",
            "available_from": clock.today(),
            "releasability": "contact_group",
        },
    )
    pledge_services.transition_pledge(actor=personas["coordinator"], pledge_id=pledge.pk, to="accepted")
    pledge_services.transition_pledge(actor=personas["donor_deu"], pledge_id=pledge.pk, to="committed")
    data = _body(
        funders=[
            {"participant": "NLD", "amount": "1200000.00", "currency": "EUR"},
            {"participant": "DEU", "amount": "600000.00", "currency": "EUR", "pledge": pledge.pk},
        ]
    )
    package = services.create_package(actor=personas["coordinator"], data=data)
    before = report_selectors.totals_report(user=personas["coordinator"], source="records")
    row = before["rows"][-1]
    assert (row["military"], row["financial"]) == (Decimal(0), Decimal("0.001"))  # proposed: financial
    services.transition_package(actor=personas["coordinator"], package_id=package.pk, to="funded")
    after = report_selectors.totals_report(user=personas["coordinator"], source="records")
    row = after["rows"][-1]
    # 0.6 m of DEU's pledge is spent on the package (military), 0.4 m stays financial; NLD's 1.2 m.
    assert (row["military"], row["financial"]) == (Decimal("0.0018"), Decimal("0.0004"))
    assert row["total"] == Decimal("0.0022")


def test_who_may_write_and_who_may_read(need: Requirement, personas: dict[str, Any], api_client: Any) -> None:
    # The implementer's officers may propose its packages; another donor may not.
    assert _post(api_client(personas["donor_usa"]), "/api/v1/packages", _body()).status_code == 201
    assert _post(api_client(personas["donor_pol"]), "/api/v1/packages", _body()).status_code == 403
    owner_only = _post(api_client(personas["coordinator"]), "/api/v1/packages", _body(releasability="owner"))
    pid = owner_only.json()["id"]
    # A funder sees the package it pays for; a participant that is neither owner nor funder does not.
    assert api_client(personas["donor_deu"]).get(f"/api/v1/packages/{pid}").status_code == 200
    assert api_client(personas["donor_pol"]).get(f"/api/v1/packages/{pid}").status_code == 404
    ids = [p["id"] for p in api_client(personas["donor_pol"]).get("/api/v1/packages").json()["items"]]
    assert pid not in ids
    assert (
        _post(
            api_client(personas["donor_pol"]), f"/api/v1/packages/{pid}/transition", {"to": "funded"}
        ).status_code
        == 404
    )
    assert (
        _post(
            api_client(personas["donor_deu"]), f"/api/v1/packages/{pid}/transition", {"to": "funded"}
        ).status_code
        == 403
    )
    # Cancelling needs a reason; it withdraws the offers nothing is allocated from.
    cell = api_client(personas["coordinator"])
    assert _post(cell, f"/api/v1/packages/{pid}/transition", {"to": "cancelled"}).status_code == 422
    gone = _post(
        cell, f"/api/v1/packages/{pid}/transition", {"to": "cancelled", "reason": "funds redirected"}
    )
    assert gone.json()["state"] == "cancelled" and gone.json()["cancel_reason"] == "funds redirected"
    assert _post(cell, f"/api/v1/packages/{pid}/transition", {"to": "funded"}).status_code == 409


def test_cancelling_a_contracted_package_withdraws_its_offers(
    need: Requirement, personas: dict[str, Any]
) -> None:
    cell = personas["coordinator"]
    package = services.create_package(actor=cell, data=_body())
    services.transition_package(actor=cell, package_id=package.pk, to="funded")
    services.add_contract(
        actor=cell,
        package_id=package.pk,
        data={
            "supplier": "X",
            "value": "1",
            "currency": "EUR",
            "signed": clock.today(),
            "schedule": [{"month": _month(1), "item_type": "AMM-155-HE", "quantity": 10}],
        },
    )
    services.transition_package(actor=cell, package_id=package.pk, to="contracted")
    pledge = Pledge.objects.get(package_line__contract__package=package)
    assert pledge.status == "committed"
    services.transition_package(actor=cell, package_id=package.pk, to="cancelled", reason="supplier failed")
    pledge.refresh_from_db()
    assert pledge.status == "withdrawn"


def test_cli_create_contract_show_list_and_clearing(need: Requirement, personas: dict[str, Any]) -> None:
    out = StringIO()
    call_command(
        "package",
        "create",
        "Winter shells",
        "--implementer",
        "USA",
        "--item",
        "AMM-155-HE:100:3000:EUR",
        "--funder",
        "NLD:200000:EUR",
        "--funder",
        "CAN:100000:EUR",
        "--as",
        "coordinator",
        "--format",
        "json",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    pid = data["id"]
    assert (data["state"], data["price_eur"], data["funded_amount_eur"]) == (
        "proposed",
        "300000.00",
        "300000.00",
    )
    call_command("package", "transition", str(pid), "funded", "--as", "coordinator", stdout=StringIO())
    call_command(
        "package",
        "contract",
        str(pid),
        "--supplier",
        "Nammo",
        "--value",
        "290000",
        "--currency",
        "EUR",
        "--signed",
        clock.today().isoformat(),
        "--schedule",
        f"{_month(1)}:AMM-155-HE:100",
        "--as",
        "coordinator",
        stdout=StringIO(),
    )
    call_command("package", "transition", str(pid), "contracted", "--as", "coordinator", stdout=StringIO())
    out = StringIO()
    call_command("package", "show", str(pid), "--format", "json", "--as", "analyst", stdout=out)
    shown = json.loads(out.getvalue())
    assert shown["state"] == "contracted" and shown["contracts"][0]["schedule"][0]["quantity"] == 100
    out = StringIO()
    call_command("package", "list", "--format", "json", stdout=out)
    assert [p["id"] for p in json.loads(out.getvalue())["items"]] == [pid]
    out = StringIO()
    call_command("clearing", "run", "--verbose", "--as", "coordinator", stdout=out)
    assert f"package {pid}" in out.getvalue()
    out = StringIO()
    call_command(
        "report",
        "donors",
        "--source",
        "records",
        "--type",
        "military",
        "--as",
        "coordinator",
        "--format",
        "json",
        stdout=out,
    )
    donors = {d["participant"]: d for d in json.loads(out.getvalue())["donors"]}
    assert set(donors) == {"NLD", "CAN"}
    with pytest.raises(Exception, match="short of funding"):
        other = services.create_package(actor=personas["coordinator"], data=_body(funders=[]))
        call_command("package", "transition", str(other.pk), "funded", "--as", "coordinator")


def test_pages_show_the_package_and_move_it(
    need: Requirement, personas: dict[str, Any], page_client: Any
) -> None:
    package = services.create_package(actor=personas["coordinator"], data=_body())
    client = page_client(personas["coordinator"])
    listing = client.get("/packages/")
    assert listing.status_code == 200 and b"155 mm for the winter" in listing.content
    page = client.get(f"/packages/{package.pk}/")
    assert page.status_code == 200
    assert b"1800000.00" in page.content and b"NLD" in page.content and b"Move the package" in page.content
    moved = client.post(f"/packages/{package.pk}/transition/", {"to": "funded"})
    assert moved.status_code == 302
    assert Package.objects.get(pk=package.pk).state == "funded"
    # Funded: a contract with its schedule from the page. Too much scheduled: refused, the typed
    # values shown again, nothing written.
    assert b"Add a contract" in client.get(f"/packages/{package.pk}/").content
    form = {
        "supplier": "Ammunition works",
        "value": "1800000.00",
        "currency": "EUR",
        "signed": clock.today().isoformat(),
        "schedule": f"{_month(1)} AMM-155-HE 400\n{_month(2)} AMM-155-HE 300\n",
    }
    refused = client.post(f"/packages/{package.pk}/contracts/", form)
    assert refused.status_code == 422 and b"Ammunition works" in refused.content
    assert b"schedule" in refused.content and not ScheduleLine.objects.exists()
    garbled = client.post(f"/packages/{package.pk}/contracts/", {**form, "schedule": "next month, lots"})
    assert garbled.status_code == 422 and b"schedule[0]" in garbled.content
    form["schedule"] = f"{_month(1)} AMM-155-HE 400\n{_month(2)} AMM-155-HE 200\n"
    assert client.post(f"/packages/{package.pk}/contracts/", form).status_code == 302
    assert sorted(ScheduleLine.objects.values_list("quantity", flat=True)) == [200, 400]
    # A reader who may not write sees no form and may not post one.
    reader = page_client(personas["donor_deu"])
    page = reader.get(f"/packages/{package.pk}/")
    assert page.status_code == 200 and b"Move the package" not in page.content
    assert b"Add a contract" not in page.content
    assert reader.post(f"/packages/{package.pk}/contracts/", form).status_code == 403
    assert ScheduleLine.objects.count() == 2
    # Marked contact_group: a participant outside the contact group does not see it.
    assert page_client(personas["nonmember"]).get(f"/packages/{package.pk}/").status_code == 404


def test_demo_packages_and_the_fund_disbursement(personas: dict[str, Any]) -> None:
    from clearinghouse.funds import demo as funds_demo
    from clearinghouse.funds.models import Disbursement
    from clearinghouse.packages import demo

    load_catalog()
    demo.seed(personas["admin"])
    funds_demo.seed(personas["admin"])
    counts = (
        Package.objects.count(),
        Pledge.objects.count(),
        Disbursement.objects.count(),
        AuditEvent.objects.count(),
    )
    demo.seed(personas["admin"])
    funds_demo.seed(personas["admin"])
    assert (
        Package.objects.count(),
        Pledge.objects.count(),
        Disbursement.objects.count(),
        AuditEvent.objects.count(),
    ) == counts
    us, cz = Package.objects.order_by("pk")
    assert (us.implementer, cz.implementer) == ("USA", "CZE")
    assert {f.participant.code for f in us.funders.all() if f.participant} == {
        "NLD",
        "DEU",
        "CAN",
        "DNK",
        "NOR",
        "SWE",
    }
    assert cz.funders.filter(participant__isnull=False).count() == 20
    assert cz.funders.filter(fund="ukraine-fund").count() == 1
    for p in (us, cz):
        assert p.state == "delivering" and p.funded_eur >= p.price_eur
        assert p.contracts.count() == 1
        assert ScheduleLine.objects.filter(contract__package=p, pledge__isnull=False).count() >= 4


def test_the_page_proposes_a_package(need: Requirement, personas: dict[str, Any], page_client: Any) -> None:
    form = {
        "title": "Shells from the page",
        "implementer": "USA",
        "releasability": "contact_group",
        "value_date": "",
        "items": "AMM-155-HE 600 3000.00 EUR\n",
        "funders": "NLD 1200000.00 EUR\nDEU, 600000.00, EUR\n",
    }
    # A donor officer of another participant may open the form but not create USA's package.
    deu = page_client(personas["donor_deu"])
    assert deu.get("/packages/new/").status_code == 200
    assert deu.post("/packages/new/", form).status_code == 403
    # Analysts and auditors do not propose packages.
    assert page_client(personas["analyst"]).get("/packages/new/").status_code == 403
    usa = page_client(personas["donor_usa"])
    assert b"/packages/new/" in usa.get("/packages/").content
    # A bad line: the reason, the typed values again, nothing written.
    bad = usa.post("/packages/new/", {**form, "items": "AMM-155-HE six hundred\n"})
    assert bad.status_code == 422 and b"items[0]" in bad.content and b"Shells from the page" in bad.content
    unknown = usa.post("/packages/new/", {**form, "funders": "XXX 10.00 EUR\n"})
    assert unknown.status_code == 422 and b"funders[0]" in unknown.content
    assert not Package.objects.exists()
    created = usa.post("/packages/new/", form)
    assert created.status_code == 302
    package = Package.objects.get()
    assert (package.title, package.state, package.releasability) == (
        "Shells from the page",
        "proposed",
        "contact_group",
    )
    assert sorted((f.participant.code, f.amount_eur) for f in package.funders.all()) == [
        ("DEU", Decimal("600000.00")),
        ("NLD", Decimal("1200000.00")),
    ]
    assert created["Location"] == f"/packages/{package.pk}/"
