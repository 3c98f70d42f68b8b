"""Reading a Kiel tracker release from its CSV files, and checking the release's own identities.

No database here: `read_release` turns a directory into plain data or raises `KielFormatError`
naming the file, row and column; `check_identities` lists the rows that break the tracker's own
arithmetic (they are reported, not refused). Rows are numbered as in a spreadsheet: the header is
row 1, the first data row is row 2.

Tolerance. The tracker publishes its amounts rounded (6 decimals in release 29), so a published
sum may differ from the sum of its published terms by up to half a unit in the last place per
term. Every identity is checked with that allowance: with `h` = half a unit of the last decimal
the file uses (5e-7 for 6 decimals), `total = military + financial + humanitarian` holds within
4h, `commitments = total + to_be_allocated` within 3h, a month of total_allocations.csv against
the sum of its n donor rows within (n + 1)h, and `pct_gdp = 100 × total / gdp` within
100h / gdp (plus 1e-14 relative for the percentage's own 15 significant digits).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from clearinghouse.core.errors import InvalidInput
from clearinghouse.core.validation import date_problem, text_problem

# Every report reads weapons.csv: a release without it is refused (it used to become current and
# leave the weapons report and the public page failing). eu_aid_shares.csv is absent from the
# release 31 preview and procurement_trends.csv is read by nothing: those two stay optional.
REQUIRED_FILES = ("release_info.csv", "data_explorer.csv", "total_allocations.csv", "weapons.csv")
OPTIONAL_FILES = ("eu_aid_shares.csv", "procurement_trends.csv")

_BN = Decimal(1000)  # EUR billion: above every figure the tracker has published (all donors: 358)
# What each number may be, as (least, greatest, most decimals): the tracker's own plausible range
# (non-negative wherever the tracker is; only to_be_allocated goes below zero), inside what the
# database column holds. A value outside is refused with its file, row and column, so that a
# typo such as 1e400, -5 or a 38-digit number never becomes part of a current release.
_RANGES: dict[tuple[str, str], tuple[Decimal, Decimal, int]] = {
    **{
        ("data_explorer.csv", c): (Decimal(0), _BN, 9)
        for c in ("military", "financial", "humanitarian", "total", "commitments")
    },
    ("data_explorer.csv", "to_be_allocated"): (-_BN, _BN, 9),
    ("data_explorer.csv", "gdp"): (Decimal(0), Decimal(1_000_000), 15),  # world GDP: ~100,000 bn
    ("data_explorer.csv", "pct_gdp"): (Decimal(0), Decimal(100), 40),  # checked, not stored
    **{
        ("total_allocations.csv", c): (Decimal(0), _BN, 9)
        for c in ("total_allocations", "military", "financial", "humanitarian")
    },
    **{
        ("eu_aid_shares.csv", c): (Decimal(0), Decimal(100), 12)
        for c in ("bilateral_pct_gdp", "eu_share_pct_gdp", "total_pct_gdp")
    },
    ("eu_aid_shares.csv", "eu_share_bn"): (Decimal(0), _BN, 9),
    **{
        ("procurement_trends.csv", c): (Decimal(0), _BN, 18)
        for c in ("stockpile", "procurement", "unspecified", "nato_purl")
    },
    ("weapons.csv", "number_of_weapons"): (Decimal(0), Decimal(1_000_000), 0),
    ("weapons.csv", "monetary_value_eur"): (Decimal(0), Decimal(10) ** 12, 2),  # EUR, not billions
    ("release_info.csv", "release"): (Decimal(1), Decimal(1_000_000), 0),
}

RELEASE_COLUMNS = ("release", "period", "date", "label")
EXPLORER_COLUMNS = (
    "country",
    "iso",
    "year",
    "month",
    "total",
    "financial",
    "humanitarian",
    "military",
    "gdp",
    "pct_gdp",
)
# Release 29 has them; the release 31 preview does not. Both or neither.
COMMITMENT_COLUMNS = ("commitments", "to_be_allocated")
TOTALS_COLUMNS = ("year", "month", "total_allocations", "military", "financial", "humanitarian")
EU_SHARE_COLUMNS = ("country", "iso", "bilateral_pct_gdp", "eu_share_pct_gdp", "total_pct_gdp", "eu_share_bn")
PROCUREMENT_COLUMNS = ("year", "month", "stockpile", "procurement", "unspecified", "nato_purl")
WEAPONS_COLUMNS = ("donor", "category", "number_of_weapons", "monetary_value_eur", "weapons_list")

_NUMBER = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
_INTEGER = re.compile(r"^\d+$")
_WEAPON_MODEL = re.compile(r"^(?P<name>.+?) \((?P<count>\d+)\)$")


class KielFormatError(InvalidInput):
    """A malformed release: names the file, the row (header = 1) and the column; nothing is imported."""

    def __init__(self, file: str, row: int | None, column: str | None, reason: str) -> None:
        where = file
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {reason}", field=column or file)
        self.file = file
        self.row = row
        self.column = column
        self.reason = reason


class KielFormatErrors(KielFormatError):
    """Every malformed row of a release (the first MAX_ERRORS listed, the rest counted)."""

    def __init__(self, errors: list[KielFormatError], total: int) -> None:
        first = errors[0]
        super().__init__(first.file, first.row, first.column, first.reason)
        lines = [e.message for e in errors]
        if total > len(errors):
            lines.append(f"… and {total - len(errors)} more errors")
        self.errors = errors
        self.total = total
        self.message = f"{total} errors in the release, nothing was imported:\n" + "\n".join(lines)
        self.args = (self.message,)


MAX_ERRORS = 100


class _Problems:
    """The malformed rows found so far: every one is reported, the release imports nothing."""

    def __init__(self) -> None:
        self.kept: list[KielFormatError] = []
        self.total = 0

    @contextlib.contextmanager
    def collect(self) -> Iterator[None]:
        """Record a row's KielFormatError and go on with the next row."""
        try:
            yield
        except KielFormatError as exc:
            self.total += 1
            if len(self.kept) < MAX_ERRORS:
                self.kept.append(exc)

    def raise_any(self) -> None:
        if self.total == 1:
            raise self.kept[0]
        if self.total:
            raise KielFormatErrors(self.kept, self.total)


@dataclass(frozen=True)
class ReleaseInfo:
    """release_info.csv: number, period, publication date, label."""

    number: int
    period: str
    date: dt.date
    label: str


@dataclass(frozen=True)
class ExplorerRow:
    """One row of data_explorer.csv: a donor's month, every column as published."""

    row: int
    code: str
    country: str
    year: int
    month: int
    values: dict[str, Decimal]  # military, financial, humanitarian, total (+ commitments, to_be_allocated)
    gdp: Decimal
    pct_gdp: Decimal


@dataclass(frozen=True)
class MonthTotalRow:
    """One row of total_allocations.csv."""

    row: int
    year: int
    month: int
    values: dict[str, Decimal]  # total, military, financial, humanitarian


@dataclass(frozen=True)
class EuShareRow:
    """One row of eu_aid_shares.csv."""

    row: int
    code: str
    country: str
    bilateral_pct_gdp: Decimal
    eu_share_pct_gdp: Decimal
    total_pct_gdp: Decimal
    eu_share_bn: Decimal


@dataclass(frozen=True)
class ProcurementRow:
    """One row of procurement_trends.csv."""

    row: int
    year: int
    month: int
    stockpile: Decimal
    procurement: Decimal
    unspecified: Decimal
    nato_purl: Decimal


@dataclass(frozen=True)
class WeaponsRow:
    """One row of weapons.csv, the donor mapped to a participant code."""

    row: int
    code: str
    donor: str
    category: str
    count: int
    value_eur: Decimal
    models: list[dict[str, Any]]
    models_text: str


@dataclass
class ParsedRelease:
    """A whole release read from its directory, before it touches the database."""

    info: ReleaseInfo
    digest: str
    files: list[str]
    has_commitments: bool
    explorer: list[ExplorerRow]
    month_totals: list[MonthTotalRow]
    eu_shares: list[EuShareRow] = field(default_factory=list)
    procurement: list[ProcurementRow] = field(default_factory=list)
    weapons: list[WeaponsRow] = field(default_factory=list)
    decimals: int = 6  # the most decimals of any amount in data_explorer.csv

    @property
    def half_unit(self) -> Decimal:
        """Half a unit in the last decimal place the release's amounts are rounded to."""
        return Decimal(5).scaleb(-(self.decimals + 1))


def digest_of(directory: Path, names: list[str]) -> str:
    """SHA-256 over each file's name and SHA-256, in name order: the release's fingerprint."""
    outer = hashlib.sha256()
    for name in sorted(names):
        inner = hashlib.sha256((directory / name).read_bytes()).hexdigest()
        outer.update(f"{name}\0{inner}\n".encode())
    return outer.hexdigest()


class _Csv:
    """One CSV file being read: its rows as dicts, and helpers that name file/row/column on error."""

    def __init__(self, directory: Path, name: str, required: tuple[str, ...]) -> None:
        self.name = name
        path = directory / name
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise KielFormatError(name, None, None, f"cannot read the file ({reason})") from exc
        try:
            reader = csv.reader(io.StringIO(text, newline=""))
            rows = list(reader)
        except csv.Error as exc:
            raise KielFormatError(name, None, None, f"not a readable CSV file ({exc})") from exc
        if not rows:
            raise KielFormatError(name, 1, None, "the file is empty (no header row)")
        self.header = [h.strip() for h in rows[0]]
        for column in required:
            if column not in self.header:
                raise KielFormatError(name, 1, column, "missing column")
        self.rows: list[tuple[int, dict[str, str]]] = []
        for number, values in enumerate(rows[1:], start=2):
            if not values or all(not v.strip() for v in values):
                continue  # blank line (e.g. a trailing newline)
            if len(values) != len(self.header):
                raise KielFormatError(
                    name, number, None, f"has {len(values)} fields where the header has {len(self.header)}"
                )
            self.rows.append((number, dict(zip(self.header, values, strict=True))))

    def has(self, column: str) -> bool:
        return column in self.header

    def text(self, row: int, values: dict[str, str], column: str) -> str:
        value = values[column].strip()
        if not value:
            raise KielFormatError(self.name, row, column, "empty value")
        return self.clean(row, column, value)

    def clean(self, row: int, column: str, value: str) -> str:
        """Text without control characters (see core.validation)."""
        problem = text_problem(value)
        if problem:
            raise KielFormatError(self.name, row, column, problem)
        return value

    def _in_range(self, row: int, column: str, value: Decimal, text: str) -> None:
        least, greatest, places = _RANGES.get((self.name, column), (-_BN, _BN, 9))
        if not value.is_finite() or not least <= value <= greatest:
            raise KielFormatError(
                self.name, row, column, f"{text!r} is outside the plausible range {least} to {greatest}"
            )
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places:
            raise KielFormatError(self.name, row, column, f"{text!r} has more than {places} decimals")

    def decimal(self, row: int, values: dict[str, str], column: str) -> Decimal:
        value = self.text(row, values, column)
        if not _NUMBER.match(value) or len(value) > 40:
            raise KielFormatError(self.name, row, column, f"not a number: {value[:40]!r}")
        number = Decimal(value)
        self._in_range(row, column, number, value)
        # 1.5e-3 is stored as the decimal it denotes, never as text Django may not round-trip.
        return number if "e" not in value.lower() else Decimal(format(number, "f"))

    def integer(self, row: int, values: dict[str, str], column: str) -> int:
        value = self.text(row, values, column)
        if not _INTEGER.match(value) or len(value) > 18:
            raise KielFormatError(self.name, row, column, f"not a whole number: {value[:40]!r}")
        if (self.name, column) in _RANGES:
            self._in_range(row, column, Decimal(value), value)
        return int(value)

    def month(self, row: int, values: dict[str, str]) -> tuple[int, int]:
        year = self.integer(row, values, "year")
        month = self.integer(row, values, "month")
        if not 1 <= month <= 12:
            raise KielFormatError(self.name, row, "month", f"not a month (1-12): {month}")
        if not 2000 <= year <= 2100:
            raise KielFormatError(self.name, row, "year", f"not a plausible year: {year}")
        return year, month


def _decimals(text: str) -> int:
    mantissa = text.lower().split("e")[0]
    return len(mantissa.split(".")[1]) if "." in mantissa else 0


def read_release(
    directory: Path,
    *,
    known_codes: set[str],
    code_for_tracker_name: Callable[[str], str | None],
) -> ParsedRelease:
    """Read and validate every file of a release; every malformed row is reported (`KielFormatError`,
    or `KielFormatErrors` for several) and nothing is returned.

    `known_codes` are the participant codes a donor's `iso` may use; `code_for_tracker_name` maps
    a donor name of weapons.csv (the tracker's spelling) to a participant code.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise KielFormatError(str(directory), None, None, "not a directory")
    for name in REQUIRED_FILES:
        if not (directory / name).is_file():
            raise KielFormatError(name, None, None, f"required file missing from {directory}")
    present = [*REQUIRED_FILES, *(n for n in OPTIONAL_FILES if (directory / n).is_file())]

    problems = _Problems()
    info = _read_info(directory)
    explorer, has_commitments, decimals = _read_explorer(directory, known_codes, problems)
    parsed = ParsedRelease(
        info=info,
        digest=digest_of(directory, present),
        files=present,
        has_commitments=has_commitments,
        explorer=explorer,
        month_totals=_read_month_totals(directory, problems),
        decimals=decimals or 6,
    )
    if "eu_aid_shares.csv" in present:
        parsed.eu_shares = _read_eu_shares(directory, known_codes, problems)
    if "procurement_trends.csv" in present:
        parsed.procurement = _read_procurement(directory, problems)
    if "weapons.csv" in present:
        parsed.weapons = _read_weapons(directory, code_for_tracker_name, problems)
    problems.raise_any()
    return parsed


def _read_info(directory: Path) -> ReleaseInfo:
    """release_info.csv: exactly one row."""
    info_csv = _Csv(directory, "release_info.csv", RELEASE_COLUMNS)
    if len(info_csv.rows) != 1:
        raise KielFormatError("release_info.csv", 2, None, f"expected one row, found {len(info_csv.rows)}")
    row_no, values = info_csv.rows[0]
    date_text = info_csv.text(row_no, values, "date")
    try:
        date = dt.date.fromisoformat(date_text)
    except ValueError:
        raise KielFormatError(
            "release_info.csv", row_no, "date", f"not a date (YYYY-MM-DD): {date_text!r}"
        ) from None
    if date_problem(date):
        raise KielFormatError("release_info.csv", row_no, "date", str(date_problem(date)))
    return ReleaseInfo(
        number=info_csv.integer(row_no, values, "release"),
        period=info_csv.text(row_no, values, "period"),
        date=date,
        label=info_csv.text(row_no, values, "label"),
    )


def _read_explorer(
    directory: Path, known_codes: set[str], problems: _Problems
) -> tuple[list[ExplorerRow], bool, int]:
    """data_explorer.csv: its rows, whether it has the commitment columns, and the most decimals of
    any amount (the release's rounding)."""
    explorer_csv = _Csv(directory, "data_explorer.csv", EXPLORER_COLUMNS)
    has_commitments = any(explorer_csv.has(c) for c in COMMITMENT_COLUMNS)
    if has_commitments:
        for column in COMMITMENT_COLUMNS:
            if not explorer_csv.has(column):
                raise KielFormatError(
                    "data_explorer.csv",
                    1,
                    column,
                    "missing column (commitments and to_be_allocated go together)",
                )
    value_columns = ("military", "financial", "humanitarian", "total") + (
        COMMITMENT_COLUMNS if has_commitments else ()
    )
    explorer: list[ExplorerRow] = []
    seen: dict[tuple[str, int, int], int] = {}
    decimals = 0
    for row_no, values in explorer_csv.rows:
        with problems.collect():
            code = explorer_csv.text(row_no, values, "iso").upper()
            if code not in known_codes:
                raise KielFormatError("data_explorer.csv", row_no, "iso", f"unknown donor code {code!r}")
            year, month = explorer_csv.month(row_no, values)
            key = (code, year, month)
            if key in seen:
                raise KielFormatError(
                    "data_explorer.csv",
                    row_no,
                    "iso",
                    f"second row for {code} {year}-{month:02d} (first: row {seen[key]})",
                )
            seen[key] = row_no
            amounts = {c: explorer_csv.decimal(row_no, values, c) for c in value_columns}
            decimals = max([decimals, *(_decimals(values[c].strip()) for c in value_columns)])
            explorer.append(
                ExplorerRow(
                    row=row_no,
                    code=code,
                    country=explorer_csv.clean(row_no, "country", values["country"].strip()),
                    year=year,
                    month=month,
                    values=amounts,
                    gdp=explorer_csv.decimal(row_no, values, "gdp"),
                    pct_gdp=explorer_csv.decimal(row_no, values, "pct_gdp"),
                )
            )
    return explorer, has_commitments, decimals


def _read_month_totals(directory: Path, problems: _Problems) -> list[MonthTotalRow]:
    """total_allocations.csv: one row a month."""
    totals_csv = _Csv(directory, "total_allocations.csv", TOTALS_COLUMNS)
    month_totals: list[MonthTotalRow] = []
    seen_months: dict[tuple[int, int], int] = {}
    for row_no, values in totals_csv.rows:
        with problems.collect():
            year, month = totals_csv.month(row_no, values)
            if (year, month) in seen_months:
                raise KielFormatError(
                    "total_allocations.csv", row_no, "month", f"second row for {year}-{month:02d}"
                )
            seen_months[(year, month)] = row_no
            month_totals.append(
                MonthTotalRow(
                    row=row_no,
                    year=year,
                    month=month,
                    values={
                        "total": totals_csv.decimal(row_no, values, "total_allocations"),
                        "military": totals_csv.decimal(row_no, values, "military"),
                        "financial": totals_csv.decimal(row_no, values, "financial"),
                        "humanitarian": totals_csv.decimal(row_no, values, "humanitarian"),
                    },
                )
            )
    return month_totals


def _read_eu_shares(directory: Path, known_codes: set[str], problems: _Problems) -> list[EuShareRow]:
    """eu_aid_shares.csv: one row a member."""
    shares_csv = _Csv(directory, "eu_aid_shares.csv", EU_SHARE_COLUMNS)
    shares: list[EuShareRow] = []
    seen_codes: set[str] = set()
    for row_no, values in shares_csv.rows:
        with problems.collect():
            code = shares_csv.text(row_no, values, "iso").upper()
            if code not in known_codes:
                raise KielFormatError("eu_aid_shares.csv", row_no, "iso", f"unknown donor code {code!r}")
            if code in seen_codes:
                raise KielFormatError("eu_aid_shares.csv", row_no, "iso", f"second row for {code}")
            seen_codes.add(code)
            shares.append(
                EuShareRow(
                    row=row_no,
                    code=code,
                    country=shares_csv.clean(row_no, "country", values["country"].strip()),
                    bilateral_pct_gdp=shares_csv.decimal(row_no, values, "bilateral_pct_gdp"),
                    eu_share_pct_gdp=shares_csv.decimal(row_no, values, "eu_share_pct_gdp"),
                    total_pct_gdp=shares_csv.decimal(row_no, values, "total_pct_gdp"),
                    eu_share_bn=shares_csv.decimal(row_no, values, "eu_share_bn"),
                )
            )
    return shares


def _read_procurement(directory: Path, problems: _Problems) -> list[ProcurementRow]:
    """procurement_trends.csv: one row a month."""
    proc_csv = _Csv(directory, "procurement_trends.csv", PROCUREMENT_COLUMNS)
    rows: list[ProcurementRow] = []
    seen_proc: set[tuple[int, int]] = set()
    for row_no, values in proc_csv.rows:
        with problems.collect():
            year, month = proc_csv.month(row_no, values)
            if (year, month) in seen_proc:
                raise KielFormatError(
                    "procurement_trends.csv", row_no, "month", f"second row for {year}-{month:02d}"
                )
            seen_proc.add((year, month))
            rows.append(
                ProcurementRow(
                    row=row_no,
                    year=year,
                    month=month,
                    stockpile=proc_csv.decimal(row_no, values, "stockpile"),
                    procurement=proc_csv.decimal(row_no, values, "procurement"),
                    unspecified=proc_csv.decimal(row_no, values, "unspecified"),
                    nato_purl=proc_csv.decimal(row_no, values, "nato_purl"),
                )
            )
    return rows


def _weapon_models(models_text: str) -> list[dict[str, Any]]:
    """The entries of a weapons_list ("model (count); …"); an entry without a count has None."""
    models: list[dict[str, Any]] = []
    for part in (p.strip() for p in models_text.split(";")):
        if not part:
            continue
        m = _WEAPON_MODEL.match(part)
        models.append({"name": m["name"], "count": int(m["count"])} if m else {"name": part, "count": None})
    return models


def _read_weapons(
    directory: Path, code_for_tracker_name: Callable[[str], str | None], problems: _Problems
) -> list[WeaponsRow]:
    """weapons.csv: one row a donor and category, the donor's tracker name mapped to its code."""
    weapons_csv = _Csv(directory, "weapons.csv", WEAPONS_COLUMNS)
    rows: list[WeaponsRow] = []
    seen_weapons: dict[tuple[str, str], int] = {}
    for row_no, values in weapons_csv.rows:
        with problems.collect():
            donor = weapons_csv.text(row_no, values, "donor")
            code = code_for_tracker_name(donor)
            if code is None:
                raise KielFormatError("weapons.csv", row_no, "donor", f"unknown donor {donor!r}")
            category = weapons_csv.text(row_no, values, "category")
            if (code, category) in seen_weapons:
                raise KielFormatError(
                    "weapons.csv",
                    row_no,
                    "category",
                    f"second row for {donor} / {category} (first: row {seen_weapons[(code, category)]})",
                )
            seen_weapons[(code, category)] = row_no
            models_text = weapons_csv.clean(row_no, "weapons_list", values["weapons_list"].strip())
            rows.append(
                WeaponsRow(
                    row=row_no,
                    code=code,
                    donor=donor,
                    category=category,
                    count=weapons_csv.integer(row_no, values, "number_of_weapons"),
                    value_eur=weapons_csv.decimal(row_no, values, "monetary_value_eur"),
                    models=_weapon_models(models_text),
                    models_text=models_text,
                )
            )
    return rows


@dataclass(frozen=True)
class IdentityWarning:
    """A row that breaks one of the release's own identities: the file, the row (0: the file as a
    whole), the identity and what the figures say. Kept with the release (`as_json`) and reported."""

    file: str
    row: int
    check: str
    detail: str

    def as_json(self) -> dict[str, Any]:
        """The warning as stored in `KielRelease.warnings` and answered by the API."""
        return {"file": self.file, "row": self.row, "check": self.check, "detail": self.detail}


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


def check_identities(
    parsed: ParsedRelease, *, tracker_name_for: Callable[[str], str] | None = None
) -> list[IdentityWarning]:
    """Every row that breaks the release's own arithmetic, within the rounding tolerance (see module)."""
    sums = _DonorSums()
    return [
        *_explorer_warnings(parsed, sums, tracker_name_for),
        *_month_total_warnings(parsed, sums),
        *_eu_share_warnings(parsed, sums),
        *_weapons_warnings(parsed),
    ]


@dataclass
class _DonorSums:
    """What data_explorer.csv adds up to, per donor and per month (the other files are checked
    against it)."""

    gdp_of: dict[str, Decimal] = field(default_factory=dict)
    rows_of: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    total_of: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    month_sum: dict[tuple[int, int], dict[str, Decimal]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(Decimal))
    )
    month_rows: dict[tuple[int, int], int] = field(default_factory=lambda: defaultdict(int))


def _explorer_warnings(
    parsed: ParsedRelease, sums: _DonorSums, tracker_name_for: Callable[[str], str] | None
) -> list[IdentityWarning]:
    """data_explorer.csv against itself (total, commitments, share of GDP, one GDP, the donor's
    name); adds every row to `sums`."""
    h = parsed.half_unit
    warnings: list[IdentityWarning] = []
    explorer_file = "data_explorer.csv"
    for r in parsed.explorer:
        v = r.values
        parts = v["military"] + v["financial"] + v["humanitarian"]
        if abs(v["total"] - parts) > 4 * h:
            warnings.append(
                IdentityWarning(
                    explorer_file,
                    r.row,
                    "total = military + financial + humanitarian",
                    f"{r.code} {r.year}-{r.month:02d}: total {_fmt(v['total'])} but military + financial + "
                    f"humanitarian = {_fmt(parts)} (difference {_fmt(v['total'] - parts)})",
                )
            )
        if parsed.has_commitments:
            expected = v["total"] + v["to_be_allocated"]
            if abs(v["commitments"] - expected) > 3 * h:
                warnings.append(
                    IdentityWarning(
                        explorer_file,
                        r.row,
                        "commitments = total + to_be_allocated",
                        f"{r.code} {r.year}-{r.month:02d}: commitments {_fmt(v['commitments'])} but total + "
                        f"to_be_allocated = {_fmt(expected)} "
                        f"(difference {_fmt(v['commitments'] - expected)})",
                    )
                )
        if r.gdp > 0:
            computed = 100 * v["total"] / r.gdp
            tolerance = 100 * h / r.gdp + abs(r.pct_gdp) * Decimal("1e-14")
            if abs(r.pct_gdp - computed) > tolerance:
                warnings.append(
                    IdentityWarning(
                        explorer_file,
                        r.row,
                        "pct_gdp = 100 × total / gdp",
                        f"{r.code} {r.year}-{r.month:02d}: pct_gdp {_fmt(r.pct_gdp)} but 100 × total / gdp = "
                        f"{_fmt(computed.quantize(Decimal('1e-15')))}",
                    )
                )
        elif r.pct_gdp != 0:
            warnings.append(
                IdentityWarning(
                    explorer_file,
                    r.row,
                    "pct_gdp = 100 × total / gdp",
                    f"{r.code} {r.year}-{r.month:02d}: pct_gdp {_fmt(r.pct_gdp)} with no GDP (gdp = 0)",
                )
            )
        if r.code in sums.gdp_of and sums.gdp_of[r.code] != r.gdp:
            warnings.append(
                IdentityWarning(
                    explorer_file,
                    r.row,
                    "one 2021 GDP per donor",
                    f"{r.code}: gdp {_fmt(r.gdp)} differs from the donor's earlier rows "
                    f"({_fmt(sums.gdp_of[r.code])}); the first is used",
                )
            )
        sums.gdp_of.setdefault(r.code, r.gdp)
        if tracker_name_for is not None:
            expected_name = tracker_name_for(r.code)
            if expected_name and r.country != expected_name and sums.rows_of[r.code] == 0:
                warnings.append(
                    IdentityWarning(
                        explorer_file,
                        r.row,
                        "donor name matches the participant's tracker name",
                        f"{r.code}: country {r.country!r}, participant's tracker name {expected_name!r}",
                    )
                )
        sums.rows_of[r.code] += 1
        sums.total_of[r.code] += v["total"]
        for t in ("total", "military", "financial", "humanitarian"):
            sums.month_sum[(r.year, r.month)][t] += v[t]
        sums.month_rows[(r.year, r.month)] += 1
    return warnings


def _month_total_warnings(parsed: ParsedRelease, sums: _DonorSums) -> list[IdentityWarning]:
    """total_allocations.csv against the sums of data_explorer.csv, month by month."""
    h = parsed.half_unit
    warnings: list[IdentityWarning] = []
    listed = set()
    for m in parsed.month_totals:
        key = (m.year, m.month)
        listed.add(key)
        n = sums.month_rows.get(key, 0)
        for t, published in m.values.items():
            summed = sums.month_sum[key][t] if key in sums.month_sum else Decimal(0)
            if abs(published - summed) > (n + 1) * h:
                column = "total_allocations" if t == "total" else t
                warnings.append(
                    IdentityWarning(
                        "total_allocations.csv",
                        m.row,
                        f"{column} = sum over donors",
                        f"{m.year}-{m.month:02d} {column}: {_fmt(published)} but the {n} donor rows of "
                        f"data_explorer.csv sum to {_fmt(summed)} (difference {_fmt(published - summed)})",
                    )
                )
    warnings.extend(
        IdentityWarning(
            "total_allocations.csv",
            0,
            "total_allocations = sum over donors",
            f"{key[0]}-{key[1]:02d} has donor rows in data_explorer.csv but no row here",
        )
        for key in sorted(set(sums.month_rows) - listed)
    )
    return warnings


def _eu_share_warnings(parsed: ParsedRelease, sums: _DonorSums) -> list[IdentityWarning]:
    """eu_aid_shares.csv against itself and data_explorer.csv."""
    if not parsed.eu_shares:
        return []
    h = parsed.half_unit
    warnings: list[IdentityWarning] = []
    shares_file = "eu_aid_shares.csv"
    pct_decimals = max(
        _decimals(_fmt(x))
        for s in parsed.eu_shares
        for x in (s.bilateral_pct_gdp, s.eu_share_pct_gdp, s.total_pct_gdp)
    )
    hp = Decimal(5).scaleb(-(max(pct_decimals, 1) + 1))
    share_sum = sum((s.eu_share_bn for s in parsed.eu_shares), Decimal(0))
    eu_total = sums.total_of.get("EU", Decimal(0))
    if abs(share_sum - eu_total) > (len(parsed.eu_shares) + sums.rows_of.get("EU", 0)) * h:
        warnings.append(
            IdentityWarning(
                shares_file,
                0,
                "eu_share_bn sums to the EU institutions' total",
                f"eu_share_bn sums to {_fmt(share_sum)}, the EU institutions' total is {_fmt(eu_total)}",
            )
        )
    for s in parsed.eu_shares:
        gdp = sums.gdp_of.get(s.code)
        if gdp is None or gdp <= 0:
            warnings.append(
                IdentityWarning(
                    shares_file, s.row, "member has a GDP", f"{s.code}: no 2021 GDP in data_explorer.csv"
                )
            )
            continue
        bilateral = 100 * sums.total_of[s.code] / gdp
        if abs(s.bilateral_pct_gdp - bilateral) > hp + 100 * sums.rows_of[s.code] * h / gdp:
            warnings.append(
                IdentityWarning(
                    shares_file,
                    s.row,
                    "bilateral_pct_gdp = 100 × donor total / gdp",
                    f"{s.code}: bilateral_pct_gdp {_fmt(s.bilateral_pct_gdp)} but data_explorer.csv "
                    f"gives 100 × {_fmt(sums.total_of[s.code])} / {_fmt(gdp)} = "
                    f"{_fmt(bilateral.quantize(Decimal('1e-6')))}",
                )
            )
        eu_pct = 100 * s.eu_share_bn / gdp
        if abs(s.eu_share_pct_gdp - eu_pct) > hp + 100 * h / gdp:
            warnings.append(
                IdentityWarning(
                    shares_file,
                    s.row,
                    "eu_share_pct_gdp = 100 × eu_share_bn / gdp",
                    f"{s.code}: eu_share_pct_gdp {_fmt(s.eu_share_pct_gdp)} but "
                    f"100 × eu_share_bn / gdp = {_fmt(eu_pct.quantize(Decimal('1e-6')))}",
                )
            )
        summed_pct = s.bilateral_pct_gdp + s.eu_share_pct_gdp
        if abs(s.total_pct_gdp - summed_pct) > 3 * hp:
            warnings.append(
                IdentityWarning(
                    shares_file,
                    s.row,
                    "total_pct_gdp = bilateral_pct_gdp + eu_share_pct_gdp",
                    f"{s.code}: total_pct_gdp {_fmt(s.total_pct_gdp)} but the sum is {_fmt(summed_pct)}",
                )
            )
    return warnings


def _weapons_warnings(parsed: ParsedRelease) -> list[IdentityWarning]:
    """weapons.csv: each list of models adds up to the number of weapons."""
    warnings: list[IdentityWarning] = []
    for w in parsed.weapons:
        counted = [m["count"] for m in w.models]
        if None in counted:
            warnings.append(
                IdentityWarning(
                    "weapons.csv",
                    w.row,
                    "weapons_list entries read 'model (count)'",
                    f"{w.donor} / {w.category}: cannot read a count in {w.models_text!r}",
                )
            )
        elif sum(counted) != w.count:
            warnings.append(
                IdentityWarning(
                    "weapons.csv",
                    w.row,
                    "number_of_weapons = sum of weapons_list",
                    f"{w.donor} / {w.category}: number_of_weapons {w.count} "
                    f"but the list adds up to {sum(counted)}",
                )
            )
    return warnings
