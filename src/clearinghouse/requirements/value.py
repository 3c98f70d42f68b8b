"""Coverage in value: what one unit of a requirement is worth in EUR at catalog reference prices.

A requirement counts in its own unit (a Patriot-equivalent fire unit, a 155 mm round); units of
different requirements never add up. Their value does: one unit of a requirement is valued at the
cheapest way its acceptable item types provide it at catalog reference prices,
``min over types (reference price in EUR ÷ factor)``: a Patriot-equivalent fire unit served by
Patriot (371.8 M EUR, factor 1) or NASAMS (49.0 M EUR, factor 0.5) is worth 98.0 M EUR, what
closing one unit of the gap costs at the cheapest acceptable option. The same value multiplies
required, allocated, delivered and short quantities, so required = allocated + short in EUR too.

Prices are the catalog's price list entry in force on the valuation day, converted to EUR at the
ECB reference rate of that entry's `valid_from` day (the day its value was stated), the way pledges
are valued. A requirement none of whose types has a price has no value (`None`); pages say so.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from clearinghouse.catalog.models import ItemPrice
from clearinghouse.core import fx

CENT = Decimal("0.01")


class Valuer:
    """EUR values of requirement units on one day, each item type's price looked up once."""

    def __init__(self, on: dt.date) -> None:
        self.on = on
        self._prices: dict[int, Decimal | None] = {}
        self._entries: dict[int, Any] | None = None

    def _in_force(self) -> dict[int, Any]:
        """Every item type's price list entry in force on the day, read in one query the first time
        a price is asked for (a list of 100 requirements asked once per item type before)."""
        if self._entries is None:
            self._entries = {}
            rows = ItemPrice.objects.filter(valid_from__lte=self.on).order_by("item_type_id", "valid_from")
            for entry in rows:
                self._entries[entry.item_type_id] = entry  # the latest valid from on or before the day
        return self._entries

    def price_eur(self, item_type: Any) -> Decimal | None:
        """The reference price of one unit of an item type in EUR (None without a price)."""
        if item_type.pk not in self._prices:
            price = self._in_force().get(item_type.pk)
            value: Decimal | None = None
            if price is not None:
                try:
                    value, _rate = fx.to_eur(
                        price.unit_value, price.currency, price.valid_from, rounding=ROUND_HALF_UP
                    )
                except fx.FxError:
                    value = None
            self._prices[item_type.pk] = value
        return self._prices[item_type.pk]

    def unit_value(self, requirement: Any) -> Decimal | None:
        """EUR value of one unit of the requirement: min over its types of price ÷ factor."""
        factors = requirement.factors()
        values = []
        for t in requirement.item_types.all():
            price = self.price_eur(t)
            if price is not None and factors.get(t.code):
                values.append(price / factors[t.code])
        return min(values) if values else None


def eur(units: Decimal | int, unit_value: Decimal | None) -> Decimal | None:
    """Requirement units in EUR, to the cent (None without a unit value)."""
    if unit_value is None:
        return None
    return (Decimal(units) * unit_value).quantize(CENT, rounding=ROUND_HALF_UP)


def eur_text(value: Decimal | None) -> str | None:
    """A EUR amount as the API's decimal string (two places), or None."""
    return None if value is None else str(value.quantize(CENT))


def coverage_value(seen: Any, unit_value: Decimal | None) -> dict[str, Decimal | None]:
    """A requirement's coverage (requirements/coverage.py, as one viewer may know it) in EUR:
    required, allocated, delivered and short; allocated, delivered and short are None where the
    viewer's coverage is coarsened to a band (their EUR would pin it as the units would)."""
    exact = seen.allocated is not None
    return {
        "unit_value_eur": None if unit_value is None else unit_value.quantize(CENT, rounding=ROUND_HALF_UP),
        "required_eur": eur(seen.quantity, unit_value),
        "allocated_eur": eur(seen.allocated, unit_value) if exact else None,
        "delivered_eur": eur(seen.delivered, unit_value) if exact else None,
        "short_eur": eur(seen.outstanding, unit_value) if exact else None,
    }


def valuer_for(holder: Any, on: dt.date) -> Valuer:
    """One valuer per request (or other holder), so a list prices each item type once."""
    valuer = getattr(holder, "_clearinghouse_valuer", None)
    if not isinstance(valuer, Valuer) or valuer.on != on:
        valuer = Valuer(on)
        if holder is not None:
            holder._clearinghouse_valuer = valuer
    return valuer
