"""The reports as tables, and as JSON, CSV, XLSX or a plain-text table.

JSON: every figure is an exact decimal string (never a float: core.money); withheld figures are null
with `"suppressed": true`. Charts on pages get numbers (`chart_numbers`), only to draw them.
CSV and XLSX: the exact decimal text (at least 6 decimals); XLSX numbers are written from the
Decimal, with a second sheet naming the source. Text tables round for people (3 decimals).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from clearinghouse.core import clock, csv_cells
from clearinghouse.core.money import figure_text, money_text
from clearinghouse.tracker.formatting import decimal_text, rounded

REPORTS = ("totals", "donors", "groups", "weapons")
FORMATS = ("json", "csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    """One column of a report table: key in the row dict, header, and what kind of figure it holds."""

    key: str
    header: str
    kind: str = "text"  # text | bn (EUR billion) | pct (percent) | share (fraction) | int | eur


def to_json(value: Any, key: str = "") -> Any:
    """Decimals become exact decimal strings, recursively (as the API writes them): euros (`value_eur`)
    with 2 decimals, counts as whole numbers, every other figure with at least 6 decimals."""
    if isinstance(value, Decimal):
        if key == "count":
            return int(value)
        return money_text(value) if key == "value_eur" else figure_text(value)
    if isinstance(value, dict):
        return {k: to_json(v, k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v, key) for v in value]
    return value


def chart_numbers(value: Any) -> Any:
    """Decimals become JSON numbers, recursively: only for drawing charts on a page, never for data."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: chart_numbers(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [chart_numbers(v) for v in value]
    return value


def table(report: str, payload: dict[str, Any]) -> tuple[list[Column], list[dict[str, Any]]]:
    """The columns and rows of a report payload, as exported and shown."""
    if report == "totals":
        cols = [Column("period", "period")] + [Column(c, c, "bn") for c in payload["columns"]]
        return [*cols, Column("suppressed", "suppressed")], payload["rows"]
    if report == "donors":
        cols = [
            Column("rank", "rank", "int"),
            Column("participant", "participant"),
            Column("name", "name"),
            Column("value_eur_bn", f"{payload['type']}_eur_bn", "bn"),
        ]
        if payload["with_eu_share"]:
            cols += [
                Column("eu_share_bn", "eu_share_bn", "bn"),
                Column("value_with_eu_share_bn", "value_with_eu_share_bn", "bn"),
            ]
        if payload["per_gdp"]:
            cols += [Column("gdp_eur_bn", "gdp_2021_eur_bn", "bn"), Column("pct_gdp", "pct_gdp", "pct")]
            if payload["with_eu_share"]:
                cols.append(Column("bilateral_pct_gdp", "bilateral_pct_gdp", "pct"))
        return [*cols, Column("suppressed", "suppressed")], payload["donors"]
    if report == "groups":
        cols = [
            Column("group", "group"),
            Column("label", "label"),
            Column("military", "military", "bn"),
            Column("financial", "financial", "bn"),
            Column("humanitarian", "humanitarian", "bn"),
            Column("total", "total", "bn"),
            Column("share_of_military", "share_of_military", "share"),
            Column("suppressed", "suppressed"),
        ]
        return cols, [*payload["groups"], payload["all_donors"]]
    if report == "weapons":
        cols = [
            Column("category", "category"),
            Column("participant", "participant"),
            Column("name", "name"),
            Column("count", "count", "int"),
            Column("value_eur", "value_eur", "eur"),
            Column("value_eur_bn", "value_eur_bn", "bn"),
            Column("models", "models"),
            Column("suppressed", "suppressed"),
        ]
        rows = [
            {**r, "models": "; ".join(f"{m['name']} ({m['count']})" for m in r.get("models", []))}
            for r in payload["rows"]
        ]
        return cols, rows
    raise ValueError(report)


def _cell_text(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        if kind == "eur":
            return decimal_text(value, places=2)
        if kind == "int":
            return str(int(value))
        return decimal_text(value)
    if isinstance(value, int | float):
        return str(value)
    return csv_cells.escape(str(value))  # text: never a formula in the reader's spreadsheet


# HXL (the Humanitarian Exchange Language, hxlstandard.org): the hashtag row under the header, from
# the standard's core hashtags, by column key (the figure's kind adds the unit, the key its measure).
HXL_BY_KEY = {
    "period": "#date",
    "participant": "#country +code +donor",
    "name": "#org +donor +name",
    "kind": "#org +donor +type",
    "rank": "#indicator +rank +num",
    "group": "#org +donor +group +code",
    "label": "#org +donor +group +name",
    "category": "#item +type",
    "count": "#item +num",
    "value_eur": "#value +eur",
    "models": "#item +name",
    "suppressed": "#meta +suppressed",
    "type": "#sector",
    "gdp_eur_bn": "#indicator +gdp +eur +billions",
    "pct_gdp": "#indicator +pct_gdp +num",
    "bilateral_pct_gdp": "#indicator +pct_gdp +bilateral +num",
    "share_of_military": "#indicator +share_of_military +num",
}
HXL_BY_KIND = {
    "bn": "#value +eur +billions",
    "pct": "#indicator +pct +num",
    "share": "#indicator +share +num",
}


def hxl_tag(key: str, kind: str = "text", header: str = "") -> str:
    """The HXL hashtag (with attributes) of a column: by its key, else by its kind and header."""
    if key in HXL_BY_KEY:
        return HXL_BY_KEY[key]
    base = HXL_BY_KIND.get(kind, "#meta")
    attribute = "".join(ch if ch.isalnum() else "_" for ch in (header or key).lower())
    return f"{base} +{attribute}"


def to_csv(report: str, payload: dict[str, Any], *, hxl: bool = False) -> bytes:
    """The report's table as CSV (UTF-8, header row, exact decimals; empty = none or withheld);
    `hxl`: with the HXL hashtag row under the header."""
    cols, rows = table(report, payload)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.header for c in cols])
    if hxl:
        writer.writerow([hxl_tag(c.key, c.kind, c.header) for c in cols])
    for row in rows:
        writer.writerow([_cell_text(row.get(c.key), c.kind) for c in cols])
    return out.getvalue().encode("utf-8")


def about(payload: dict[str, Any]) -> list[tuple[str, str]]:
    """What a reader of an exported file must know: the source, release, unit, and the suppression rule."""
    lines = [("source", payload["source_label"]), ("unit", payload.get("unit", "EUR billion"))]
    release = payload.get("release")
    if release:
        lines += [("release", release["label"]), ("published", release["date"])]
    if "suppression" in payload:
        lines.append(("suppression", payload["suppression"]["rule"]))
    lines.append(("exported", clock.now().replace(microsecond=0).isoformat()))
    return lines


def to_xlsx(report: str, payload: dict[str, Any]) -> bytes:
    """The report's table as an XLSX workbook (numbers from the Decimals), with an 'about' sheet."""
    cols, rows = table(report, payload)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = report
    ws.append([c.header for c in cols])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        values: list[Any] = []
        for c in cols:
            v = row.get(c.key)
            if isinstance(v, Decimal) and c.kind == "int":
                v = int(v)
            elif isinstance(v, list):
                v = "; ".join(str(x) for x in v)
            values.append(v)
        ws.append(values)
    for c_idx, c in enumerate(cols, start=1):
        if c.kind in ("bn", "pct", "share"):
            for (cell,) in ws.iter_rows(min_row=2, min_col=c_idx, max_col=c_idx):
                cell.number_format = "0.000000"
    info = wb.create_sheet("about")
    for key, value in about(payload):
        info.append([key, value])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _people(value: Any, kind: str) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else ""
    if kind == "share" and isinstance(value, Decimal):
        return f"{value * 100:.1f} %"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "eur" and isinstance(value, Decimal):
        return f"{value:,.0f}"
    if isinstance(value, Decimal):
        return rounded(value, 3)
    return str(value)


def to_text(report: str, payload: dict[str, Any]) -> str:
    """A plain-text table for people: rounded figures, '–' for none, 'withheld' for suppressed cells."""
    cols, rows = table(report, payload)
    hidden = {"models", "value_eur_bn"} if report == "weapons" else {"label"}
    if payload["source"] == "tracker":
        hidden.add("suppressed")  # the tracker's figures are public: nothing is ever withheld
    cols = [c for c in cols if c.key not in hidden]
    cells = []
    for row in rows:
        withheld = set(row.get("suppressed_fields", []))
        if row.get("suppressed") and not withheld:  # a donor's row: its one figure is withheld
            withheld = {c.key for c in cols if c.kind != "text" and row.get(c.key) is None}
        cells.append(
            [
                "withheld"
                if c.key in withheld and row.get(c.key) is None
                else _people(row.get(c.key), c.kind)
                for c in cols
            ]
        )
    headers = [c.header for c in cols]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    right = [c.kind != "text" for c in cols]

    def line(values: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right, strict=True)
        )

    lines = [f"{payload['source_label']} · {payload.get('unit', 'EUR billion')}"]
    if payload.get("release"):
        lines.append(f"{payload['release']['label']}, published {payload['release']['date']}")
    lines += [line(headers), line(["-" * w for w in widths])]
    lines += [line(r).rstrip() for r in cells]
    return "\n".join(lines)
