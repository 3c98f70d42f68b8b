"""Frameworks: fair share = yearly target × share × period in years; actual from records and from the
Kiel tracker; gap = fair share − actual; an exempt member holds no share; each door (CLI, API, page)."""

from __future__ import annotations

import io
import json
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from clearinghouse.frameworks.tests.factories import quad_framework, records

pytestmark = pytest.mark.django_db

CENT = Decimal("0.01")


def cents(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(CENT, rounding=ROUND_HALF_EVEN)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("framework", *args, stdout=out)
    return out.getvalue()


def status(*args: str) -> dict[str, Any]:
    return dict(json.loads(run("status", *args, "--format", "json")))


def by_member(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["participant"]: m for m in data["members"]}


def test_fair_share_actual_and_gap_from_records_over_a_year(personas: dict[str, Any]) -> None:
    quad_framework(personas["admin"])
    pledges = records(personas)
    data = status("quad")
    assert {"framework", "target", "currency", "members"} <= set(data)
    assert (data["framework"], data["target"], data["currency"], data["source"]) == (
        "quad",
        "1000000.00",
        "EUR",
        "records",
    )
    m = by_member(data)
    assert set(m) == {"DEU", "FRA", "POL", "USA"}
    for row in data["members"]:
        assert {"participant", "share", "fair_share", "actual", "gap"} <= set(row)
        assert Decimal(row["gap"]) == Decimal(row["fair_share"]) - Decimal(row["actual"])
    # FRA is exempt: no share, and the others' shares are re-normalised over DEU, POL, USA (50:30:20).
    assert (m["FRA"]["share"], m["FRA"]["fair_share"], m["FRA"]["exempt"]) == ("0.0000000000", "0.00", True)
    assert [m[c]["share"] for c in ("DEU", "POL", "USA")] == ["0.5000000000", "0.3000000000", "0.2000000000"]
    assert [m[c]["fair_share"] for c in ("DEU", "POL", "USA")] == ["500000.00", "300000.00", "200000.00"]
    # Actual: the earmarked money and the items; not the unearmarked money, 2025, or an offer.
    assert m["DEU"]["actual"] == "200000.00" and m["DEU"]["gap"] == "300000.00"
    assert Decimal(m["POL"]["actual"]) == pledges["pol"].value_eur
    assert m["USA"]["actual"] == "30000.00" and m["USA"]["gap"] == "170000.00"
    assert data["totals"]["fair_share"] == "1000000.00"


def test_fair_share_is_pro_rata_over_any_period(personas: dict[str, Any]) -> None:
    quad_framework(personas["admin"])
    records(personas)
    half = by_member(status("quad", "--from", "2024-01-01", "--to", "2024-06-30"))
    # 2024 is a leap year: 182 of 366 days.
    assert half["DEU"]["fair_share"] == str(cents(Fraction(1000000) * Fraction(1, 2) * Fraction(182, 366)))
    assert half["DEU"]["actual"] == "200000.00"
    across = status("quad", "--from", "2024-07-01", "--to", "2025-06-30")
    years = Fraction(184, 366) + Fraction(181, 365)
    assert by_member(across)["POL"]["fair_share"] == str(cents(Fraction(1000000) * Fraction(3, 10) * years))
    assert by_member(across)["DEU"]["actual"] == "50000.00"  # the 2025 pledge, not the 2024 ones
    assert across["target"] == str(cents(Fraction(1000000) * years))


def test_actual_from_the_kiel_release(personas: dict[str, Any]) -> None:
    from clearinghouse.tracker import services as ingest
    from clearinghouse.tracker.tests.kiel_files import R29, rows

    ingest.import_kiel_release(actor=personas["admin"], directory=R29)
    quad_framework(personas["admin"])
    records(personas)  # the records do not enter a Kiel status
    data = status("quad", "--from", "2023-01-01", "--to", "2023-12-31", "--source", "kiel")
    expected: dict[str, Decimal] = {}
    for row in rows(R29, "data_explorer.csv"):
        if row["iso"] in ("DEU", "FRA", "POL", "USA") and row["year"] == "2023":
            expected[row["iso"]] = expected.get(row["iso"], Decimal(0)) + Decimal(row["military"])
    m = by_member(data)
    for code, total in expected.items():
        assert m[code]["actual"] == str((total * Decimal(10**9)).quantize(CENT)), code
    assert Decimal(m["DEU"]["actual"]) > 0 and data["source"] == "kiel"
    assert "Release 29" in data["source_label"]
    # A month counts when the period includes its first day.
    march = status("quad", "--from", "2023-03-01", "--to", "2023-03-31", "--source", "kiel")
    deu_march = sum(
        Decimal(r["military"])
        for r in rows(R29, "data_explorer.csv")
        if (r["iso"], r["year"], r["month"]) == ("DEU", "2023", "3")
    )
    assert by_member(march)["DEU"]["actual"] == str((Decimal(deu_march) * Decimal(10**9)).quantize(CENT))


def test_a_contribution_counts_toward_several_frameworks_and_once_within_each(
    personas: dict[str, Any],
) -> None:
    quad_framework(personas["admin"])
    quad_framework(personas["admin"], slug="quad-two", target_amount="5000000.00", exempt=[])
    records(personas)
    one, two = by_member(status("quad")), by_member(status("quad-two"))
    assert one["DEU"]["actual"] == two["DEU"]["actual"] == "200000.00"
    # Without an exemption FRA holds its key share (10 of 110).
    assert two["FRA"]["share"] == "0.0909090909" and sum(Decimal(m["share"]) for m in two.values()) == 1


def test_the_same_row_is_credited_once_within_a_status() -> None:
    import datetime as dt

    from clearinghouse.frameworks.status import Aid, compute
    from clearinghouse.funds.shares import compute_shares

    table = compute_shares({"DEU": Decimal(1), "POL": Decimal(1)})
    aid = [
        Aid(("pledge", 1), "DEU", Decimal("10.00")),
        Aid(("pledge", 1), "DEU", Decimal("10.00")),  # the same pledge reached twice
        Aid(("pledge", 2), "DEU", Decimal("5.00")),
        Aid(("pledge", 3), "GBR", Decimal("7.00")),  # not a member: not counted
    ]
    result = compute(
        names={},
        yearly_target=Decimal("100.00"),
        start=dt.date(2023, 1, 1),
        end=dt.date(2023, 12, 31),
        shares={2023: table},
        aid=aid,
    )
    lines = {m.participant: m for m in result.members}
    assert lines["DEU"].actual == Decimal("15.00") and lines["DEU"].gap == Decimal("35.00")
    assert result.actual_total == Decimal("15.00") and result.target == Decimal("100.00")


def test_the_shipped_washington_baseline(personas: dict[str, Any]) -> None:
    from clearinghouse.funds.models import GdpFigure

    assert run("load", "--as", "finance").strip() == "frameworks: 1 created"
    assert run("load", "--as", "finance").strip() == "frameworks: 0 created"
    data = status("washington-baseline", "--from", "2025-01-01", "--to", "2025-12-31")
    m = by_member(data)
    assert len(m) == 32 and data["currency"] == "EUR" and data["target"] == "40000000000.00"
    assert m["HUN"]["share"] == "0.0000000000" and m["HUN"]["fair_share"] == "0.00"
    assert sum(Decimal(r["share"]) for r in data["members"]) == 1
    gdp = {g.participant.code: g.gdp_eur_bn for g in GdpFigure.objects.filter(year=2021)}
    participating = sum(v for k, v in gdp.items() if k != "HUN")
    exact = Fraction(gdp["USA"]) / Fraction(participating)
    assert abs(Fraction(Decimal(m["USA"]["share"])) - exact) <= Fraction(1, 10**10)
    assert m["USA"]["fair_share"] == str((Decimal(m["USA"]["share"]) * 40000000000).quantize(CENT))
    assert "washington-baseline" in run("list")


def test_bad_input_is_one_line_on_the_command_line(personas: dict[str, Any]) -> None:
    quad_framework(personas["admin"])
    for args, message in (
        (("--from", "2024-13-01"), "from: '2024-13-01' is not a date (YYYY-MM-DD)"),
        (("--to", "yesterday"), "to: 'yesterday' is not a date (YYYY-MM-DD)"),
        (("--from", "2024-06-01", "--to", "2024-05-01"), "to: 2024-05-01 is before from (2024-06-01)"),
        (("--source", "cia"), "source: 'cia' is not one of records, kiel"),
        (("--source", "kiel"), "source: no Kiel tracker release is imported"),
    ):
        with pytest.raises(CommandError) as exc:
            run("status", "quad", *args, "--format", "json")
        assert str(exc.value).startswith(message) and "\n" not in str(exc.value), str(exc.value)
    with pytest.raises(CommandError, match="not found"):
        run("status", "nope")


def test_the_api_lists_frameworks_and_answers_the_status(personas: dict[str, Any], api_client: Any) -> None:
    quad_framework(personas["admin"])
    records(personas)
    client = api_client(personas["analyst"])
    listed = client.get("/api/v1/frameworks").json()
    assert [f["slug"] for f in listed] == ["quad"] and listed[0]["exempt"] == ["FRA"]
    assert listed[0]["target_amount"] == "1000000.00"
    r = client.get("/api/v1/frameworks/quad/status?from=2024-01-01&to=2024-12-31&source=records")
    assert r.status_code == 200, r.content
    data = r.json()
    assert data["from"] == "2024-01-01" and by_member(data)["DEU"]["gap"] == "300000.00"
    assert client.get("/api/v1/frameworks/quad").json()["slug"] == "quad"
    for query, field in (("from=2024-02-30", "from"), ("to=nope", "to"), ("source=x", "source")):
        bad = client.get(f"/api/v1/frameworks/quad/status?{query}")
        assert bad.status_code == 422 and bad.json()["field"] == field, (query, bad.content)
    assert client.get("/api/v1/frameworks/nope/status").status_code == 404
    assert api_client(None).get("/api/v1/frameworks").status_code == 401


def test_the_page_shows_fair_share_against_actual_sorted_with_gaps_highlighted(
    personas: dict[str, Any], page_client: Any
) -> None:
    quad_framework(personas["admin"])
    records(personas)
    client = page_client(personas["analyst"])
    listing = client.get(reverse("framework-list")).content.decode()
    assert reverse("framework-detail", args=["quad"]) in listing and "FRA" in listing
    r = client.get(reverse("framework-detail", args=["quad"]) + "?sort=gap&order=asc")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="framework-status"' in html and "500,000.00" in html and "300,000.00" in html
    # Gaps ascending: FRA 0 (exempt), USA 170,000, POL 300,000 less about 90,000, DEU 300,000.
    assert [m["participant"] for m in r.context["data"]["members"]] == ["FRA", "USA", "POL", "DEU"]
    assert html.count('class="badge bad gap"') == 3  # DEU, POL and USA give less than their fair share
    bad = client.get(reverse("framework-detail", args=["quad"]) + "?source=cia")
    assert bad.status_code == 422 and "source: &#x27;cia&#x27; is not one of" in bad.content.decode()
    assert page_client(None).get(reverse("framework-list")).status_code == 302


def test_records_count_the_pledges_the_reader_may_see(personas: dict[str, Any], api_client: Any) -> None:
    quad_framework(personas["admin"])
    records(personas)  # marked `coordination`: the coordinating body and the donor see them
    url = "/api/v1/frameworks/quad/status"
    seen = {
        name: by_member(api_client(personas[name]).get(url).json())["DEU"]["actual"]
        for name in ("coordinator", "donor_deu", "donor_usa")
    }
    assert seen == {"coordinator": "200000.00", "donor_deu": "200000.00", "donor_usa": "0.00"}
    # The Kiel figures are public: the same for everyone (checked in test_actual_from_the_kiel_release).


def test_records_credit_a_package_to_its_funders_not_its_implementer(personas: dict[str, Any]) -> None:
    from clearinghouse.packages.tests.factories import contracted

    quad_framework(personas["admin"])
    records(personas)
    before = by_member(status("quad"))
    contracted(
        personas["coordinator"],
        title="Shells for the summer",
        value_date="2024-06-03",
        items=[{"item_type": "AMM-155-HE", "quantity": 100, "unit_value": "1000.00", "currency": "EUR"}],
        funders=[
            {"participant": "DEU", "amount": "60000.00", "currency": "EUR"},
            {"participant": "POL", "amount": "40000.00", "currency": "EUR"},
        ],
        schedule=[{"month": "2024-07", "item_type": "AMM-155-HE", "quantity": 100}],
        signed="2024-06-10",
        value="100000.00",
    )
    after = by_member(status("quad"))
    gained = {c: Decimal(after[c]["actual"]) - Decimal(before[c]["actual"]) for c in after}
    # The funders pro rata; the implementer's schedule pledge (USA, in kind, committed) counts for no one.
    assert gained == {"DEU": Decimal("60000.00"), "POL": Decimal("40000.00"), "FRA": 0, "USA": 0}
