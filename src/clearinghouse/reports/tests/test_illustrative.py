"""The public page never presents an illustrative (demo or training) pledge as fact; signed-in reports
count them and say so. Issue 9, item 15."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from clearinghouse.participants.models import Participant
from clearinghouse.pledges.models import Pledge
from clearinghouse.reports import selectors as report_selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(personas: dict[str, Any]) -> dict[str, Pledge]:
    """Public committed financial pledges of three real donors, and one illustrative of a fourth."""
    made = {}
    for code, eur, illustrative in (
        ("USA", "100000000.00", False),
        ("DEU", "50000000.00", False),
        ("FRA", "25000000.00", False),
        ("GBR", "7000000000.00", True),
    ):
        made[code] = Pledge.objects.create(
            owner=Participant.objects.get(code=code),
            kind="financial",
            status="committed",
            amount=Decimal(eur),
            currency="EUR",
            available_from=dt.date(2024, 3, 1),
            value_amount=Decimal(eur),
            value_eur=Decimal(eur),
            fx_rate=Decimal(1),
            fx_date=dt.date(2024, 3, 1),
            releasability="public",
            illustrative=illustrative,
        )
    return made


def _year(report: dict[str, Any], period: str) -> dict[str, Any]:
    return next(r for r in report["rows"] if r["period"] == period)


def test_the_public_page_never_counts_an_illustrative_pledge(records: dict[str, Pledge]) -> None:
    public = report_selectors.totals_report(user=None, source="records", public=True)
    assert _year(public, "2024")["financial"] == Decimal("0.175")  # USA, DEU, FRA; not GBR's 7 bn
    assert public["illustrative"]["excluded"] == 1
    assert "1 illustrative (demo) pledges not counted" in public["source_label"]
    groups = report_selectors.groups_report(user=None, source="records", public=True)
    assert groups["all_donors"]["financial"] == Decimal("0.175")
    donors = report_selectors.donors_report(user=None, source="records", public=True)
    assert "GBR" not in {d["participant"] for d in donors["donors"]}


def test_signed_in_reports_count_them_and_say_so(
    records: dict[str, Pledge], personas: dict[str, Any]
) -> None:
    report = report_selectors.totals_report(user=personas["coordinator"], source="records")
    assert _year(report, "2024")["financial"] == Decimal("7.175")
    assert report["illustrative"] == {
        "included": 1,
        "excluded": 0,
        "rule": report_selectors.ILLUSTRATIVE_RULE,
    }
    assert "includes 1 illustrative (demo) pledges: not real records" in report["source_label"]


def test_the_public_page_and_its_downloads_leave_them_out(records: dict[str, Pledge], client: Any) -> None:
    page = client.get("/public/").content.decode()
    assert "illustrative (demo) pledges not counted" in page
    assert "7.175" not in page and "7.18" not in page
    csv_export = client.get("/public/export/totals.csv?source=records").content.decode("utf-8-sig")
    assert "2024,0.000000,0.175000," in csv_export and "7.175" not in csv_export
    workbook = load_workbook(io.BytesIO(client.get("/public/export/totals.xlsx?source=records").content))
    about = {row[0]: row[1] for row in workbook["about"].iter_rows(values_only=True)}
    assert "1 illustrative (demo) pledges not counted" in about["source"]
    # Only illustrative pledges: the page says why its records tables are empty.
    Pledge.objects.filter(illustrative=False).delete()
    page = client.get("/public/").content.decode()
    assert "Illustrative (demo) pledges are never published" in page
