"""Conversion at the ECB reference rate of the value date, from the shipped history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from clearinghouse.funds import fx

D = Decimal


def test_eur_usd_on_a_known_ecb_date() -> None:
    # ECB reference rates of 2 January 2024: USD 1.0956, GBP 0.86645 per euro.
    r = fx.ecb_rate("EUR", "USD", dt.date(2024, 1, 2))
    assert r.rate == D("1.0956") and r.rate_date == dt.date(2024, 1, 2)
    assert fx.ecb_rate("EUR", "GBP", dt.date(2024, 1, 2)).rate == D("0.86645")


def test_cross_rate_goes_through_the_euro_and_is_stored_to_ten_decimals() -> None:
    r = fx.ecb_rate("GBP", "USD", dt.date(2024, 1, 2))
    assert (r.eur_from, r.eur_to) == (D("0.86645"), D("1.0956"))
    # 1.0956 / 0.86645 = 1.264470 (to 10 decimals, half-even)
    assert r.rate == D("1.2644699636")


def test_a_weekend_uses_the_last_rate_published_before_it() -> None:
    # Saturday 6 January 2024: the rate of Friday the 5th (1.0921), never an interpolation.
    c = fx.convert(D("1000.00"), "EUR", "USD", dt.date(2024, 1, 6))
    assert c.rate == D("1.0921") and c.rate_date == dt.date(2024, 1, 5)
    assert c.converted == D("1092.10")


def test_converted_amount_is_amount_times_stored_rate_rounded_half_even_to_cents() -> None:
    c = fx.convert(D("1000000.00"), "GBP", "USD", dt.date(2024, 1, 2))
    assert c.converted == (D("1000000.00") * c.rate).quantize(D("0.01"))
    assert c.converted == D("1264469.96")
    same = fx.convert(D("12.34"), "USD", "USD", dt.date(2024, 1, 6))
    assert (same.converted, same.rate, same.rate_date) == (D("12.34"), D(1), dt.date(2024, 1, 6))


def test_unknown_or_unpublished_currencies_and_dates_are_refused() -> None:
    with pytest.raises(fx.FxError) as e:
        fx.validate_currency("XYZ")
    assert e.value.field == "currency"
    with pytest.raises(fx.FxError, match="no reference rate for UAH"):
        fx.validate_currency("UAH")
    with pytest.raises(fx.FxError, match="starts on"):
        fx.ecb_rate("USD", "EUR", dt.date(1990, 1, 1))
