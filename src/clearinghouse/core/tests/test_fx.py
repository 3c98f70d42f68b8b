"""The one conversion: the ECB reference rate of the value date, from the shipped history; one
look-back rule and one error for pledges and funds, each naming its rounding."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import pytest

from clearinghouse.core import fx
from clearinghouse.core.errors import InvalidInput

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
    c = fx.convert(D("1000.00"), "EUR", "USD", dt.date(2024, 1, 6), rounding=ROUND_HALF_EVEN)
    assert c.rate == D("1.0921") and c.rate_date == dt.date(2024, 1, 5)
    assert c.converted == D("1092.10")


def test_converted_amount_is_amount_times_stored_rate_rounded_half_even_to_cents() -> None:
    c = fx.convert(D("1000000.00"), "GBP", "USD", dt.date(2024, 1, 2), rounding=ROUND_HALF_EVEN)
    assert c.converted == (D("1000000.00") * c.rate).quantize(D("0.01"))
    assert c.converted == D("1264469.96")
    same = fx.convert(D("12.34"), "USD", "USD", dt.date(2024, 1, 6), rounding=ROUND_HALF_EVEN)
    assert (same.converted, same.rate, same.rate_date) == (D("12.34"), D(1), dt.date(2024, 1, 6))


def test_unknown_or_unpublished_currencies_and_dates_are_refused() -> None:
    with pytest.raises(fx.FxError) as e:
        fx.validate_currency("XYZ")
    assert e.value.field == "currency"
    with pytest.raises(fx.FxError, match="UAH has no ECB reference rate"):
        fx.validate_currency("UAH")
    with pytest.raises(fx.FxError, match="starts on"):
        fx.ecb_rate("USD", "EUR", dt.date(1990, 1, 1))


def test_every_refusal_is_one_error_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as e:
        fx.ecb_rate("USD", "EUR", dt.date(1990, 1, 1), field="currency", date_field="value_date")
    assert isinstance(e.value, fx.FxError) and e.value.field == "value_date"
    assert e.value.message.startswith("value_date: the bundled ECB history of USD starts on")


def test_the_caller_names_the_rounding() -> None:
    # 0.13695 USD at 1.0956 USD a euro is exactly 0.125 EUR: half-up (pledges) and half-even (funds)
    # part at the cent.
    on = dt.date(2024, 1, 2)
    assert fx.to_eur(D("0.13695"), "USD", on, rounding=ROUND_HALF_UP)[0] == D("0.13")
    assert fx.to_eur(D("0.13695"), "USD", on, rounding=ROUND_HALF_EVEN)[0] == D("0.12")
    # 0.125 EUR at 1.0956 is 0.13695 USD: both round to 0.14, the stored rate is the same.
    even = fx.convert(D("0.125"), "EUR", "USD", on, rounding=ROUND_HALF_EVEN)
    up = fx.convert(D("0.125"), "EUR", "USD", on, rounding=ROUND_HALF_UP)
    assert even.rate == up.rate == D("1.0956") and even.converted == up.converted == D("0.14")


def test_the_look_back_is_the_same_for_every_caller() -> None:
    # Saturday: both pledges (to_eur) and funds (convert) use Friday's rate and say so.
    saturday, friday = dt.date(2024, 1, 6), dt.date(2024, 1, 5)
    assert fx.to_eur(D("1092.10"), "USD", saturday, rounding=ROUND_HALF_UP)[1].rate_date == friday
    assert fx.convert(D("1000"), "EUR", "USD", saturday, rounding=ROUND_HALF_EVEN).rate_date == friday
    assert fx.MAX_LOOKBACK_DAYS == 14
