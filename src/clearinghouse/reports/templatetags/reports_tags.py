"""Figures rounded for people on the report pages (the exports keep every decimal), in the page's
language: `1,234.5` in English, `1 234,5` in French and Ukrainian (docs/i18n.md)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils import formats
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


def _number(value: Decimal, places: int, *, grouping: bool = True) -> str:
    """Rounded half-even as before (format's rule), separators of the active language."""
    rounded = Decimal(f"{value:.{places}f}")
    return formats.number_format(rounded, places, use_l10n=True, force_grouping=grouping)


@register.filter
def bn(value: Any, places: int = 3) -> str:
    """EUR billion, rounded, with thousands separators; '–' for none."""
    if value is None or value == "":
        return "–"
    return _number(Decimal(value), int(places))


@register.filter
def share(value: Any) -> str:
    """A fraction as a percentage with one decimal."""
    if value is None or value == "":
        return "–"
    return f"{_number(Decimal(value) * 100, 1, grouping=False)} %"


@register.filter
def pct(value: Any, places: int = 3) -> str:
    """A percentage (already × 100), rounded."""
    if value is None or value == "":
        return "–"
    return f"{_number(Decimal(value), int(places), grouping=False)} %"


@register.filter
def count(value: Any) -> str:
    """A whole number with thousands separators."""
    if value is None or value == "":
        return "–"
    return _number(Decimal(int(value)), 0)


@register.filter
def eur(value: Any) -> str:
    """Euros, whole, with thousands separators."""
    if value is None or value == "":
        return "–"
    return _("€%(amount)s") % {"amount": _number(Decimal(value), 0)}


@register.filter
def withheld(row: dict[str, Any], key: str) -> bool:
    """Whether a figure of a report row is suppressed (small cell)."""
    if not isinstance(row, dict) or not row.get("suppressed"):
        return False
    fields = row.get("suppressed_fields")
    return key in fields if fields else row.get(key) is None


_FORMATS = {"bn": bn, "share": share, "pct": pct, "count": count, "eur": eur}


@register.simple_tag
def fig(row: dict[str, Any], key: str, kind: str = "bn") -> str:
    """A table cell for one figure of a report row: rounded, or marked withheld (suppressed)."""
    if withheld(row, key):
        return format_html(
            '<td class="withheld" title="{}">{}</td>',
            _("Withheld: fewer than 3 donors, or a withheld figure could be worked out from it"),
            _("withheld"),
        )
    return format_html('<td class="num">{}</td>', _FORMATS[kind](row.get(key)))
