"""Spreadsheets of requirements and pledges: import (CSV or XLSX, all or nothing) and export.

Import reads the whole file, checks every row (headers, numbers, dates, codes, duplicates, who may
import what) before writing anything, then writes every row through the services (create or update,
as `requirements.services.upsert_requirement` and `pledges.services.upsert_pledge` do) in ONE
transaction: a row the services refuse rolls back every row before it. Every error is an
`InvalidInput` (a `SpreadsheetError`) whose message names the file, the row as a spreadsheet shows
it (the header is row 1) and the column, and says what is wrong.

Rows are keyed by external_ref (per donor for pledges, per owner for requirements): importing the
same file again creates nothing, a changed row updates its record (audited by the service), an
unchanged row writes nothing.

Export writes exactly what the user may see (the same selectors as the pages and the API) with the
import's columns, so an exported file imports again without changes.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError, InvalidFileException

from clearinghouse.catalog import selectors as catalog_selectors
from clearinghouse.core import audit, cleaning, csv_cells
from clearinghouse.core.errors import DomainError, InvalidInput, PermissionDenied
from clearinghouse.core.humanize import count_of
from clearinghouse.core.resilient import UNREADABLE, log_unreadable
from clearinghouse.participants import selectors as participant_selectors
from clearinghouse.participants.choices import Role
from clearinghouse.participants.permissions import (
    is_admin,
    is_coordination_cell,
    is_recipient_officer_of,
)
from clearinghouse.pledges import fx
from clearinghouse.pledges import selectors as pledge_selectors
from clearinghouse.pledges import services as pledge_services
from clearinghouse.pledges.choices import PledgeKind
from clearinghouse.requirements import selectors as requirement_selectors
from clearinghouse.requirements import services as requirement_services
from clearinghouse.requirements.choices import Priority

PLEDGE_COLUMNS: tuple[str, ...] = (
    "external_ref",
    "donor",
    "kind",
    "item_type",
    "quantity",
    "unit_value",
    "amount",
    "currency",
    "available_from",
    "releasability",
    "notes",
    "illustrative",
)
REQUIREMENT_COLUMNS: tuple[str, ...] = (
    "external_ref",
    "capability",
    "item_types",
    "quantity",
    "priority",
    "needed_by",
    "releasability",
    "notes",
    "illustrative",
)
# Columns a file may leave out: `illustrative` (demo or training data) is false for a new record and
# unchanged for an existing one when the column is absent or its cell blank.
OPTIONAL_COLUMNS = frozenset({"illustrative"})
COLUMNS: dict[str, tuple[str, ...]] = {"requirements": REQUIREMENT_COLUMNS, "pledges": PLEDGE_COLUMNS}
KINDS = tuple(COLUMNS)
FORMATS = ("csv", "xlsx")
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A service error about a field that is not a column is reported at the column it comes from.
_FIELD_TO_COLUMN = {"tranches": "amount", "owner": "external_ref", "pledge": "item_type", "unit": "quantity"}

Progress = Callable[[int, int], None]

# What an imported file may hold; past any of these the import stops at once with a clear message
# (a small XLSX can unpack to millions of rows: it is measured before it is read, and read as a
# stream that stops at the first limit, never loaded whole).
MAX_FILE_BYTES = 20 * 1024 * 1024  # the file as uploaded (CSV or XLSX)
MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # an XLSX's parts once decompressed
MAX_ROWS = 20_000  # data rows below the header
MAX_COLUMNS = 30  # cells of a row that are read (the widest file has 11 columns)
MAX_CELL_CHARS = 128 * 1024  # one cell (the csv module's own field limit)
MAX_ERRORS = 100  # errors listed; the rest are counted


class SpreadsheetError(InvalidInput):
    """A file that cannot be imported: where (file, row, column) and what is wrong."""

    def __init__(
        self,
        *,
        file: str,
        problem: str,
        row: int | None = None,
        column: str | None = None,
        letter: str | None = None,
        status: int = 422,
    ) -> None:
        where = file
        if row is not None:
            where += f", row {row}"
        if column:
            where += f", column {column}" + (f" ({letter})" if letter else "")
        super().__init__(f"{where}: {problem}", field=column)
        self.status = status
        self.file = file
        self.row = row
        self.column = column
        self.problem = problem


class ImportErrors(InvalidInput):
    """Every error of a refused file (the first MAX_ERRORS listed, the rest counted); nothing imported."""

    def __init__(self, file: str, errors: list[SpreadsheetError], total: int) -> None:
        self.file = file
        self.errors = errors
        self.total = total
        if total == 1:
            message = errors[0].message
        else:
            lines = [e.message for e in errors]
            if total > len(errors):
                lines.append(f"… and {total - len(errors)} more errors")
            message = f"{file}: {total} errors, nothing was imported:\n" + "\n".join(lines)
        super().__init__(message, field=errors[0].field if errors else None)
        forbidden = [e for e in errors if e.status == PermissionDenied.status]
        self.status = PermissionDenied.status if forbidden and len(forbidden) == len(errors) else 422

    @property
    def lines(self) -> list[str]:
        """One line per error, and a last one for the errors not listed."""
        more = [f"… and {self.total - len(self.errors)} more errors"] if self.total > len(self.errors) else []
        return [e.message for e in self.errors] + more


class _Errors:
    """The errors found so far in one file: keeps the first MAX_ERRORS, counts all."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.kept: list[SpreadsheetError] = []
        self.total = 0

    def add(self, error: SpreadsheetError) -> None:
        self.total += 1
        if len(self.kept) < MAX_ERRORS:
            self.kept.append(error)

    def raise_any(self) -> None:
        if self.total:
            raise ImportErrors(self.file, self.kept, self.total)


@dataclass(frozen=True)
class ImportSummary:
    """What an import did: how many rows, and how many records were created, updated, unchanged."""

    kind: str
    file: str
    rows: int
    created: int
    updated: int
    unchanged: int

    def __str__(self) -> str:
        return (
            f"Imported {count_of(self.rows, self.kind.removesuffix('s') + ' row')} from {self.file}: "
            f"{self.created} created, "
            f"{self.updated} updated, {self.unchanged} unchanged."
        )


# --- reading ---------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """A cell as text, exactly: numbers without float noise, dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, str):
        # An exported CSV escapes formula triggers (`'=…`): read the cell as it was written.
        return csv_cells.unescape(value.strip())
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        # repr is the shortest text that reads back as the same float: 3000.1, not 3000.0999999...
        number = Decimal(repr(value))
        return format(number.quantize(Decimal(1)) if number == number.to_integral_value() else number, "f")
    return str(value).strip()


def _not_utf8(name: str, raw: bytes, exc: UnicodeDecodeError) -> SpreadsheetError:
    """Where the first byte that is not UTF-8 sits, as row and column of the spreadsheet."""
    line_start = raw.rfind(b"\n", 0, exc.start) + 1
    row = raw.count(b"\n", 0, exc.start) + 1
    first_line = raw.split(b"\n", 1)[0].decode("utf-8", errors="replace").lstrip("\ufeff")
    header = next(csv.reader([first_line]), [])
    prefix = raw[line_start : exc.start].decode("utf-8", errors="replace")
    index = len(next(csv.reader([prefix + "x"]), [""])) - 1
    column = header[index].strip() if index < len(header) else None
    byte = raw[exc.start]
    return SpreadsheetError(
        file=name,
        row=row,
        column=column or get_column_letter(index + 1),
        letter=get_column_letter(index + 1) if column else None,
        problem=f"the file is not UTF-8 (byte 0x{byte:02X} cannot be decoded; the file is probably "
        "Latin-1 or Windows-1252): save it as “CSV UTF-8” and import it again",
    )


def _too_big(name: str, size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise SpreadsheetError(
            file=name,
            problem=f"the file is {size / 1024 / 1024:.1f} MB; at most {MAX_FILE_BYTES // (1024 * 1024)} MB "
            "can be imported at once: split it into several files",
        )


def _check_row(name: str, number: int, cells: list[Any]) -> None:
    """The hard limits of one row: how many rows, how wide, how long a cell."""
    if number > MAX_ROWS + 1:
        raise SpreadsheetError(
            file=name,
            row=number,
            problem=f"more than {MAX_ROWS:,} data rows; import at most {MAX_ROWS:,} rows at once "
            "(split the file); nothing was imported",
        )
    if len(cells) > MAX_COLUMNS and any(c not in (None, "") for c in cells[MAX_COLUMNS:]):
        raise SpreadsheetError(
            file=name,
            row=number,
            column=get_column_letter(MAX_COLUMNS + 1),
            problem=f"more than {MAX_COLUMNS} columns; the file has at most {len(PLEDGE_COLUMNS)}",
        )
    for index, cell in enumerate(cells[:MAX_COLUMNS]):
        if isinstance(cell, str) and len(cell) > MAX_CELL_CHARS:
            raise SpreadsheetError(
                file=name,
                row=number,
                column=get_column_letter(index + 1),
                problem=f"a cell of {len(cell):,} characters; at most {MAX_CELL_CHARS:,} are allowed",
            )


def _iter_csv(path: Path, name: str) -> Iterator[list[str]]:
    _too_big(name, path.stat().st_size)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _not_utf8(name, raw, exc) from None
    first_line = text.split("\n", 1)[0]
    # Spreadsheet programs in many locales save CSV with semicolons.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = reader.line_num
            if "field larger than field limit" in str(exc):
                problem = f"a cell longer than {MAX_CELL_CHARS:,} characters (an unclosed quote?)"
            else:
                problem = f"not a readable CSV file ({exc})"
            raise SpreadsheetError(file=name, row=line, problem=problem) from None
        number += 1
        _check_row(name, number, row)
        yield row[:MAX_COLUMNS]


def _iter_xlsx(path: Path, name: str) -> Iterator[list[Any]]:
    _too_big(name, path.stat().st_size)
    unreadable = SpreadsheetError(
        file=name, problem="not a readable XLSX workbook (save it from your spreadsheet as .xlsx)"
    )
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise unreadable from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise SpreadsheetError(
            file=name,
            problem=f"the workbook unpacks to {unpacked / 1024 / 1024:.0f} MB; at most "
            f"{MAX_UNPACKED_BYTES // (1024 * 1024)} MB can be imported (split it, or save it as CSV)",
        )
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise unreadable from None
    try:
        if not workbook.worksheets:
            raise unreadable
        sheet = workbook.worksheets[0]
        # Streamed: one row at a time, never wider than one column past the limit.
        for number, row in enumerate(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1), start=1):
            cells = list(row)
            _check_row(name, number, cells)
            # max_col pads every row to that width in read-only mode: drop the padding again.
            while cells and cells[-1] is None:
                cells.pop()
            yield cells[:MAX_COLUMNS]
    finally:
        workbook.close()


def iter_table(path: Path, name: str | None = None) -> Iterator[list[str]]:
    """Every row of a CSV (UTF-8, with or without BOM) or of an XLSX file's first sheet, as text,
    read as a stream that stops with a `SpreadsheetError` at the first limit the file exceeds.

    `name` is how errors name the file (default: the path's own name).
    """
    name = name or path.name
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows: Iterator[list[Any]] = _iter_csv(path, name)
    elif suffix == ".xlsx":
        rows = _iter_xlsx(path, name)
    else:
        raise SpreadsheetError(
            file=name, problem=f"unsupported file type {suffix or '(none)'!r}: use .csv or .xlsx"
        )
    for row in rows:
        yield [_text(cell) for cell in row]


def read_table(path: Path, name: str | None = None) -> list[list[str]]:
    """Every row of the file as text (see `iter_table`, whose limits apply)."""
    return list(iter_table(path, name))


@dataclass
class _Sheet:
    """A read file: its name, expected columns and where each column sits."""

    name: str
    columns: tuple[str, ...]
    positions: dict[str, int]

    def error(self, row: int, column: str | None, problem: str, *, status: int = 422) -> SpreadsheetError:
        if column in self.positions:
            return SpreadsheetError(
                file=self.name,
                row=row,
                column=column,
                letter=get_column_letter(self.positions[column] + 1),
                problem=problem,
                status=status,
            )
        return SpreadsheetError(file=self.name, row=row, column=column, problem=problem, status=status)

    def from_domain(self, row: int, exc: DomainError, default: str) -> SpreadsheetError:
        """A service's error, placed at the row and at the column its field names."""
        field = (exc.field or "").split(".")[0]
        column = field if field in self.columns else _FIELD_TO_COLUMN.get(field, default)
        return self.error(row, column, _problem(exc.message, exc.field), status=exc.status)


def _problem(message: str, field: str | None) -> str:
    """A service message without its leading "field: " (the column is named already)."""
    if field and message.startswith(f"{field}: "):
        return message[len(field) + 2 :]
    return message


def _header(name: str, kind: str, first: list[str] | None) -> _Sheet:
    """The header row's columns; every problem with it is reported (and nothing below is read)."""
    columns = COLUMNS[kind]
    expected = ", ".join(columns)
    if not first or not any(first):
        raise SpreadsheetError(
            file=name,
            row=1,
            column="A",
            problem=f"the file is empty: the first row must name the columns ({expected})",
        )
    header = [cell.strip().lstrip("\ufeff").lower() for cell in first]
    while header and not header[-1]:
        header.pop()
    errors = _Errors(name)
    positions: dict[str, int] = {}
    suggested: set[str] = set()  # a missing column that an unknown one was taken for is named once
    for index, title in enumerate(header):
        letter = get_column_letter(index + 1)
        if not title:
            errors.add(
                SpreadsheetError(
                    file=name, row=1, column=letter, problem=f"a column without a name (expected: {expected})"
                )
            )
        elif title in positions:
            errors.add(
                SpreadsheetError(
                    file=name, row=1, column=title, letter=letter, problem=f"column {title!r} appears twice"
                )
            )
        elif title not in columns:
            close = difflib.get_close_matches(title, columns, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            suggested.update(close)
            errors.add(
                SpreadsheetError(
                    file=name,
                    row=1,
                    column=title,
                    letter=letter,
                    problem=f"unknown column {title!r}; {hint}the {kind} columns are: {expected}",
                )
            )
        else:
            positions[title] = index
    for column in columns:
        if column not in positions and column not in suggested and column not in OPTIONAL_COLUMNS:
            errors.add(
                SpreadsheetError(
                    file=name,
                    row=1,
                    column=column,
                    problem=f"column {column!r} is missing; the {kind} columns are: {expected}",
                )
            )
    errors.raise_any()
    return _Sheet(name=name, columns=columns, positions=positions)


def _row_data(sheet: _Sheet, number: int, cells: list[str]) -> dict[str, str]:
    """{column: text} of one data row; a value in a column without a header is an error."""
    width = len(sheet.positions)
    extra = [i for i, v in enumerate(cells) if i >= width and v]
    if extra:
        raise sheet.error(
            number,
            get_column_letter(extra[0] + 1),
            f"a value ({cells[extra[0]][:100]!r}) in a column without a header",
        )
    return {c: (cells[i] if i < len(cells) else "") for c, i in sheet.positions.items()}


# --- checking rows ---------------------------------------------------------------------------------


class _Checker:
    """Checks of one row before anything is written, with the codes the file may use fetched once."""

    def __init__(self, *, actor: Any, sheet: _Sheet) -> None:
        self.actor = actor
        self.sheet = sheet
        self.item_types = set(catalog_selectors.item_type_list(user=actor).values_list("code", flat=True))
        self.capabilities = set(catalog_selectors.capability_list(user=actor).values_list("code", flat=True))
        self.participants = set(
            participant_selectors.participant_list(user=actor).values_list("code", flat=True)
        )
        self.currencies = fx.known_currencies()
        self.seen: dict[tuple[str, str], int] = {}

    def field(self, row: int, fn: Callable[..., Any], value: Any, column: str, **kwargs: Any) -> Any:
        """Run one of the services' cleaning functions on a cell; its error is placed at the cell."""
        try:
            return fn(value, column, **kwargs)
        except DomainError as exc:
            raise self.sheet.from_domain(row, exc, column) from None

    def reference(self, row: int, data: dict[str, str], owner: str) -> str:
        ref = self.field(row, cleaning.text, data["external_ref"], "external_ref", max_length=100)
        if not ref:
            raise self.sheet.error(
                row, "external_ref", "required: imports are keyed by it (give every row its own reference)"
            )
        key = (owner, ref)
        if key in self.seen:
            raise self.sheet.error(
                row,
                "external_ref",
                f"{ref!r} appears twice in the file (rows {self.seen[key]} and {row}); "
                "each row needs its own reference",
            )
        self.seen[key] = row
        return ref

    def common(self, row: int, data: dict[str, str], errors: list[SpreadsheetError]) -> None:
        _attempt(errors, self.field, row, cleaning.releasability, data["releasability"], "releasability")
        _attempt(errors, self.field, row, cleaning.text, data["notes"], "notes", max_length=10_000)
        _attempt(errors, self.field, row, cleaning.boolean, data.get("illustrative"), "illustrative")

    def donor(self, row: int, data: dict[str, str]) -> str:
        donor = data["donor"].strip().upper()
        if not donor:
            raise self.sheet.error(row, "donor", "required: the donor's code (ISO alpha-3, e.g. USA)")
        if donor not in self.participants:
            raise self.sheet.error(
                row,
                "donor",
                f"unknown donor {data['donor'][:40]!r}: use the participant's code (e.g. USA, DEU)",
            )
        if not is_coordination_cell(self.actor) and donor != self.actor.participant.code:
            raise self.sheet.error(
                row,
                "donor",
                f"{donor} is not your participant: an officer of {self.actor.participant.code} imports "
                f"only {self.actor.participant.code}'s pledges",
                status=PermissionDenied.status,
            )
        return donor

    def item_type(self, row: int, data: dict[str, str]) -> str:
        code = self.field(row, cleaning.text, data["item_type"], "item_type", max_length=40)
        if code and code not in self.item_types:
            raise self.sheet.error(row, "item_type", f"unknown item type {code!r} (see the catalog)")
        return str(code)

    def currency(self, row: int, data: dict[str, str]) -> None:
        if data["currency"] and data["currency"].upper() not in self.currencies:
            self.field(row, _currency, data["currency"], "currency")

    def pledge(self, row: int, data: dict[str, str]) -> tuple[dict[str, Any], list[SpreadsheetError]]:
        """The row ready for the services, and every error found in it."""
        errors: list[SpreadsheetError] = []
        donor = _attempt(errors, self.donor, row, data)
        if donor is not _FAILED:
            _attempt(errors, self.reference, row, data, donor)
        kind = _attempt(errors, self.field, row, cleaning.choice, data["kind"], "kind", choices=PledgeKind)
        code = _attempt(errors, self.item_type, row, data)
        quantity = _attempt(
            errors, self.field, row, cleaning.integer, data["quantity"], "quantity", required=False
        )
        _attempt(
            errors,
            self.field,
            row,
            cleaning.money,
            data["unit_value"],
            "unit_value",
            required=False,
            positive=False,
        )
        amount = _attempt(errors, self.field, row, cleaning.money, data["amount"], "amount", required=False)
        _attempt(errors, self.currency, row, data)
        _attempt(errors, self.field, row, cleaning.date, data["available_from"], "available_from")
        if kind == PledgeKind.IN_KIND:
            if code == "":
                errors.append(self.sheet.error(row, "item_type", "required for an in-kind pledge"))
            if quantity is None:
                errors.append(self.sheet.error(row, "quantity", "required for an in-kind pledge"))
        elif kind == PledgeKind.FINANCIAL and amount is None:
            errors.append(self.sheet.error(row, "amount", "required for a financial pledge"))
        self.common(row, data, errors)
        return {**data, "donor": donor, "kind": kind}, errors

    def item_type_list(self, row: int, data: dict[str, str]) -> None:
        codes = self.field(row, cleaning.code_list, data["item_types"], "item_types")
        if not codes:
            raise self.sheet.error(row, "item_types", "required: one or more item type codes, separated by ;")
        for code in codes:
            if code not in self.item_types:
                raise self.sheet.error(row, "item_types", f"unknown item type {code!r} (see the catalog)")

    def capability(self, row: int, data: dict[str, str]) -> None:
        capability = self.field(row, cleaning.text, data["capability"], "capability", max_length=40)
        if capability and capability not in self.capabilities:
            raise self.sheet.error(
                row, "capability", f"unknown capability area {capability!r} (see the catalog)"
            )

    def requirement(self, row: int, data: dict[str, str]) -> tuple[dict[str, Any], list[SpreadsheetError]]:
        """The row ready for the services, and every error found in it."""
        errors: list[SpreadsheetError] = []
        _attempt(errors, self.reference, row, data, "")
        _attempt(errors, self.capability, row, data)
        _attempt(errors, self.item_type_list, row, data)
        _attempt(errors, self.field, row, cleaning.integer, data["quantity"], "quantity")
        _attempt(
            errors,
            self.field,
            row,
            cleaning.choice,
            data["priority"],
            "priority",
            choices=Priority,
            default=Priority.MEDIUM,
        )
        _attempt(errors, self.field, row, cleaning.date, data["needed_by"], "needed_by", required=False)
        self.common(row, data, errors)
        return data, errors


_FAILED: Any = object()  # what `_attempt` returns for a check that failed


def _attempt(errors: list[SpreadsheetError], check: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """The check's result, or `_FAILED` with its error added to `errors`."""
    try:
        return check(*args, **kwargs)
    except SpreadsheetError as exc:
        errors.append(exc)
        return _FAILED


def _currency(value: Any, field: str) -> str:
    return fx.validate_currency(value, field=field)


def _may_import(actor: Any, kind: str) -> None:
    if kind == "pledges" and not (is_admin(actor) or actor.role == Role.DONOR_OFFICER):
        raise PermissionDenied("Only donor officers import pledges (for their own participant).")
    if kind == "requirements" and not is_recipient_officer_of(actor, actor.participant_id):
        raise PermissionDenied("Only the recipient's officers import requirements.")


# --- import ----------------------------------------------------------------------------------------


def import_file(
    *, actor: Any, path: Path, kind: str, progress: Progress | None = None, name: str | None = None
) -> ImportSummary:
    """Import a CSV or XLSX file of requirements or pledges, all or nothing, as `actor`.

    `progress(done, total)` is called as rows are written; `name` is the file name errors give
    (default: the path's own name; an upload page passes the name the user chose).
    """
    if kind not in COLUMNS:
        raise InvalidInput(f"kind: {kind!r} is not one of {', '.join(KINDS)}", field="kind")
    _may_import(actor, kind)
    path = Path(path)
    label = name or path.name
    if not path.is_file():
        raise InvalidInput(f"{label}: no such file", field="file")
    if path.stat().st_size > MAX_FILE_BYTES:
        _too_big(label, path.stat().st_size)
    rows = iter_table(path, label)
    sheet = _header(label, kind, next(rows, None))
    checker = _Checker(actor=actor, sheet=sheet)
    check = checker.pledge if kind == "pledges" else checker.requirement
    errors = _Errors(label)
    checked: list[tuple[int, dict[str, Any]]] = []
    # Checked while the file streams in; a hard limit (size, rows, columns, a huge cell) stops at once.
    for number, cells in enumerate(rows, start=2):
        if not any(cells):
            continue
        try:
            data = _row_data(sheet, number, cells)
        except SpreadsheetError as exc:
            errors.add(exc)
            continue
        clean, problems = check(number, data)
        for problem in problems:
            errors.add(problem)
        if not problems:
            checked.append((number, clean))
    if not checked and not errors.total:
        raise sheet.error(2, sheet.columns[0], "no data rows: the file has a header but nothing below it")
    errors.raise_any()
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    total = len(checked)
    with transaction.atomic():
        upsert = (
            _pledge_upsert(actor, checked) if kind == "pledges" else requirement_services.upsert_requirement
        )
        for done, (number, data) in enumerate(checked, start=1):
            try:
                # A savepoint per row: a row the services refuse is undone alone, so that every
                # row's refusal is reported; then the whole file is rolled back.
                with transaction.atomic():
                    _, outcome = upsert(actor=actor, data=data)
            except DomainError as exc:
                errors.add(sheet.from_domain(number, exc, "external_ref"))
                continue
            counts[outcome] += 1
            if progress is not None:
                progress(done, total)
        errors.raise_any()
    audit.checkpoint_after_import()
    return ImportSummary(kind=kind, file=label, rows=total, **counts)


def _pledge_upsert(actor: Any, rows: list[tuple[int, dict[str, Any]]]) -> Callable[..., tuple[Any, str]]:
    """`pledges.services.upsert_pledge`, with the existing pledges of the file's donors read once.

    The same service calls (create_pledge or update_pledge, each audited), minus the per-row lookup;
    and a row that states exactly what is stored (as an export writes it) is "unchanged" without a
    call, since the service would find nothing to change. Anything less certain (a blank unit
    value, which the service values again from the catalog) goes to the service.
    """
    donors = {data["donor"] for _, data in rows}
    existing: dict[tuple[str, str], tuple[int, int, list[Any]]] = {
        (p.owner.code, p.external_ref): (p.pk, p.version, _pledge_row(p))
        for p in pledge_selectors.pledge_list(user=actor)
        .filter(owner__code__in=donors)
        .exclude(external_ref="")
        .order_by()
        .iterator(chunk_size=2000)
    }

    def upsert(*, actor: Any, data: dict[str, Any]) -> tuple[Any, str]:
        key = (data["donor"], data["external_ref"].strip())
        found = existing.get(key)
        if found is None:
            pledge = pledge_services.create_pledge(actor=actor, data=data)
            existing[key] = (pledge.pk, pledge.version, [])
            return pledge, "created"
        if _same(found[2], data):
            return None, "unchanged"
        pledge = pledge_services.update_pledge(actor=actor, pledge_id=found[0], changes=data)
        return pledge, "unchanged" if pledge.version == found[1] else "updated"

    return upsert


def _same(stored: list[Any], data: dict[str, Any]) -> bool:
    """Whether a row's cells state exactly the stored values (numbers and dates compared as such)."""
    if not stored:
        return False
    for column, value in zip(PLEDGE_COLUMNS, stored, strict=True):
        if column in OPTIONAL_COLUMNS and cleaning.blank(data.get(column)):
            continue  # absent or blank: the stored value stays
        cell = str(data[column]).strip()
        if isinstance(value, bool):
            if cleaning.boolean(cell, column) != value:
                return False
        elif value is None or value == "":
            if cell:
                return False
        elif isinstance(value, int | Decimal):
            if not cell or Decimal(cell) != value:
                return False
        elif isinstance(value, dt.date):
            if cell != value.isoformat():
                return False
        elif column in ("kind", "releasability"):
            if cell.lower() != value:
                return False
        elif column in ("donor", "currency"):
            if cell.upper() != value:
                return False
        elif cell != value:
            return False
    return True


def _pledge_row(p: Any) -> list[Any]:
    """A pledge in the spreadsheet's columns (native values)."""
    return [
        p.external_ref,
        p.owner.code,
        p.kind,
        p.item_type.code if p.item_type else "",
        p.quantity,
        p.unit_value,
        p.amount,
        p.currency,
        p.available_from,
        p.releasability,
        p.notes,
        p.illustrative,
    ]


# --- export ----------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def export_rows(*, user: Any, kind: str, **filters: Any) -> tuple[tuple[str, ...], list[list[Any]]]:
    """The columns and the rows (native values) of what `user` may see, as the import reads them."""
    if kind == "pledges":
        pledges = pledge_selectors.pledge_list(user=user, **filters).order_by("owner__code", "id")
        return PLEDGE_COLUMNS, [_pledge_row(p) for p in pledges.iterator(chunk_size=2000)]
    if kind == "requirements":
        requirements = requirement_selectors.requirement_list(user=user, **filters)
        return REQUIREMENT_COLUMNS, [
            [
                r.external_ref,
                r.capability.code,
                ";".join(sorted(t.code for t in r.item_types.all())),
                r.quantity,
                r.priority,
                r.needed_by,
                r.releasability,
                r.notes,
                r.illustrative,
            ]
            for r in requirements
        ]
    raise InvalidInput(f"kind: {kind!r} is not one of {', '.join(KINDS)}", field="kind")


def to_csv(columns: Iterable[str], rows: Iterable[list[Any]]) -> bytes:
    """UTF-8 with a BOM, so that spreadsheet programs read accents right; the import accepts both."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        # Text cells only: a number (even a negative one) stays a number.
        writer.writerow([csv_cells.escape(v) if isinstance(v, str) else _plain(v) for v in row])
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(columns: Iterable[str], rows: Iterable[list[Any]], *, title: str) -> bytes:
    """One sheet: the header and the rows, numbers and dates as such, text always as text."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title)
    sheet.append(list(columns))
    for number, row in enumerate(rows, start=2):
        cells = []
        try:
            for value in row:
                if isinstance(value, str):
                    # Never a formula: text starting with "=" stays text.
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.data_type = "s"
                elif isinstance(value, dt.date):
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.number_format = "yyyy-mm-dd"
                else:
                    cell = WriteOnlyCell(sheet, value=value)
                cells.append(cell)
        except (IllegalCharacterError, *UNREADABLE) as exc:
            # A record the workbook cannot hold (a control character written around the services)
            # is left out and logged; the rest of the export goes out.
            log_unreadable(f"{title} export row {number}, external_ref", row[0] if row else "?", exc)
            continue
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def export_file(*, user: Any, kind: str, fmt: str, **filters: Any) -> tuple[bytes, str, str]:
    """What `user` may see of `kind` as a file: (content, content type, file name)."""
    if fmt not in FORMATS:
        raise InvalidInput(f"format: {fmt!r} is not one of {', '.join(FORMATS)}", field="format")
    columns, rows = export_rows(user=user, kind=kind, **{k: v for k, v in filters.items() if v})
    name = f"{kind}-{dt.date.today().isoformat()}.{fmt}"
    if fmt == "csv":
        return to_csv(columns, rows), CSV_TYPE, name
    return to_xlsx(columns, rows, title=kind), XLSX_TYPE, name
