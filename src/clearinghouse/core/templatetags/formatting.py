"""`{% load formatting %}`: money and counts for people, the same on every page, in the page's
language (`140.0 m EUR`, `140,0 M EUR`, `140,0 млн EUR`; docs/i18n.md).

`{{ pledge.value_eur|money:"EUR" }}` shows `140.0 m EUR` with the exact `140,000,000.00 EUR` as its
tooltip; `{{ amount|money_exact:pledge.currency }}` shows every cent; `{{ n|count_of:"proposal" }}`
shows `1 proposal` / `3 proposals`; `{{ allocation.provides|decimal_plain }}` shows `10`, `0.5`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from clearinghouse.core import humanize

register = template.Library()


@register.filter
def money(value: Any, currency: str = "") -> SafeString | str:
    """Rounded to millions or billions with the unit, the exact amount in the tooltip."""
    short = humanize.money_short(value, currency, localize=True)
    if not humanize.is_shortened(value):
        return short
    return format_html(
        '<span class="money" title="{}">{}</span>',
        humanize.money_exact(value, currency, localize=True),
        short,
    )


@register.filter
def money_exact(value: Any, currency: str = "") -> str:
    """Every cent, thousands separated, with the currency."""
    return humanize.money_exact(value, currency, localize=True)


@register.filter
def count_of(value: Any, noun: str) -> str:
    """`1 unit`, `3 units` (`noun` may give both forms: "proposal,proposals")."""
    singular, _, plural = noun.partition(",")
    return humanize.count_of(int(value or 0), singular, plural or None, localize=True)


@register.filter
def decimal_plain(value: Any) -> str:
    """A decimal without trailing zeros or exponent: `0.5`, `10`, `2.25` (units × factor)."""
    if value is None or value == "":
        return ""
    number = Decimal(str(value))
    return format(number.normalize(), "f") if number == number else str(value)
