"""Spreadsheet imports report every error, and stop at the first hard limit of size, rows or columns."""

from __future__ import annotations

import csv
import io
import zipfile
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from clearinghouse import views
from clearinghouse.core import tabular
from clearinghouse.core.tabular import ImportErrors, SpreadsheetError
from clearinghouse.pledges.models import Pledge
from clearinghouse.pledges.spreadsheets import COLUMNS as PLEDGE_COLUMNS
from clearinghouse.spreadsheets import import_file
from tests.test_spreadsheets import catalog, fails, pledge_rows, write_csv

pytestmark = pytest.mark.django_db
__all__ = ["catalog"]  # the fixture, imported for these tests


# --- every error -----------------------------------------------------------------------------------


def test_every_error_of_the_file_is_reported_with_row_and_column(
    catalog: dict[str, Any], tmp_path: Path
) -> None:
    rows = pledge_rows(5)
    rows[0]["quantity"] = "12x"  # row 2
    rows[2]["available_from"] = "31/01/2024"  # row 4
    rows[2]["item_type"] = "AMM-999"  # row 4, a second error in the same row
    rows[4]["notes"] = "bad\x00note"  # row 6
    message = fails(catalog, write_csv(tmp_path / "pledges.csv", rows))
    lines = message.splitlines()
    assert lines[0] == "pledges.csv: 4 errors, nothing was imported:"
    assert lines[1:] == [
        "pledges.csv, row 2, column quantity (E): '12x' is not a whole number",
        "pledges.csv, row 4, column item_type (D): unknown item type 'AMM-999' (see the catalog)",
        "pledges.csv, row 4, column available_from (I): '31/01/2024' is not a date (YYYY-MM-DD)",
        "pledges.csv, row 6, column notes (K): control character U+0000 (NUL) at character 4 is not allowed",
    ]


def test_the_list_stops_at_100_and_says_how_many_more(catalog: dict[str, Any], tmp_path: Path) -> None:
    rows = pledge_rows(130, quantity="many")
    with pytest.raises(ImportErrors) as caught:
        import_file(actor=catalog["donor_usa"], path=write_csv(tmp_path / "many.csv", rows), kind="pledges")
    assert caught.value.total == 130
    assert len(caught.value.errors) == 100
    assert caught.value.lines[-1] == "… and 30 more errors"
    assert caught.value.message.splitlines()[-1] == "… and 30 more errors"
    assert Pledge.objects.count() == 0


def test_every_refusal_by_the_services_is_reported_too(catalog: dict[str, Any], tmp_path: Path) -> None:
    rows = pledge_rows(4)
    for i in (1, 3):  # rows 3 and 5: no catalog price on that date for an unvalued item
        rows[i].update(unit_value="", available_from="1995-01-02")
    message = fails(catalog, write_csv(tmp_path / "pledges.csv", rows))
    lines = message.splitlines()
    assert lines[0] == "pledges.csv: 2 errors, nothing was imported:"
    assert lines[1].startswith("pledges.csv, row 3, column unit_value (F): ")
    assert lines[2].startswith("pledges.csv, row 5, column unit_value (F): ")


def test_the_command_prints_every_error_and_exits_with_one_verdict(
    catalog: dict[str, Any], tmp_path: Path
) -> None:
    rows = pledge_rows(3, quantity="x")
    path = write_csv(tmp_path / "three.csv", rows)
    err = StringIO()
    with pytest.raises(CommandError, match=r"^three.csv: 3 errors; nothing was imported$"):
        call_command("import", "pledges", str(path), "--as", "donor_usa", stdout=StringIO(), stderr=err)
    assert [line for line in err.getvalue().splitlines() if "row" in line] == [
        f"three.csv, row {n}, column quantity (E): 'x' is not a whole number" for n in (2, 3, 4)
    ]


def test_the_upload_page_lists_every_error(catalog: dict[str, Any], page_client: Any) -> None:
    rows = pledge_rows(3, item_type="NOPE")
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(PLEDGE_COLUMNS))
    writer.writeheader()
    writer.writerows(rows)
    upload = SimpleUploadedFile("three.csv", out.getvalue().encode(), content_type="text/csv")
    response = page_client(catalog["donor_usa"]).post("/import/", {"kind": "pledges", "file": upload})
    assert response.status_code == 422
    page = response.content.decode()
    assert "three.csv: 3 errors, nothing was imported." in page
    for n in (2, 3, 4):
        assert f"three.csv, row {n}, column item_type (D): unknown item type &#x27;NOPE&#x27;" in page
    assert Pledge.objects.count() == 0


# --- hard limits -----------------------------------------------------------------------------------


def test_a_csv_cell_over_128_kb_is_a_clear_error_not_a_traceback(
    catalog: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "huge.csv"
    path.write_text(
        ",".join(PLEDGE_COLUMNS) + '\nP-1,USA,in_kind,AMM-155-HE,1,,,EUR,2024-01-02,,"' + "x" * 140_000
    )
    message = fails(catalog, path)
    assert message.startswith("huge.csv, row 2: a cell longer than 131,072 characters")
    with pytest.raises(CommandError, match=r"huge.csv, row 2: a cell longer than 131,072 characters"):
        call_command(
            "import", "pledges", str(path), "--as", "donor_usa", stdout=StringIO(), stderr=StringIO()
        )


def test_too_many_rows_stop_the_import_at_the_limit(
    catalog: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tabular, "MAX_ROWS", 20)
    read: list[int] = []
    original = tabular._check_row

    def counting(name: str, number: int, cells: list[Any], widest: int | None = None) -> None:
        read.append(number)
        original(name, number, cells, widest)

    monkeypatch.setattr(tabular, "_check_row", counting)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(list(PLEDGE_COLUMNS))
    for i in range(500):
        sheet.append([f"P-{i}", "USA", "in_kind", "AMM-155-HE", 1, 3000, None, "EUR", "2024-01-02", "", ""])
    workbook.save(tmp_path / "long.xlsx")
    message = fails(catalog, tmp_path / "long.xlsx")
    assert message.startswith("long.xlsx, row 22: more than 20 data rows")
    assert max(read) == 22  # streamed: nothing after the first row past the limit was read


def test_a_workbook_that_unpacks_too_large_is_refused_before_it_is_read(
    catalog: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tabular, "MAX_UNPACKED_BYTES", 1024 * 1024)
    path = tmp_path / "bomb.xlsx"
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/worksheets/sheet1.xml", "w") as member,
    ):
        for _ in range(4):
            member.write(b" " * 1024 * 1024)
    assert path.stat().st_size < 64 * 1024  # small on disk, 4 MB unpacked
    message = fails(catalog, path)
    assert message.startswith("bomb.xlsx: the workbook unpacks to 4 MB; at most 1 MB can be imported")


def test_a_file_too_large_is_refused_at_every_door(
    catalog: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page_client: Any
) -> None:
    monkeypatch.setattr(tabular, "MAX_FILE_BYTES", 1000)
    monkeypatch.setattr(views, "MAX_BYTES", 1000)
    path = write_csv(tmp_path / "big.csv", pledge_rows(40))
    assert fails(catalog, path).startswith("big.csv: the file is ")
    upload = SimpleUploadedFile("big.csv", path.read_bytes(), content_type="text/csv")
    response = page_client(catalog["donor_usa"]).post("/import/", {"kind": "pledges", "file": upload})
    assert "larger than" in response.content.decode()
    assert Pledge.objects.count() == 0


def test_a_value_beyond_the_last_column_is_refused(catalog: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    row = ["P-1", "USA", "in_kind", "AMM-155-HE", "1", "3000", "", "EUR", "2024-01-02", "", ""]
    path.write_text(",".join(PLEDGE_COLUMNS) + "\n" + ",".join(row + [""] * 30 + ["surprise"]) + "\n")
    with pytest.raises(SpreadsheetError, match=r"^wide.csv, row 2, column AE: more than 30 columns"):
        list(tabular.iter_table(path))
