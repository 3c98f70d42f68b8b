"""Template filters for money, shares and percentages (Decimals, never floats)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from clearinghouse.core import humanize

register = template.Library()


@register.filter
def money(value: Any) -> str:
    """1,234,567.89; a dash for nothing (the shared formatting of every page: core.humanize)."""
    return humanize.money_exact(value)


@register.filter
def share(value: Any) -> str:
    """A share with its 10 decimals."""
    if value is None:
        return "—"
    return f"{Decimal(value):.10f}"


@register.filter
def share_pct(value: Any) -> str:
    """A share as a percentage with sensible precision (`50 %`, `4.5 %`); the exact share on the
    shares page (`share`)."""
    return humanize.share(value)


@register.filter
def money_short(value: Any, currency: str = "") -> Any:
    """`1.50 m EUR` with the exact amount in the tooltip (core formatting's `money`)."""
    from clearinghouse.core.templatetags.formatting import money as short

    return short(value, currency)


@register.filter
def pct(value: Any) -> str:
    """A percentage to 2 decimals with the sign; a dash when undefined."""
    if value is None:
        return "—"
    return f"{Decimal(value):.2f} %"


@register.filter
def pct_width(value: Any) -> str:
    """A bar width: the percentage capped to 0–100."""
    if value is None:
        return "0"
    return f"{min(max(Decimal(value), Decimal(0)), Decimal(100)):.1f}"


@register.filter
def plain(value: Any) -> str:
    """A decimal without trailing zeros and never in exponent notation (50, 3601.75)."""
    if value is None:
        return "—"
    return format(Decimal(value).normalize(), "f")


@register.filter
def stale(rate_date: Any, value_date: Any) -> bool:
    """Whether an ECB rate is older than 5 business days before the value date."""
    from clearinghouse.core.fx import is_stale

    return bool(rate_date and value_date and is_stale(rate_date, value_date))
