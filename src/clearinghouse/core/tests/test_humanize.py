"""Money and counts for people (issue 9, item 19): one implementation for pages and CLI."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template

from clearinghouse.core.humanize import count_of, money_exact, money_short, noun


@pytest.mark.parametrize(
    ("amount", "currency", "short"),
    [
        (Decimal("140000000.00"), "EUR", "140.0 m EUR"),
        (Decimal("1250000000"), "EUR", "1.25 bn EUR"),
        (Decimal("40000000000.00"), "USD", "40.00 bn USD"),
        (Decimal("1234567890123.45"), "USD", "1,234.57 bn USD"),
        (Decimal("999999.99"), "GBP", "999,999.99 GBP"),
        (Decimal("1000000"), "GBP", "1.0 m GBP"),
        (Decimal("48500"), "EUR", "48,500.00 EUR"),
        (Decimal("-2500000"), "EUR", "-2.5 m EUR"),
        ("3000.5", "", "3,000.50"),
        (None, "EUR", "—"),
    ],
)
def test_money_short(amount: object, currency: str, short: str) -> None:
    assert money_short(amount, currency) == short


def test_money_exact_keeps_every_cent() -> None:
    assert money_exact(Decimal("140000000.00"), "EUR") == "140,000,000.00 EUR"
    assert money_exact(Decimal("0.005"), "EUR") == "0.01 EUR"
    assert money_exact("", "EUR") == "—"


def test_counts_and_plurals() -> None:
    assert count_of(1, "proposal") == "1 proposal"
    assert count_of(0, "proposal") == "0 proposals"
    assert count_of(1200, "unit") == "1,200 units"
    assert count_of(2, "delivery", "deliveries") == "2 deliveries"
    assert noun(1, "unit") == "unit" and noun(2, "unit") == "units"


def test_the_template_filters() -> None:
    html = Template(
        '{% load formatting %}{{ a|money:"EUR" }} | {{ b|money:"EUR" }} | {{ a|money_exact:"EUR" }} | '
        '{{ n|count_of:"proposal" }} | {{ m|count_of:"delivery,deliveries" }}'
    ).render(Context({"a": Decimal("140000000.00"), "b": Decimal("12.5"), "n": 1, "m": 3}))
    assert html == (
        '<span class="money" title="140,000,000.00 EUR">140.0 m EUR</span> | 12.50 EUR | '
        "140,000,000.00 EUR | 1 proposal | 3 deliveries"
    )
