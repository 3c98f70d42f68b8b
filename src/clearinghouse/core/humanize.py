"""Numbers and words for people: money with thousands separators and units, and plurals.

One implementation for every page (the `formatting` template library) and every CLI message.
Money stays `Decimal` and is only rounded here, for display: `money_short` says "140.0 m EUR" or
"1.25 bn EUR" and `money_exact` gives the full amount ("140,000,000.00 EUR") for a tooltip or a
table where every cent matters.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils import formats
from django.utils.translation import ngettext, pgettext

MILLION = Decimal(10) ** 6
BILLION = Decimal(10) ** 9


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return None


def _with_unit(text: str, currency: str) -> str:
    return f"{text} {currency}" if currency else text


def _grouped(number: Decimal, places: int, localize: bool) -> str:
    """Thousands separated: `1,234.5` for machines and the CLI; per the active language on pages
    (`1 234,5` in French and Ukrainian, docs/i18n.md)."""
    number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if localize:
        return formats.number_format(number, places, use_l10n=True, force_grouping=True)
    return f"{number:,.{places}f}"


def money_exact(value: Any, currency: str = "", places: int = 2, *, localize: bool = False) -> str:
    """`140,000,000.00 EUR`: every digit, thousands separated; a dash for nothing."""
    amount = _decimal(value)
    if amount is None:
        return "—"
    rounded = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return _with_unit(_grouped(rounded, places, localize), currency)


def money_short(value: Any, currency: str = "", *, localize: bool = False) -> str:
    """`140.0 m EUR`, `1.25 bn EUR`; below a million the exact amount (`48,500.00 EUR`)."""
    amount = _decimal(value)
    if amount is None:
        return "—"
    size = abs(amount)
    if size >= BILLION:
        unit = pgettext("billions, after an amount", "bn") if localize else "bn"
        return _with_unit(f"{_grouped(amount / BILLION, 2, localize)} {unit}", currency)
    if size >= MILLION:
        unit = pgettext("millions, after an amount", "m") if localize else "m"
        return _with_unit(f"{_grouped(amount / MILLION, 1, localize)} {unit}", currency)
    return money_exact(amount, currency, localize=localize)


def is_shortened(value: Any) -> bool:
    """Whether `money_short` rounds the amount to millions or billions."""
    amount = _decimal(value)
    return amount is not None and abs(amount) >= MILLION


def noun(count: int, singular: str, plural: str | None = None) -> str:
    """The noun for a count: `unit` for 1, `units` otherwise (ngettext's rule)."""
    return ngettext(singular, plural or f"{singular}s", int(count))


def count_of(count: int, singular: str, plural: str | None = None, *, localize: bool = False) -> str:
    """`1 proposal`, `1,200 units`."""
    return f"{_grouped(Decimal(int(count)), 0, localize)} {noun(count, singular, plural)}"


HUNDRED = Decimal(100)


def percent(value: Any, places: int | None = None) -> str:
    """A percentage (already × 100) with sensible precision: `48 %` from 10 up, `4.5 %` from 1, `0.25 %`
    below; never rounded to 0 % or 100 % unless it is exactly that (`99.6 %`, `< 0.01 %`); a dash for
    nothing. `places` fixes the decimals instead."""
    number = _decimal(value)
    if number is None or not number.is_finite():
        return "—"
    if places is not None:
        return f"{number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):,} %"
    if number == 0 or number == HUNDRED:
        return f"{int(number)} %"
    size = abs(number)
    if size < Decimal("0.01"):
        return "< 0.01 %" if number > 0 else "> −0.01 %"
    decimals = 0 if size >= 10 else 1 if size >= 1 else 2
    rounded = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    # Not quite all, not quite none: one more decimal rather than a misleading 100 % or 0 %.
    while rounded in (HUNDRED, 0, -HUNDRED) and decimals < 4:
        decimals += 1
        rounded = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return f"{rounded:,} %"


def share(value: Any, places: int | None = None) -> str:
    """A fraction (0.485) as a percentage (`49 %`), with `percent`'s precision."""
    number = _decimal(value)
    return "—" if number is None or not number.is_finite() else percent(number * HUNDRED, places)


def record_ref(prefix: str, pk: Any) -> str:
    """The one identifier of a record on every page, as the clearing engine's explanations spell
    it: `R12` a requirement, `P7` a pledge, `A3` an allocation, `D5` a delivery."""
    return f"{prefix}{pk}" if pk not in (None, "") else "—"


def plain_value(value: Any) -> str:
    """A stored JSON value (an audit snapshot's field) in words, never a Python repr: lists joined by
    commas, objects as `key: value; …`, nothing as a dash, true/false as yes/no."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(plain_value(v) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {plain_value(v)}" for k, v in value.items()) or "—"
    return str(value)


def field_changes(before: Any, after: Any) -> list[tuple[str, str, str]]:
    """An audit event's change as rows (field, before, after) in words; unchanged fields left out
    when both sides are there."""
    old = before if isinstance(before, dict) else {}
    new = after if isinstance(after, dict) else {}
    both = bool(old) and bool(new)
    rows = []
    for key in list(old) + [k for k in new if k not in old]:
        if both and old.get(key) == new.get(key):
            continue
        rows.append(
            (str(key), plain_value(old.get(key)) if old else "", plain_value(new.get(key)) if new else "")
        )
    return rows
