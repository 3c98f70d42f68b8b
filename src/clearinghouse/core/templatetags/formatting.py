"""`{% load formatting %}`: money, shares, counts and record identifiers for people, the same on
every page, in the page's language (`140.0 m EUR`, `140,0 M EUR`, `140,0 млн EUR`; docs/i18n.md).

`{{ pledge.value_eur|money:"EUR" }}` shows `140.0 m EUR` with the exact `140,000,000.00 EUR` as its
tooltip; `{{ amount|eur_short }}` the same in EUR; `{{ amount|money_exact:pledge.currency }}` shows
every cent; `{{ pct_value|pct }}` a percentage (already × 100) with sensible precision (`48 %`,
`4.5 %`, `0.25 %`, never a false `100 %`); `{{ fraction|share }}` a fraction as one;
`{{ n|count_of:"proposal" }}` shows `1 proposal` / `3 proposals`; `{{ allocation.provides|decimal_plain }}`
shows `10`, `0.5`; `{{ pledge.pk|ref:"P" }}` the record's one identifier, `P7` (`{{ pledge|ref }}`
finds the prefix from the record itself). JSON, CSV and the API keep exact values: these are only for
people.
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
def eur_short(value: Any) -> SafeString | str:
    """`1.25 bn EUR`, `350.0 m EUR` (the exact amount in the tooltip)."""
    return money(value, "EUR")


@register.filter
def pct(value: Any, places: Any = None) -> str:
    """A percentage already × 100: `48 %`, `4.5 %`, `0.25 %` (or fixed decimals: `|pct:1`)."""
    return humanize.percent(value, None if places in (None, "") else int(places))


@register.filter
def share(value: Any, places: Any = None) -> str:
    """A fraction as a percentage: 0.485 → `49 %` (or fixed decimals: `|share:1`)."""
    return humanize.share(value, None if places in (None, "") else int(places))


# Record identifiers by model label: `{{ pledge|ref }}` → `P7`.
REF_PREFIXES = {
    "requirements.requirement": "R",
    "pledges.pledge": "P",
    "pledges.allocation": "A",
    "pledges.delivery": "D",
    "clearing.proposal": "X",
}


@register.filter
def ref(value: Any, prefix: str = "") -> str:
    """The one identifier of a record: `{{ requirement|ref }}` or `{{ a.requirement_id|ref:"R" }}` → `R12`."""
    if prefix:
        return humanize.record_ref(prefix, value)
    meta = getattr(value, "_meta", None)
    if meta is None:
        return str(value)
    return humanize.record_ref(REF_PREFIXES.get(meta.label_lower, "#"), value.pk)


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


@register.filter
def plain_value(value: Any) -> str:
    """A stored JSON value in words (`DEU: 40; FRA: 60`, `a, b`), never a Python repr."""
    return humanize.plain_value(value)


@register.simple_tag
def field_changes(before: Any, after: Any) -> list[tuple[str, str, str]]:
    """`{% field_changes e.before e.after as rows %}`: (field, before, after) in words."""
    return humanize.field_changes(before, after)
