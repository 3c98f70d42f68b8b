"""CSV exports never hand a spreadsheet program a formula, and still import again unchanged."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from clearinghouse import spreadsheets
from clearinghouse.core import csv_cells
from clearinghouse.core.models import AuditEvent
from clearinghouse.pledges.models import Pledge
from clearinghouse.pledges.tests import factories
from clearinghouse.reports import exports
from tests.test_spreadsheets import catalog

pytestmark = pytest.mark.django_db
__all__ = ["catalog"]

DANGEROUS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "'=already quoted", "''twice"]


@pytest.mark.parametrize("text", [*DANGEROUS, "plain", "'quoted'", "", "a=b", "x-y"])
def test_escape_and_unescape_are_exact_inverses(text: str) -> None:
    escaped = csv_cells.escape(text)
    assert not escaped.startswith(csv_cells.TRIGGERS)
    assert csv_cells.unescape(escaped) == text


def test_a_csv_export_escapes_formula_triggers_and_imports_again_unchanged(
    catalog: dict[str, Any], tmp_path: Path
) -> None:
    donor = catalog["donor_usa"]
    for i, text in enumerate(DANGEROUS):
        factories.pledge(catalog, external_ref=f"-{i}" if i % 2 else f"@REF-{i}", notes=text)
    content, _, name = spreadsheets.export_file(user=donor, kind="pledges", fmt="csv")
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert len(rows) == len(DANGEROUS)
    for row in rows:
        for column, cell in row.items():
            assert not cell.startswith(csv_cells.TRIGGERS), (column, cell)
    assert {r["notes"] for r in rows} == {"'" + t if t[0] in "=+-@" or t[1] in "='" else t for t in DANGEROUS}
    assert {r["quantity"] for r in rows} == {"100"}  # numbers stay numbers
    events = AuditEvent.objects.count()
    path = tmp_path / name
    path.write_bytes(content)
    summary = spreadsheets.import_file(actor=donor, path=path, kind="pledges")
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, len(DANGEROUS))
    assert AuditEvent.objects.count() == events
    assert sorted(Pledge.objects.values_list("notes", flat=True)) == sorted(DANGEROUS)


def test_report_csv_escapes_text_but_keeps_negative_numbers() -> None:
    payload = {
        "columns": ["military"],
        "rows": [
            {"period": "=cmd|' /C calc'!A0", "military": Decimal("-0.5"), "suppressed": False},
            {"period": "2024", "military": Decimal("1.25"), "suppressed": False},
        ],
    }
    lines = exports.to_csv("totals", payload).decode().splitlines()
    assert lines[1].startswith("'=cmd|' /C calc'!A0,-0.500000,")
    assert lines[2].startswith("2024,1.250000,")
