"""Template filters every template has (registered as builtins): bars sized without `style=`."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django import template

register = template.Library()


@register.filter
def bar_class(value: Any) -> str:
    """The CSS class that sizes a bar to a percentage (`w-0` … `w-100`; see app.css).

    The Content-Security-Policy refuses `style=` attributes, so widths come from classes; a share
    above zero never rounds away to an empty bar."""
    try:
        pct = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return "w-0"
    if not pct.is_finite() or pct <= 0:
        return "w-0"
    whole = int(min(pct, Decimal(100)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return f"w-{max(whole, 1)}"
