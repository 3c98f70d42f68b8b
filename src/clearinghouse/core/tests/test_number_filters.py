"""The numbers people read: percentages with sensible precision, money with units and thousands
separators, one identifier per record (core.humanize and the `formatting` template library)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.template import Context, Template
from hypothesis import given
from hypothesis import strategies as st

from clearinghouse.core import humanize

PERCENTS = st.decimals(min_value=Decimal("-200"), max_value=Decimal("1000"), places=4)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("48"), "48 %"),
        (Decimal("74.4"), "74 %"),
        (Decimal("4.53"), "4.5 %"),
        (Decimal("0.254"), "0.25 %"),
        (Decimal("0.004"), "< 0.01 %"),
        (Decimal("99.96"), "99.96 %"),
        (Decimal("99.6"), "99.6 %"),
        (Decimal("0.04"), "0.04 %"),
        (Decimal("100"), "100 %"),
        (Decimal("0"), "0 %"),
        (Decimal("1234.5"), "1,235 %"),
        (None, "—"),
        ("", "—"),
        (48.0, "48 %"),
    ],
)
def test_percent_examples(value: object, text: str) -> None:
    assert humanize.percent(value) == text


def test_fixed_places_and_shares() -> None:
    assert humanize.percent(Decimal("12.3456"), 1) == "12.3 %"
    assert humanize.share(Decimal("0.485")) == "49 %"
    assert humanize.share(Decimal("0.0123456")) == "1.2 %"
    assert humanize.share(None) == "—"


@given(PERCENTS)
def test_a_percentage_is_close_and_never_falsely_whole(value: Decimal) -> None:
    text = humanize.percent(value)
    assert text.endswith(" %")
    number = text[:-2].replace(",", "")
    if number.startswith(("<", ">")):
        assert abs(value) < Decimal("0.01") and value != 0
        return
    shown = Decimal(number)
    exponent = shown.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) else 0
    assert abs(shown - value) <= Decimal(5).scaleb(-places - 1)
    # Never "100 %" or "0 %" unless it is exactly that.
    if shown in (0, 100, -100):
        assert value == shown
    # At most two decimals unless needed to avoid a false 0 % / 100 %.
    assert places <= 2 or abs(abs(value) - 100) < Decimal("0.01") or abs(value) < Decimal("0.01")


@given(st.decimals(min_value=Decimal("-1e15"), max_value=Decimal("1e15"), places=2))
def test_money_short_keeps_the_value_with_its_unit(value: Decimal) -> None:
    text = humanize.money_short(value, "EUR")
    match = re.fullmatch(r"(-?[\d,]+\.\d+)( (bn|m))? EUR", text)
    assert match, text
    groups = match.group(1).lstrip("-").split(".")[0].split(",")
    assert all(len(g) == 3 for g in groups[1:]) and 1 <= len(groups[0]) <= 3
    unit = {"bn": Decimal(10) ** 9, "m": Decimal(10) ** 6, None: Decimal(1)}[match.group(3)]
    shown = Decimal(match.group(1).replace(",", "")) * unit
    step = {"bn": Decimal("0.01"), "m": Decimal("0.1"), None: Decimal("0.01")}[match.group(3)] * unit
    assert abs(shown - value) <= step / 2


def test_template_filters() -> None:
    template = Template(
        "{% load formatting %}{{ a|eur_short }}|{{ b|eur_short }}|{{ c|pct }}|{{ d|share }}|{{ e|pct:1 }}"
        '|{{ 12|ref:"P" }}|{{ 45|ref:"R" }}'
    )
    text = template.render(
        Context(
            {"a": Decimal("1200000000"), "b": Decimal("350000000"), "c": Decimal("48.2"), "d": "0.74", "e": 3}
        )
    )
    assert text == (
        '<span class="money" title="1,200,000,000.00 EUR">1.20 bn EUR</span>|'
        '<span class="money" title="350,000,000.00 EUR">350.0 m EUR</span>|48 %|74 %|3.0 %|P12|R45'
    )


def test_ref_of_a_record_finds_its_prefix() -> None:
    from clearinghouse.pledges.models import Pledge
    from clearinghouse.requirements.models import Requirement

    template = Template("{% load formatting %}{{ p|ref }} {{ r|ref }}")
    assert template.render(Context({"p": Pledge(pk=7), "r": Requirement(pk=3)})) == "P7 R3"


def test_stored_values_in_words_never_a_python_repr() -> None:
    assert humanize.plain_value({"DEU": "40", "FRA": "60"}) == "DEU: 40; FRA: 60"
    assert humanize.plain_value(["in_kind", "financial"]) == "in_kind, financial"
    assert humanize.plain_value(None) == "—" and humanize.plain_value(True) == "yes"
    assert humanize.field_changes({"role": "analyst", "x": 1}, {"role": "auditor", "x": 1}) == [
        ("role", "analyst", "auditor")
    ]
    assert humanize.field_changes(None, {"weights": {"DEU": "1"}}) == [("weights", "", "DEU: 1")]
