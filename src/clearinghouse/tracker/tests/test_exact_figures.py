"""Every figure of the shipped Kiel releases is stored exactly, on SQLite and PostgreSQL alike, and a
figure its column cannot hold exactly is refused (file, row, column) before anything is written."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from clearinghouse.tracker import services
from clearinghouse.tracker.kiel import KielFormatError
from clearinghouse.tracker.models import (
    KielEuShare,
    KielFlow,
    KielGdp,
    KielProcurement,
    KielRelease,
    KielWeapons,
)
from clearinghouse.tracker.tests.kiel_files import R29, R31_PREVIEW, copy_release, rows, set_cell

pytestmark = pytest.mark.django_db

FLOW_COLUMNS = ("total", "financial", "humanitarian", "military", "commitments", "to_be_allocated")


def _stored_types(table: str, column: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT DISTINCT typeof("{column}") FROM "{table}"')
        return {r[0] for r in cursor.fetchall()}


@pytest.mark.parametrize("directory", [R29, R31_PREVIEW], ids=["r29", "r31-preview"])
def test_every_figure_of_a_shipped_release_reads_back_as_the_files_text(
    personas: dict[str, Any], directory: Path
) -> None:
    release = services.import_kiel_release(actor=personas["admin"], directory=directory).release
    flows = {
        (f.participant_id, f.year, f.month, f.type): f.value
        for f in KielFlow.objects.filter(release=release).select_related("participant")
    }
    codes = dict(KielFlow.objects.filter(release=release).values_list("participant_id", "participant__code"))
    by_code = {(codes[p], y, m, t): v for (p, y, m, t), v in flows.items()}
    checked = 0
    for r in rows(directory, "data_explorer.csv"):
        for column in FLOW_COLUMNS:
            if column in r:
                assert by_code[(r["iso"], int(r["year"]), int(r["month"]), column)] == Decimal(r[column])
                checked += 1
    gdps = dict(KielGdp.objects.filter(release=release).values_list("participant__code", "gdp_eur_bn"))
    for r in rows(directory, "data_explorer.csv"):
        assert gdps[r["iso"]] == Decimal(r["gdp"])
    procurement = {(p.year, p.month): p for p in KielProcurement.objects.filter(release=release)}
    for r in rows(directory, "procurement_trends.csv"):
        p = procurement[(int(r["year"]), int(r["month"]))]
        for column in ("stockpile", "procurement", "unspecified", "nato_purl"):
            assert getattr(p, column) == Decimal(r[column]), (r, column)
            checked += 1
    if (directory / "eu_aid_shares.csv").exists():
        shares = {
            s.participant.code: s
            for s in KielEuShare.objects.filter(release=release).select_related("participant")
        }
        for r in rows(directory, "eu_aid_shares.csv"):
            for column in ("bilateral_pct_gdp", "eu_share_pct_gdp", "total_pct_gdp", "eu_share_bn"):
                assert getattr(shares[r["iso"]], column) == Decimal(r[column])
                checked += 1
    weapons = sorted(KielWeapons.objects.filter(release=release).values_list("value_eur", flat=True))
    assert weapons == sorted(Decimal(r["monetary_value_eur"]) for r in rows(directory, "weapons.csv"))
    assert checked > 1000
    if connection.vendor == "sqlite":
        for table, column in (
            ("ingest_kielflow", "value"),
            ("ingest_kielgdp", "gdp_eur_bn"),
            ("ingest_kielprocurement", "stockpile"),
            ("ingest_kielweapons", "value_eur"),
        ):
            assert _stored_types(table, column) == {"integer"}


@pytest.mark.parametrize(
    ("file", "row", "column", "value"),
    [
        ("procurement_trends.csv", 4, "stockpile", "12.5"),  # the column keeps values below 10
        ("procurement_trends.csv", 5, "procurement", "0.123456789012345678"),  # 18 decimals
        ("data_explorer.csv", 6, "financial", "1000000000.5"),  # 10 integer digits
        ("weapons.csv", 3, "monetary_value_eur", "12345678901234567890"),
    ],
)
def test_a_figure_its_column_cannot_hold_exactly_is_refused_and_nothing_is_imported(
    personas: dict[str, Any], tmp_path: Path, file: str, row: int, column: str, value: str
) -> None:
    directory = copy_release(R29, tmp_path / "r29")
    set_cell(directory, file, row, column, value)
    with pytest.raises(KielFormatError) as caught:
        services.import_kiel_release(actor=personas["admin"], directory=directory)
    assert caught.value.message.startswith(f"{file}, row {row}, column '{column}'"), caught.value.message
    assert KielRelease.objects.count() == 0 and KielFlow.objects.count() == 0
