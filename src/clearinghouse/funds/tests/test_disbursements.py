"""The fund spends: disbursements to packages, never beyond the balance at their date."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from clearinghouse.funds import services
from clearinghouse.funds.models import Disbursement
from clearinghouse.funds.tests.factories import cash, trio_fund
from clearinghouse.packages import services as package_services
from clearinghouse.packages.models import Package
from clearinghouse.pledges.tests.factories import ensure_catalog

pytestmark = pytest.mark.django_db


@pytest.fixture
def fund_and_package(personas: dict[str, Any]) -> tuple[Any, Package]:
    ensure_catalog()
    fund = trio_fund(personas["admin"])
    cash(personas["finance"], "trio", "DEU", "100000.00", "EUR", "2025-03-03")
    cash(personas["finance"], "trio", "FRA", "60000.00", "EUR", "2025-06-02")
    package = package_services.create_package(
        actor=personas["coordinator"],
        data={
            "title": "Shells through the fund",
            "implementer": "CZE",
            "items": [
                {"item_type": "AMM-155-HE", "quantity": 50, "unit_value": "3000.00", "currency": "EUR"}
            ],
            "funders": [{"participant": "NLD", "amount": "20000.00", "currency": "EUR"}],
            "value_date": "2025-06-02",
        },
    )
    return fund, package


def test_a_disbursement_becomes_a_funder_and_the_balance_holds(
    fund_and_package: tuple[Any, Package], personas: dict[str, Any], api_client: Any
) -> None:
    fund, package = fund_and_package
    finance = api_client(personas["finance"])
    url = "/api/v1/funds/trio/disbursements"
    # On 2025-04-01 only DEU's 100,000 had come in: 130,000 is refused, naming the balance.
    body = {"package": package.pk, "amount": "130000.00", "currency": "EUR", "value_date": "2025-04-01"}
    refused = finance.post(url, data=json.dumps(body), content_type="application/json")
    assert refused.status_code == 409
    assert "100000.00 EUR" in refused.json()["detail"]
    body["value_date"] = "2025-06-02"
    made = finance.post(url, data=json.dumps(body), content_type="application/json")
    assert made.status_code == 201, made.content
    assert made.json()["converted_amount"] == "130000.00"
    package.refresh_from_db()
    assert package.funded_eur == Decimal("150000.00")
    fund_line = package.funders.get(fund="trio")
    assert (fund_line.amount, fund_line.participant_id) == (Decimal("130000.00"), None)
    # An earlier disbursement may not spend what a later one already used.
    early = {"package": package.pk, "amount": "40000.00", "currency": "EUR", "value_date": "2025-03-10"}
    assert finance.post(url, data=json.dumps(early), content_type="application/json").status_code == 409
    # Only finance officers disburse.
    assert (
        api_client(personas["coordinator"])
        .post(url, data=json.dumps(early), content_type="application/json")
        .status_code
        == 403
    )
    flows = finance.get(url, {"as_of": "2025-12-31"}).json()
    assert (flows["sources"], flows["uses"], flows["balance"]) == ("160000.00", "130000.00", "30000.00")
    assert [r["balance"] for r in flows["over_time"]] == ["100000.00", "30000.00"]
    assert flows["disbursements"][0]["package"] == package.pk
    assert services.balance(fund, package.value_date) == Decimal("30000.00")
    # A member's officer sees the entries releasable to it, and no balance (it counts hidden payments).
    pol = api_client(personas["donor_pol"]).get(url).json()
    assert (pol["complete"], pol["balance"], pol["sources"], pol["disbursements"]) == (
        False,
        None,
        "0.00",
        [],
    )


def test_cli_disburse_and_the_fund_page(
    fund_and_package: tuple[Any, Package], personas: dict[str, Any], page_client: Any
) -> None:
    _, package = fund_and_package
    out = StringIO()
    call_command(
        "fund",
        "disburse",
        "trio",
        "--package",
        str(package.pk),
        "--amount",
        "50000",
        "--currency",
        "EUR",
        "--date",
        "2025-07-01",
        "--as",
        "finance",
        "--format",
        "json",
        stdout=out,
    )
    assert json.loads(out.getvalue())["converted_amount"] == "50000.00"
    assert Disbursement.objects.count() == 1
    out = StringIO()
    call_command("fund", "flows", "trio", "--as", "finance", "--format", "json", stdout=out)
    assert json.loads(out.getvalue())["balance"] == "110000.00"
    page = page_client(personas["finance"]).get("/funds/trio/")
    assert page.status_code == 200
    assert b"Sources and uses" in page.content and b"Shells through the fund" in page.content
    shown = page_client(personas["coordinator"]).get(f"/packages/{package.pk}/")
    assert b"fund trio" in shown.content
