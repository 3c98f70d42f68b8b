"""Spreadsheet import and export of requirements and pledges: bad files, idempotence, round trips."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from clearinghouse import spreadsheets
from clearinghouse.core import tabular
from clearinghouse.core.errors import InvalidInput, PermissionDenied
from clearinghouse.core.models import AuditEvent
from clearinghouse.pledges import spreadsheets as pledge_spreadsheets
from clearinghouse.pledges.models import Pledge
from clearinghouse.pledges.spreadsheets import COLUMNS as PLEDGE_COLUMNS
from clearinghouse.pledges.tests import factories
from clearinghouse.requirements import spreadsheets as requirement_spreadsheets
from clearinghouse.requirements.models import Requirement
from clearinghouse.requirements.spreadsheets import COLUMNS as REQUIREMENT_COLUMNS
from clearinghouse.spreadsheets import import_file

BY_KIND = {"pledges": pledge_spreadsheets, "requirements": requirement_spreadsheets}

pytestmark = pytest.mark.django_db

PLEDGE_ROW = {
    "external_ref": "P-1",
    "donor": "USA",
    "kind": "in_kind",
    "item_type": "AMM-155-HE",
    "quantity": "100",
    "unit_value": "3000.00",
    "amount": "",
    "currency": "EUR",
    "available_from": "2024-01-02",
    "releasability": "coordination",
    "notes": "",
}
REQUIREMENT_ROW = {
    "external_ref": "R-1",
    "capability": "ammunition",
    "item_types": "AMM-155-HE;AMM-152-HE",
    "quantity": "5000",
    "priority": "critical",
    "needed_by": "2027-01-31",
    "releasability": "contact_group",
    "notes": "",
}


@pytest.fixture
def catalog(personas: dict[str, Any]) -> dict[str, Any]:
    factories.ensure_catalog()
    return personas


def write_csv(
    path: Path,
    rows: list[dict[str, Any]],
    *,
    columns: tuple[str, ...] = PLEDGE_COLUMNS,
    encoding: str = "utf-8",
) -> Path:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def pledge_rows(n: int, **changes: Any) -> list[dict[str, Any]]:
    return [
        {**PLEDGE_ROW, "external_ref": f"P-{i}", "quantity": str(10 + i), **changes} for i in range(1, n + 1)
    ]


def fails(personas: dict[str, Any], path: Path, kind: str = "pledges", user: str = "donor_usa") -> str:
    """Import a file that must be refused; returns the message after checking nothing was written."""
    events = AuditEvent.objects.count()
    with pytest.raises(InvalidInput) as info:
        import_file(actor=personas[user], path=path, kind=kind)
    assert Pledge.objects.count() == 0
    assert Requirement.objects.count() == 0
    assert AuditEvent.objects.count() == events
    return info.value.message


# --- bad files -------------------------------------------------------------------------------------


def test_a_wrong_column_is_named_with_a_suggestion(catalog: dict[str, Any], tmp_path: Path) -> None:
    columns = tuple("quantaty" if c == "quantity" else c for c in PLEDGE_COLUMNS)
    rows = [{("quantaty" if k == "quantity" else k): v for k, v in r.items()} for r in pledge_rows(2)]
    message = fails(catalog, write_csv(tmp_path / "wrong.csv", rows, columns=columns))
    assert message.startswith("wrong.csv, row 1, column quantaty (E): unknown column 'quantaty'")
    assert "did you mean 'quantity'" in message


def test_a_missing_column_is_named(catalog: dict[str, Any], tmp_path: Path) -> None:
    columns = tuple(c for c in PLEDGE_COLUMNS if c != "currency")
    rows = [{k: v for k, v in r.items() if k != "currency"} for r in pledge_rows(1)]
    message = fails(catalog, write_csv(tmp_path / "missing.csv", rows, columns=columns))
    assert message.startswith("missing.csv, row 1, column currency: column 'currency' is missing")


def test_a_bad_number_names_row_and_column(catalog: dict[str, Any], tmp_path: Path) -> None:
    rows = pledge_rows(3)
    rows[1]["quantity"] = "12x"
    message = fails(catalog, write_csv(tmp_path / "pledges.csv", rows))
    assert message == "pledges.csv, row 3, column quantity (E): '12x' is not a whole number"


def test_a_bad_date_names_row_and_column(catalog: dict[str, Any], tmp_path: Path) -> None:
    rows = pledge_rows(2)
    rows[1]["available_from"] = "31/01/2024"
    message = fails(catalog, write_csv(tmp_path / "pledges.csv", rows))
    assert message.startswith("pledges.csv, row 3, column available_from (I): '31/01/2024' is not a date")


def test_an_unknown_item_type_names_row_and_column(catalog: dict[str, Any], tmp_path: Path) -> None:
    rows = pledge_rows(4)
    rows[3]["item_type"] = "AMM-999"
    message = fails(catalog, write_csv(tmp_path / "pledges.csv", rows))
    assert (
        message == "pledges.csv, row 5, column item_type (D): unknown item type 'AMM-999' (see the catalog)"
    )


def test_an_unknown_donor_names_row_and_column(personas: dict[str, Any], tmp_path: Path) -> None:
    factories.ensure_catalog()
    rows = pledge_rows(2)
    rows[0]["donor"] = "XYZ"
    message = fails(personas, write_csv(tmp_path / "pledges.csv", rows), user="admin")
    assert message.startswith("pledges.csv, row 2, column donor (B): unknown donor 'XYZ'")


def test_a_donor_officer_imports_only_their_own_participants_pledges(
    catalog: dict[str, Any], tmp_path: Path
) -> None:
    rows = pledge_rows(2)
    rows[1]["donor"] = "DEU"
    message = fails(catalog, write_csv(tmp_path / "pledges.csv", rows))
    assert message.startswith("pledges.csv, row 3, column donor (B): DEU is not your participant")


def test_a_duplicate_external_ref_in_one_file_names_both_rows(
    catalog: dict[str, Any], tmp_path: Path
) -> None:
    rows = pledge_rows(3)
    rows[2]["external_ref"] = "P-1"
    message = fails(catalog, write_csv(tmp_path / "dup.csv", rows))
    assert message == (
        "dup.csv, row 4, column external_ref (A): 'P-1' appears twice in the file (rows 2 and 4); "
        "each row needs its own reference"
    )


def test_a_file_with_only_its_header_is_refused(catalog: dict[str, Any], tmp_path: Path) -> None:
    message = fails(catalog, write_csv(tmp_path / "empty.csv", []))
    assert message.startswith("empty.csv, row 2, column external_ref (A): no data rows")


def test_an_empty_file_is_refused(catalog: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "nothing.csv"
    path.write_bytes(b"")
    message = fails(catalog, path)
    assert message.startswith("nothing.csv, row 1, column A: the file is empty")


def test_a_latin1_file_is_refused_as_not_utf8(catalog: dict[str, Any], tmp_path: Path) -> None:
    rows = pledge_rows(3)
    rows[1]["notes"] = "livré à Rzeszów"
    path = write_csv(tmp_path / "latin1.csv", rows, encoding="latin-1")
    message = fails(catalog, path)
    assert message.startswith("latin1.csv, row 3, column notes (K): the file is not UTF-8 (byte 0xE9")


def test_an_unknown_capability_and_item_type_of_a_requirement(
    catalog: dict[str, Any], tmp_path: Path
) -> None:
    rows = [dict(REQUIREMENT_ROW), {**REQUIREMENT_ROW, "external_ref": "R-2", "capability": "space"}]
    path = write_csv(tmp_path / "req.csv", rows, columns=REQUIREMENT_COLUMNS)
    message = fails(catalog, path, kind="requirements", user="recipient")
    assert message.startswith("req.csv, row 3, column capability (B): unknown capability area 'space'")
    rows[1] = {**REQUIREMENT_ROW, "external_ref": "R-2", "item_types": "AMM-155-HE; AMM-777"}
    path = write_csv(tmp_path / "req.csv", rows, columns=REQUIREMENT_COLUMNS)
    message = fails(catalog, path, kind="requirements", user="recipient")
    assert message == "req.csv, row 3, column item_types (C): unknown item type 'AMM-777' (see the catalog)"


def test_a_refusal_by_the_service_is_placed_at_its_row_and_nothing_is_kept(
    catalog: dict[str, Any], tmp_path: Path
) -> None:
    rows = pledge_rows(3)
    # Valid cells, but no catalog price before 2022-01-24 and no unit value given: the service says no,
    # after rows 2 and 3 were written (and are rolled back).
    rows[2].update(unit_value="", currency="", available_from="2021-06-01")
    message = fails(catalog, write_csv(tmp_path / "pledges.csv", rows))
    assert message.startswith("pledges.csv, row 4, column unit_value (F): the catalog has no reference price")


def test_only_officers_import_and_only_their_kind(catalog: dict[str, Any], tmp_path: Path) -> None:
    path = write_csv(tmp_path / "pledges.csv", pledge_rows(1))
    with pytest.raises(PermissionDenied):
        import_file(actor=catalog["analyst"], path=path, kind="pledges")
    with pytest.raises(PermissionDenied):
        import_file(actor=catalog["donor_usa"], path=path, kind="requirements")
    assert Pledge.objects.count() == 0


# --- idempotence, updates, XLSX --------------------------------------------------------------------


def test_importing_again_creates_nothing_and_a_changed_row_updates_its_record(
    catalog: dict[str, Any], tmp_path: Path
) -> None:
    donor = catalog["donor_usa"]
    rows = [
        *pledge_rows(3),
        {
            **PLEDGE_ROW,
            "external_ref": "F-1",
            "kind": "financial",
            "item_type": "",
            "quantity": "",
            "unit_value": "",
            "amount": "2500000.00",
            "currency": "USD",
            "notes": 'a, "quoted"\nnote é',
        },
    ]
    path = write_csv(tmp_path / "pledges.csv", rows)
    first = import_file(actor=donor, path=path, kind="pledges")
    assert (first.rows, first.created, first.updated, first.unchanged) == (4, 4, 0, 0)
    events = AuditEvent.objects.count()

    again = import_file(actor=donor, path=path, kind="pledges")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert Pledge.objects.count() == 4
    assert AuditEvent.objects.count() == events  # unchanged rows write nothing

    rows[1]["quantity"] = "99"
    changed = import_file(actor=donor, path=write_csv(tmp_path / "pledges.csv", rows), kind="pledges")
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 3)
    pledge = Pledge.objects.get(owner__code="USA", external_ref="P-2")
    assert pledge.quantity == 99
    update = AuditEvent.objects.filter(
        object_type="pledges.pledge", object_id=str(pledge.pk), action="update"
    )
    assert update.count() == 1
    assert update.get().actor == "donor_usa"
    assert str(changed) == "Imported 4 pledge rows from pledges.csv: 0 created, 1 updated, 3 unchanged."


def test_requirements_import_again_without_change(catalog: dict[str, Any], tmp_path: Path) -> None:
    rows = [
        dict(REQUIREMENT_ROW),
        {
            **REQUIREMENT_ROW,
            "external_ref": "R-2",
            "item_types": "ART-M777",
            "capability": "",
            "priority": "",
            "needed_by": "",
        },
    ]
    path = write_csv(tmp_path / "req.csv", rows, columns=REQUIREMENT_COLUMNS)
    recipient = catalog["recipient"]
    assert import_file(actor=recipient, path=path, kind="requirements").created == 2
    r2 = Requirement.objects.get(external_ref="R-2")
    assert (r2.capability.code, r2.priority, r2.needed_by) == ("artillery", "medium", None)
    again = import_file(actor=recipient, path=path, kind="requirements")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_an_xlsx_file_with_typed_cells_imports(catalog: dict[str, Any], tmp_path: Path) -> None:
    import datetime as dt

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(PLEDGE_COLUMNS))
    sheet.append(
        [
            "X-1",
            "USA",
            "in_kind",
            "AMM-155-HE",
            250,
            3000.5,
            None,
            "EUR",
            dt.datetime(2024, 2, 1),  # noqa: DTZ001 - an Excel cell holds a naive datetime
            "public",
            "typed",
        ]
    )
    sheet.append([None] * len(PLEDGE_COLUMNS))  # a blank row is skipped
    sheet.append(
        ["X-2", "USA", "financial", None, None, None, 1000000, "USD", dt.date(2024, 3, 1), None, None]
    )
    path = tmp_path / "pledges.xlsx"
    workbook.save(path)
    summary = import_file(actor=catalog["donor_usa"], path=path, kind="pledges")
    assert summary.created == 2
    x1 = Pledge.objects.get(external_ref="X-1")
    assert (x1.quantity, str(x1.unit_value), x1.available_from.isoformat()) == (250, "3000.50", "2024-02-01")
    assert str(Pledge.objects.get(external_ref="X-2").amount) == "1000000.00"


def test_a_bad_xlsx_cell_names_row_and_column(catalog: dict[str, Any], tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(PLEDGE_COLUMNS))
    sheet.append(["X-1", "USA", "in_kind", "AMM-155-HE", 2.5, None, None, "EUR", "2024-01-02", None, None])
    path = tmp_path / "bad.xlsx"
    workbook.save(path)
    assert fails(catalog, path) == "bad.xlsx, row 2, column quantity (E): '2.5' is not a whole number"
    path.write_bytes(b"not a zip")
    assert fails(catalog, path).startswith("bad.xlsx: not a readable XLSX workbook")


# --- export ----------------------------------------------------------------------------------------


def _records(personas: dict[str, Any]) -> None:
    factories.pledge(personas, external_ref="IK-1", notes='with, comma "and" quotes\nand é')
    factories.pledge(personas, external_ref="IK-2", unit_value="", currency="")  # catalog price
    factories.financial(
        personas,
        external_ref="FIN-1",
        amount="3000000",
        tranches=[{"year": 2025, "amount": "1000000"}, {"year": 2026, "amount": "2000000"}],
    )
    factories.pledge(personas, donor="donor_deu", external_ref="DEU-1")  # coordination: not USA's to see
    factories.requirement(personas, external_ref="REQ-1", needed_by="2027-03-01", notes="=SUM(A1)")
    factories.requirement(personas, external_ref="REQ-2", item_types=["AMM-155-HE", "AMM-152-HE"])


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_imports_again_without_change(catalog: dict[str, Any], tmp_path: Path, fmt: str) -> None:
    _records(catalog)
    donor, recipient = catalog["donor_usa"], catalog["recipient"]
    events = AuditEvent.objects.count()
    for user, kind, count in ((donor, "pledges", 3), (recipient, "requirements", 2)):
        content, _, name = spreadsheets.export_file(user=user, kind=kind, fmt=fmt)
        path = tmp_path / name
        path.write_bytes(content)
        summary = import_file(actor=user, path=path, kind=kind)
        assert (summary.rows, summary.created, summary.updated, summary.unchanged) == (count, 0, 0, count)
        # And the file is the same when exported again.
        assert BY_KIND[kind].export_rows(user=user) == BY_KIND[kind].export_rows(user=user)
    assert AuditEvent.objects.count() == events


def test_the_hxl_export_has_a_hashtag_row_and_imports_again_without_change(
    catalog: dict[str, Any], tmp_path: Path, api_client: Any
) -> None:
    import re

    _records(catalog)
    donor, recipient = catalog["donor_usa"], catalog["recipient"]
    tag = re.compile(r"^#[a-z][a-z0-9_]*( *\+[a-z][a-z0-9_]*)*$")
    for user, kind, count in ((donor, "pledges", 3), (recipient, "requirements", 2)):
        response = api_client(user).get(f"/api/v1/{kind}/export?format=csv&hxl=true")
        assert response.status_code == 200 and f'filename="{kind}-hxl-' in response["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0] == list(BY_KIND[kind].COLUMNS)
        assert len(rows[1]) == len(rows[0]) and all(tag.match(t) for t in rows[1]), rows[1]
        assert tabular.is_hxl_row(rows[1]) and not tabular.is_hxl_row(rows[2])
        plain = api_client(user).get(f"/api/v1/{kind}/export?format=csv").content.decode("utf-8-sig")
        assert rows[2:] == list(csv.reader(io.StringIO(plain)))[1:]
        path = tmp_path / f"{kind}-hxl.csv"
        path.write_bytes(response.content)
        summary = import_file(actor=user, path=path, kind=kind)
        assert (summary.rows, summary.unchanged) == (count, count)
    assert BY_KIND["pledges"].HXL["donor"] == "#country +code +donor"


def test_an_export_holds_exactly_what_the_user_may_see(catalog: dict[str, Any]) -> None:
    _records(catalog)
    content, content_type, _ = spreadsheets.export_file(user=catalog["donor_usa"], kind="pledges", fmt="csv")
    assert content_type.startswith("text/csv")
    assert content.startswith(b"\xef\xbb\xbf")  # a BOM, for spreadsheet programs
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == PLEDGE_COLUMNS
    assert sorted(r["external_ref"] for r in rows) == ["FIN-1", "IK-1", "IK-2"]
    assert {r["donor"] for r in rows} == {"USA"}
    coordinator_rows = pledge_spreadsheets.export_rows(user=catalog["coordinator"])[1]
    assert len(coordinator_rows) == 4
    ik2 = next(r for r in rows if r["external_ref"] == "IK-2")
    assert (ik2["unit_value"], ik2["currency"], ik2["amount"]) == ("3000.00", "EUR", "")


def test_xlsx_export_keeps_text_as_text(catalog: dict[str, Any], tmp_path: Path) -> None:
    _records(catalog)
    content, content_type, _ = spreadsheets.export_file(
        user=catalog["recipient"], kind="requirements", fmt="xlsx"
    )
    assert content_type == tabular.XLSX_TYPE
    path = tmp_path / "r.xlsx"
    path.write_bytes(content)
    sheet = load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == REQUIREMENT_COLUMNS
    notes = {r[0]: r[7] for r in rows[1:]}
    assert notes["REQ-1"] == "=SUM(A1)"  # never turned into a formula
    assert {r[0]: r[2] for r in rows[1:]}["REQ-2"] == "AMM-152-HE;AMM-155-HE"


def test_the_export_routes(catalog: dict[str, Any], api_client: Any) -> None:
    _records(catalog)
    client = api_client(catalog["donor_deu"])
    response = client.get("/api/v1/pledges/export?format=csv")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="pledges-')
    body = response.content.decode("utf-8-sig").splitlines()
    assert body[0] == ",".join(PLEDGE_COLUMNS)
    assert [line.split(",")[0] for line in body[1:]] == ["DEU-1"]
    response = api_client(catalog["recipient"]).get("/api/v1/requirements/export?format=xlsx")
    assert response.status_code == 200 and response["Content-Type"] == tabular.XLSX_TYPE
    response = client.get("/api/v1/pledges/export?format=pdf")
    assert response.status_code == 422
    assert response.json()["field"] == "format"


# --- the command and the upload page ---------------------------------------------------------------


def test_the_command_imports_and_prints_a_summary(catalog: dict[str, Any], tmp_path: Path) -> None:
    path = write_csv(tmp_path / "pledges.csv", pledge_rows(3))
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "pledges", str(path), "--as", "donor_usa", stdout=out, stderr=err)
    assert (
        out.getvalue().strip()
        == "Imported 3 pledge rows from pledges.csv: 3 created, 0 updated, 0 unchanged."
    )
    assert "3/3" in err.getvalue()  # the progress bar
    rows = pledge_rows(3)
    rows[0]["quantity"] = "ten"
    with pytest.raises(
        CommandError, match=r"pledges.csv, row 2, column quantity \(E\): 'ten' is not a whole"
    ):
        call_command(
            "import", "pledges", str(write_csv(path, rows)), "--as", "donor_usa", stdout=out, stderr=err
        )


def test_the_upload_page_imports_and_shows_the_summary(catalog: dict[str, Any], page_client: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = page_client(catalog["donor_usa"])
    page = client.get("/import/?kind=pledges")
    assert page.status_code == 200
    assert b'value="pledges" selected' in page.content
    assert b'value="requirements"' not in page.content  # a donor officer imports pledges only
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(PLEDGE_COLUMNS))
    writer.writeheader()
    writer.writerows(pledge_rows(2))
    upload = SimpleUploadedFile("mine.csv", out.getvalue().encode(), content_type="text/csv")
    response = client.post("/import/", {"kind": "pledges", "file": upload})
    assert response.status_code == 200
    assert (
        "Imported 2 pledge rows from mine.csv: 2 created, 0 updated, 0 unchanged."
        in response.content.decode()
    )
    assert Pledge.objects.filter(owner__code="USA").count() == 2


def test_the_upload_page_names_file_row_and_column_and_imports_nothing(
    catalog: dict[str, Any], page_client: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    rows = pledge_rows(2)
    rows[1]["item_type"] = "NOPE"
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(PLEDGE_COLUMNS))
    writer.writeheader()
    writer.writerows(rows)
    upload = SimpleUploadedFile("theirs.csv", out.getvalue().encode(), content_type="text/csv")
    response = page_client(catalog["donor_usa"]).post("/import/", {"kind": "pledges", "file": upload})
    assert response.status_code == 422
    assert (
        "theirs.csv, row 3, column item_type (D): unknown item type &#x27;NOPE&#x27;"
        in response.content.decode()
    )
    assert Pledge.objects.count() == 0
    rows[1]["item_type"] = "AMM-155-HE"
    rows[1]["notes"] = "déjà livré"
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(PLEDGE_COLUMNS))
    writer.writeheader()
    writer.writerows(rows)
    upload = SimpleUploadedFile("excel.csv", out.getvalue().encode("cp1252"), content_type="text/csv")
    response = page_client(catalog["donor_usa"]).post("/import/", {"kind": "pledges", "file": upload})
    assert response.status_code == 422
    assert "excel.csv, row 3, column notes (K): the file is not UTF-8" in response.content.decode()
    assert Pledge.objects.count() == 0
