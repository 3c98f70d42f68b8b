"""Issue 18 (7): an import reads its reference data (codes, prices, donors) once per file and checks
duplicate references in one query: its round trips to the database do not grow with its rows, and
it stays all or nothing with the file's row and column of every error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clearinghouse.core.tabular import ImportErrors
from clearinghouse.pledges.models import Pledge
from clearinghouse.pledges.tests import factories
from clearinghouse.requirements.models import Requirement
from clearinghouse.requirements.spreadsheets import COLUMNS as REQUIREMENT_COLUMNS
from clearinghouse.spreadsheets import import_file
from tests.test_bulk_import import mixed_rows
from tests.test_spreadsheets import REQUIREMENT_ROW, write_csv

pytestmark = pytest.mark.django_db


def _queries(actor: Any, path: Path, kind: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        import_file(actor=actor, path=path, kind=kind)
    return len(captured)


def test_pledge_import_round_trips_do_not_grow_with_rows(personas: dict[str, Any], tmp_path: Path) -> None:
    factories.ensure_catalog()
    donor = personas["donor_usa"]
    small = _queries(donor, write_csv(tmp_path / "small.csv", mixed_rows(12, "S")), "pledges")
    large = _queries(donor, write_csv(tmp_path / "large.csv", mixed_rows(240, "L")), "pledges")
    assert Pledge.objects.count() == 252
    assert large <= small, (small, large)
    assert small < 60  # a handful per file: reference data, duplicates, one batch of writes


def test_requirement_import_round_trips_do_not_grow_with_rows(
    personas: dict[str, Any], tmp_path: Path
) -> None:
    factories.ensure_catalog()

    def rows(n: int, prefix: str) -> list[dict[str, Any]]:
        return [{**REQUIREMENT_ROW, "external_ref": f"{prefix}-{i}"} for i in range(n)]

    recipient = personas["recipient"]
    small = _queries(
        recipient, write_csv(tmp_path / "s.csv", rows(10, "S"), columns=REQUIREMENT_COLUMNS), "requirements"
    )
    large = _queries(
        recipient, write_csv(tmp_path / "l.csv", rows(200, "L"), columns=REQUIREMENT_COLUMNS), "requirements"
    )
    assert Requirement.objects.count() == 210
    assert large <= small, (small, large)


def test_a_file_with_bad_rows_writes_nothing_and_names_row_and_column(
    personas: dict[str, Any], tmp_path: Path
) -> None:
    factories.ensure_catalog()
    rows = mixed_rows(60, "X")
    rows[7]["item_type"] = "NO-SUCH-TYPE"
    rows[41]["external_ref"] = rows[3]["external_ref"]  # a reference twice in one file
    with pytest.raises(ImportErrors) as err:
        import_file(actor=personas["donor_usa"], path=write_csv(tmp_path / "bad.csv", rows), kind="pledges")
    found = {(e.row, e.column) for e in err.value.errors}
    # Spreadsheet rows count the header as row 1.
    assert (9, "item_type") in found and (43, "external_ref") in found
    assert Pledge.objects.count() == 0
