"""`clearinghouse fund ...`: the status contract in JSON, table and CSV; contribute; readable errors."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from clearinghouse.funds.models import Contribution
from clearinghouse.funds.tests.factories import alliance_fund, exemption, trio_fund

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("fund", *args, stdout=out)
    return out.getvalue()


def test_status_json_has_every_member_of_the_group_and_the_totals(personas: dict[str, Any]) -> None:
    alliance_fund(personas["admin"])
    run(
        "opt-out",
        "ally-fund",
        "HUN",
        "--decision",
        str(exemption(personas["admin"], "ally-fund", "HUN")),
        "--as",
        "finance",
    )
    run("contribute", "ally-fund", "DEU", "1000000", "EUR", "--date", "2025-03-14", "--as", "finance")
    data = json.loads(run("status", "ally-fund", "--format", "json", "--as-of", "2025-12-31"))
    members = {m["participant"]: m for m in data["members"]}
    assert len(members) == 32
    assert members["HUN"]["share"] == "0.0000000000" and members["HUN"]["opted_out"] is True
    assert members["HUN"]["fair_share"] == "0.00" and members["HUN"]["met_pct"] is None
    for m in data["members"]:
        assert {"participant", "share", "fair_share", "credited", "gap", "met_pct"} <= set(m)
        assert Decimal(m["gap"]) == max(Decimal(0), Decimal(m["fair_share"]) - Decimal(m["credited"]))
    assert sum(Decimal(m["share"]) for m in data["members"]) == 1
    # Money is a decimal string with the currency's minor units, never a float.
    assert data["totals"]["target"] == "20000000000.00"
    assert data["totals"]["fair_share"] == data["totals"]["target"]
    assert data["currency"] == "USD" and data["period"] == {"from": 2025, "to": 2025, "cumulative": True}
    c = Contribution.objects.get()
    # 1,000,000 EUR at the ECB EUR/USD rate of 14 March 2025, in cents.
    assert (c.fx_date.isoformat(), Decimal(members["DEU"]["credited"])) == ("2025-03-14", c.converted_amount)
    assert c.converted_amount == (Decimal("1000000") * c.fx_rate).quantize(Decimal("0.01"))


def test_status_table_and_csv(personas: dict[str, Any]) -> None:
    trio_fund(personas["admin"])
    run("contribute", "trio", "DEU", "100000.00", "EUR", "--date", "2024-03-01", "--as", "finance")
    table = run("status", "trio", "--year", "2024")
    assert "DEU" in table and "250,000.00" in table and "40.00" in table and "TOTAL" in table
    csv_text = run("status", "trio", "--year", "2024", "--format", "csv").splitlines()
    assert csv_text[0].startswith("participant,share,fair_share")
    assert csv_text[1].startswith("DEU,0.5000000000,250000.00,100000.00,0.00,100000.00,150000.00,0.00,40.00")
    tagged = run("status", "trio", "--year", "2024", "--format", "csv", "--hxl").splitlines()
    assert tagged[0] == csv_text[0] and tagged[2:] == csv_text[1:]
    assert tagged[1].split(",")[0] == "#country +code +member"
    assert len(tagged[1].split(",")) == len(csv_text[0].split(","))


def test_contribute_prints_the_conversion_and_errors_are_one_line(personas: dict[str, Any]) -> None:
    trio_fund(personas["admin"])
    out = run("contribute", "trio", "FRA", "10956", "USD", "--date", "2024-01-02", "--as", "finance")
    assert "10,000.00 EUR at 0.9127418766 (ECB 2024-01-02)" in out
    with pytest.raises(CommandError, match="not an ISO 4217"):
        run("contribute", "trio", "FRA", "1", "XXQ", "--date", "2024-01-02", "--as", "finance")
    with pytest.raises(CommandError, match="Only finance officers"):
        run("contribute", "trio", "FRA", "1", "EUR", "--date", "2024-01-02", "--as", "donor_deu")
    with pytest.raises(CommandError, match="no active account"):
        run("contribute", "trio", "FRA", "1", "EUR", "--date", "2024-01-02", "--as", "ghost")
    with pytest.raises(CommandError, match="no fund"):
        run("status", "nope")
    assert Contribution.objects.count() == 1


def test_shares_show_the_rounding(personas: dict[str, Any]) -> None:
    trio_fund(personas["admin"])
    with pytest.raises(CommandError, match="decision: required"):
        run("opt-out", "trio", "POL", "--as", "finance")
    run(
        "opt-out",
        "trio",
        "POL",
        "--decision",
        str(exemption(personas["admin"], "trio", "POL")),
        "--as",
        "finance",
    )
    out = run("shares", "trio", "--year", "2025")
    assert "POL (opted out)" in out and "0.6250000000" in out and "TOTAL paying" in out
    data = json.loads(run("shares", "trio", "--format", "json"))
    assert data["total"] == "1.0000000000"


def test_credit_pledge_list_and_contributions_commands(personas: dict[str, Any]) -> None:
    from clearinghouse.funds.tests.factories import committed_pledge

    trio_fund(personas["admin"])
    pledge = committed_pledge(personas, releasability="contact_group")
    out = run("credit-pledge", "trio", str(pledge.pk), "--year", "2025", "--as", "finance")
    assert f"pledge {pledge.pk} of DEU credited in kind" in out and "200,000.00 EUR" in out
    with pytest.raises(CommandError, match="credited once"):
        run("credit-pledge", "trio", str(pledge.pk), "--as", "finance")
    run(
        "contribute",
        "trio",
        "FRA",
        "5",
        "EUR",
        "--date",
        "2024-01-02",
        "--releasability",
        "owner",
        "--as",
        "finance",
    )
    assert "trio\tFund trio\t1,500,000.00 EUR\t2024–2026" in run("list")
    # The in-kind credit keeps the pledge's marking (contact group); FRA's payment is FRA's only.
    seen_by_pol = json.loads(run("contributions", "trio", "--format", "json", "--as", "donor_pol"))
    seen_by_finance = json.loads(run("contributions", "trio", "--format", "json", "--as", "finance"))
    assert [c["participant"] for c in seen_by_pol["items"]] == ["DEU"]
    assert seen_by_pol["items"][0]["pledge_id"] == pledge.pk
    assert sorted(c["participant"] for c in seen_by_finance["items"]) == ["DEU", "FRA"]
