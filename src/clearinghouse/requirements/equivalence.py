"""A requirement's acceptable item types with equivalence factors.

In spreadsheets and the API, ``item_types`` lists codes separated by ``;``, each optionally with a
factor: ``AD-PATRIOT;AD-NASAMS:0.5`` (a bare code means the catalog default of its type). One unit
of a type provides ``factor`` units of the requirement (which counts in its own unit, e.g.
Patriot-equivalent fire units). Overrides are stored on the requirement (``item_factors``,
``{code: "0.500"}``); the effective factor of a type is its override or the catalog default.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from clearinghouse.catalog.services import equivalence_factor
from clearinghouse.core import cleaning
from clearinghouse.core.errors import InvalidInput


def split_item_types(value: Any, field: str = "item_types") -> tuple[list[str], dict[str, Decimal]]:
    """(codes in order, factor overrides by code) from ``CODE;CODE:factor`` text or a list of entries."""
    codes: list[str] = []
    overrides: dict[str, Decimal] = {}
    for entry in cleaning.code_list(value, field):
        code, sep, text = entry.partition(":")
        code = code.strip()
        if not code:
            raise InvalidInput(f"{field}: {entry!r} has no item type code", field=field)
        factor = equivalence_factor(text, f"{field}: the factor of {code}", field) if sep else None
        if code in codes:
            if factor is not None and overrides.get(code, factor) != factor:
                raise InvalidInput(f"{field}: {code} is given two different factors", field=field)
        else:
            codes.append(code)
        if factor is not None:
            overrides[code] = factor
    return codes, overrides


def join_item_types(codes: list[str], overrides: dict[str, Any]) -> list[str]:
    """The entries ``CODE`` or ``CODE:factor`` (the inverse of :func:`split_item_types`)."""
    return [f"{c}:{format_factor(Decimal(overrides[c]))}" if c in overrides else c for c in codes]


def format_factor(factor: Decimal) -> str:
    """``0.5`` rather than ``0.500``; ``1`` rather than ``1.000``."""
    text = format(factor.normalize(), "f")
    return text


def stored(overrides: dict[str, Decimal]) -> dict[str, str]:
    """Overrides as stored in the requirement's JSON field."""
    return {code: str(f.quantize(Decimal("0.001"))) for code, f in overrides.items()}
