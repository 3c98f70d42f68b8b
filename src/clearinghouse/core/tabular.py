"""Reading and writing tables: the streaming, bounded CSV/XLSX reader every spreadsheet import
uses, the all-or-nothing import of one kind of record, and CSV/XLSX export.

Reading stops at the first hard limit (file size, an XLSX's unpacked size, rows, columns, a cell's
length) with an error naming the file, row and column; nothing is ever loaded whole. An import
checks every row before writing anything, reports every error (the first MAX_ERRORS listed, the
rest counted), and writes every row through the services in ONE transaction, in batches (bulk
inserts, one audit event per record). The kinds of record
(requirements/spreadsheets.py, pledges/spreadsheets.py) bring their columns, row checks and
upsert.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError, InvalidFileException

from clearinghouse.core import audit, cleaning, clock, csv_cells
from clearinghouse.core.actors import Actor
from clearinghouse.core.errors import DomainError, InvalidInput, PermissionDenied
from clearinghouse.core.forms import without_field
from clearinghouse.core.humanize import count_of
from clearinghouse.core.resilient import UNREADABLE, log_unreadable

FORMATS = ("csv", "xlsx")
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Progress = Callable[[int, int], None]

# What an imported file may hold; past any of these the import stops at once with a clear message
# (a small XLSX can unpack to millions of rows: it is measured before it is read, and read as a
# stream that stops at the first limit, never loaded whole).
MAX_FILE_BYTES = 20 * 1024 * 1024  # the file as uploaded (CSV or XLSX)
MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # an XLSX's parts once decompressed
MAX_ROWS = 100_000  # data rows below the header
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


class ErrorList:
    """The errors found so far in one file: keeps the first MAX_ERRORS, counts all."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.kept: list[SpreadsheetError] = []
        self.total = 0

    def add(self, error: SpreadsheetError) -> None:
        """Count an error, and keep it while fewer than MAX_ERRORS are kept."""
        self.total += 1
        if len(self.kept) < MAX_ERRORS:
            self.kept.append(error)

    def raise_any(self) -> None:
        """Refuse the file (ImportErrors) if any error was found."""
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


def too_big(name: str, size: int) -> None:
    """Refuse a file over MAX_FILE_BYTES, saying how large it is."""
    if size > MAX_FILE_BYTES:
        raise SpreadsheetError(
            file=name,
            problem=f"the file is {size / 1024 / 1024:.1f} MB; at most {MAX_FILE_BYTES // (1024 * 1024)} MB "
            "can be imported at once: split it into several files",
        )


def _check_row(name: str, number: int, cells: list[Any], widest: int | None = None) -> None:
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
            problem=f"more than {MAX_COLUMNS} columns"
            + (f"; the file has at most {widest}" if widest else ""),
        )
    for index, cell in enumerate(cells[:MAX_COLUMNS]):
        if isinstance(cell, str) and len(cell) > MAX_CELL_CHARS:
            raise SpreadsheetError(
                file=name,
                row=number,
                column=get_column_letter(index + 1),
                problem=f"a cell of {len(cell):,} characters; at most {MAX_CELL_CHARS:,} are allowed",
            )


def _iter_csv(path: Path, name: str, widest: int | None) -> Iterator[list[str]]:
    too_big(name, path.stat().st_size)
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
        _check_row(name, number, row, widest)
        yield row[:MAX_COLUMNS]


def _iter_xlsx(path: Path, name: str, widest: int | None) -> Iterator[list[Any]]:
    too_big(name, path.stat().st_size)
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
            _check_row(name, number, cells, widest)
            # max_col pads every row to that width in read-only mode: drop the padding again.
            while cells and cells[-1] is None:
                cells.pop()
            yield cells[:MAX_COLUMNS]
    finally:
        workbook.close()


def iter_table(path: Path, name: str | None = None, *, widest: int | None = None) -> Iterator[list[str]]:
    """Every row of a CSV (UTF-8, with or without BOM) or of an XLSX file's first sheet, as text,
    read as a stream that stops with a `SpreadsheetError` at the first limit the file exceeds.

    `name` is how errors name the file (default: the path's own name); `widest`, how many columns
    the file should have at most (said when a row is far wider).
    """
    name = name or path.name
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows: Iterator[list[Any]] = _iter_csv(path, name, widest)
    elif suffix == ".xlsx":
        rows = _iter_xlsx(path, name, widest)
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
class Sheet:
    """A read file: its name, expected columns and where each column sits."""

    name: str
    columns: tuple[str, ...]
    positions: dict[str, int]
    # A service error about a field that is not a column -> the column it comes from.
    field_to_column: dict[str, str] = field(default_factory=dict)

    def error(self, row: int, column: str | None, problem: str, *, status: int = 422) -> SpreadsheetError:
        """An error at a cell (the column's letter added when the file has that column)."""
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
        column = field if field in self.columns else self.field_to_column.get(field, default)
        return self.error(row, column, without_field(exc.message, exc.field), status=exc.status)


def header(
    name: str,
    kind: str,
    first: list[str] | None,
    *,
    columns: tuple[str, ...],
    optional: frozenset[str] = frozenset(),
    field_to_column: dict[str, str] | None = None,
) -> Sheet:
    """The header row's columns; every problem with it is reported (and nothing below is read)."""
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
    errors = ErrorList(name)
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
        if column not in positions and column not in suggested and column not in optional:
            errors.add(
                SpreadsheetError(
                    file=name,
                    row=1,
                    column=column,
                    problem=f"column {column!r} is missing; the {kind} columns are: {expected}",
                )
            )
    errors.raise_any()
    return Sheet(name=name, columns=columns, positions=positions, field_to_column=field_to_column or {})


def row_data(sheet: Sheet, number: int, cells: list[str]) -> dict[str, str]:
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


# --- checking and importing rows -------------------------------------------------------------------


FAILED: Any = object()  # what `attempt` returns for a check that failed


def attempt(errors: list[SpreadsheetError], check: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """The check's result, or `_FAILED` with its error added to `errors`."""
    try:
        return check(*args, **kwargs)
    except SpreadsheetError as exc:
        errors.append(exc)
        return FAILED


class RowChecker:
    """Checks of one row before anything is written: the cells every kind of file has (a reference,
    releasability, notes, illustrative); a subclass adds its own columns in `check`."""

    def __init__(self, *, actor: Actor, sheet: Sheet) -> None:
        self.actor = actor
        self.sheet = sheet
        self.seen: dict[tuple[str, str], int] = {}

    def check(self, row: int, data: dict[str, str]) -> tuple[dict[str, Any], list[SpreadsheetError]]:
        """The row ready for the services, and every error found in it."""
        raise NotImplementedError

    def field(self, row: int, fn: Callable[..., Any], value: Any, column: str, **kwargs: Any) -> Any:
        """Run one of the services' cleaning functions on a cell; its error is placed at the cell."""
        try:
            return fn(value, column, **kwargs)
        except DomainError as exc:
            raise self.sheet.from_domain(row, exc, column) from None

    def reference(self, row: int, data: dict[str, str], owner: str) -> str:
        """The row's external_ref: required, and once per owner in the file."""
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
        return str(ref)

    def common(self, row: int, data: dict[str, str], errors: list[SpreadsheetError]) -> None:
        """The columns every kind has after its own: releasability, notes, illustrative."""
        attempt(errors, self.field, row, cleaning.releasability, data["releasability"], "releasability")
        attempt(errors, self.field, row, cleaning.text, data["notes"], "notes", max_length=10_000)
        attempt(errors, self.field, row, cleaning.boolean, data.get("illustrative"), "illustrative")


# Writes a batch of checked rows (numbered as the spreadsheet shows them) through the services:
# how many were created, updated, unchanged, and the rows the services refused (with why).
Writer = Callable[[list[tuple[int, dict[str, Any]]]], tuple[Counter[str], list[tuple[int, DomainError]]]]

BATCH_ROWS = 2000  # rows written and audited together
KEEP_ROWS = 20_000  # a file of up to this many rows is checked once and kept; a larger one twice
Row = tuple[int, dict[str, Any]]


@dataclass(frozen=True)
class TableKind:
    """One kind of record a spreadsheet holds: its name, columns, the columns a file may leave out,
    where a service error about a non-column field is shown, and its row checks."""

    kind: str
    columns: tuple[str, ...]
    checker: Callable[..., RowChecker]
    optional: frozenset[str] = frozenset()
    field_to_column: dict[str, str] = field(default_factory=dict)


def import_table(
    table: TableKind,
    *,
    actor: Actor,
    path: Path,
    writer: Callable[[], Writer],
    progress: Progress | None = None,
    name: str | None = None,
) -> ImportSummary:
    """Import a CSV or XLSX file of one kind of record, all or nothing, as `actor`.

    The file is read as a stream: first every row is checked (`table.checker(actor=, sheet=).check`)
    and every error reported; if none failed, the checked rows (kept up to KEEP_ROWS, else read and
    checked again) are written in batches of BATCH_ROWS through `writer()` (bulk inserts, one
    audit event per record), all in ONE transaction: any row the services refuse is reported
    (every one of them) and the whole file is rolled back. `progress(done, total)` is called after
    each batch; `name` is the file name errors give (default: the path's own name).
    """
    path = Path(path)
    label = name or path.name
    if not path.is_file():
        raise InvalidInput(f"{label}: no such file", field="file")
    if path.stat().st_size > MAX_FILE_BYTES:
        too_big(label, path.stat().st_size)
    errors = ErrorList(label)
    # The checked rows of a file up to KEEP_ROWS rows are kept from the first reading; a larger
    # file is read and checked again while it is written, so memory stays bounded.
    kept: list[Row] | None = []
    total = 0
    for row in _checked_rows(table, actor, path, label, errors):
        total += 1
        if kept is not None:
            kept.append(row)
            if len(kept) > KEEP_ROWS:
                kept = None
    if not total and not errors.total:
        sheet = _sheet(table, path, label)[0]
        raise sheet.error(2, sheet.columns[0], "no data rows: the file has a header but nothing below it")
    errors.raise_any()
    counts: Counter[str] = Counter()
    done = 0
    # The audit events of every batch are held and appended together at the end (`audit.deferred`):
    # the chain's lock is taken for that moment only, not from the first batch to the commit.
    with transaction.atomic(), audit.deferred():
        write = writer()
        sheet = _sheet(table, path, label)[0]
        rows = kept if kept is not None else _checked_rows(table, actor, path, label, errors)
        for batch in _batches(rows, BATCH_ROWS):
            outcome, refused = write(batch)
            counts.update(outcome)
            for number, exc in sorted(refused, key=lambda r: r[0]):
                errors.add(sheet.from_domain(number, exc, "external_ref"))
            done += len(batch)
            if progress is not None:
                progress(done, total)
        errors.raise_any()
    audit.checkpoint_after_import()
    return ImportSummary(
        kind=table.kind,
        file=label,
        rows=total,
        created=counts["created"],
        updated=counts["updated"],
        unchanged=counts["unchanged"],
    )


def _sheet(table: TableKind, path: Path, label: str) -> tuple[Sheet, Iterator[list[str]]]:
    """The file's header, read, and the stream of its rows below it."""
    rows = iter_table(path, label, widest=len(table.columns))
    sheet = header(
        label,
        table.kind,
        next(rows, None),
        columns=table.columns,
        optional=table.optional,
        field_to_column=table.field_to_column,
    )
    return sheet, rows


def _checked_rows(
    table: TableKind, actor: Any, path: Path, label: str, errors: ErrorList
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The rows that pass every check (numbered as the spreadsheet shows them), read as a stream;
    the errors of the others go to `errors`. A hard limit (size, rows, columns, a huge cell) stops
    at once."""
    sheet, rows = _sheet(table, path, label)
    checker = table.checker(actor=actor, sheet=sheet)
    for number, cells in enumerate(rows, start=2):
        if not any(cells) or (number == 2 and is_hxl_row(cells)):
            continue  # blank, or the HXL hashtag row of an export (`to_csv(hxl=)`)
        try:
            data = row_data(sheet, number, cells)
        except SpreadsheetError as exc:
            errors.add(exc)
            continue
        clean, problems = checker.check(number, data)
        for problem in problems:
            errors.add(problem)
        if not problems:
            yield number, clean


def _batches(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# --- export ----------------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """A value as a CSV cell writes it: blank, true/false, decimals in full, ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def is_hxl_row(cells: list[str]) -> bool:
    """Whether a row is an HXL hashtag row (hxlstandard.org): every filled cell a `#tag`."""
    filled = [c.strip() for c in cells if c and c.strip()]
    return bool(filled) and all(c.startswith("#") for c in filled)


def to_csv(
    columns: Iterable[str], rows: Iterable[list[Any]], *, hxl: Mapping[str, str] | None = None
) -> bytes:
    """UTF-8 with a BOM, so that spreadsheet programs read accents right; the import accepts both.
    `hxl`: the HXL hashtag of each column, written as a row under the header (the import skips it)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    columns = list(columns)
    writer.writerow(columns)
    if hxl is not None:
        writer.writerow([hxl.get(c, f"#meta +{c}") for c in columns])
    for row in rows:
        # Text cells only: a number (even a negative one) stays a number.
        writer.writerow([csv_cells.escape(v) if isinstance(v, str) else plain(v) for v in row])
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


def check_format(fmt: str) -> None:
    """Refuse a file format other than csv and xlsx."""
    if fmt not in FORMATS:
        raise InvalidInput(f"format: {fmt!r} is not one of {', '.join(FORMATS)}", field="format")


def export_file(
    *,
    kind: str,
    fmt: str,
    read: Callable[[], tuple[tuple[str, ...], list[list[Any]]]],
    hxl: Mapping[str, str] | None = None,
) -> tuple[bytes, str, str]:
    """What `read()` gives (columns, rows) as a file of `kind`: (content, content type, file name
    `KIND[-hxl]-YYYY-MM-DD.FMT`; `hxl`: CSV with the HXL hashtag row). The format is checked first."""
    check_format(fmt)
    columns, rows = read()
    tagged = hxl is not None and fmt == "csv"
    name = f"{kind}{'-hxl' if tagged else ''}-{clock.today().isoformat()}.{fmt}"
    if fmt == "csv":
        return to_csv(columns, rows, hxl=hxl), CSV_TYPE, name
    return to_xlsx(columns, rows, title=kind), XLSX_TYPE, name
