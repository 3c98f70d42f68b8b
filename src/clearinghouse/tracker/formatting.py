"""How tracker figures leave the program: exact text for files and JSON, rounded for people.

Figures are `Decimal` all the way through. JSON (API and CLI) carries them as exact decimal strings
(`core.money.figure_text`), never floats; CSV and XLSX files carry the decimal text itself.
`json_number` is only for drawing charts.
"""

from __future__ import annotations

from decimal import Decimal

SIX_PLACES = Decimal("1e-6")


def decimal_text(value: Decimal | None, *, places: int = 6) -> str:
    """Exact decimal text with at least `places` decimals and no trailing zeros beyond them ("" for None)."""
    if value is None:
        return ""
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -places:
        normal = normal.quantize(Decimal(1).scaleb(-places))
    return format(normal, "f")


def json_number(value: Decimal | None) -> float | None:
    """A figure as a number for a chart (None stays null); data in JSON is a decimal string."""
    return None if value is None else float(value)


def rounded(value: Decimal | None, places: int = 3) -> str:
    """A figure rounded for people, with thousands separators ("–" for None)."""
    if value is None:
        return "–"
    return f"{value:,.{places}f}"
