"""How tracker figures leave the program: exact text for files, numbers for JSON, rounded for people.

Figures are `Decimal` all the way through. At the JSON edge they become numbers with `float()`:
every amount the reports produce is a sum of values published with 6 decimals (or of euro amounts
with 2 decimals, divided by 10^9), which has at most 15 significant digits, and a double holds any
15-digit decimal exactly enough that its shortest representation reads back as the same decimal.
CSV and XLSX files carry the decimal text itself.
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
    """The JSON number of a figure (None stays null)."""
    return None if value is None else float(value)


def rounded(value: Decimal | None, places: int = 3) -> str:
    """A figure rounded for people, with thousands separators ("–" for None)."""
    if value is None:
        return "–"
    return f"{value:,.{places}f}"
