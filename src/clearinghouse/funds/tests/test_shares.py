"""Shares from a key: hand-computed cases, both shortfall policies, the rounding, and properties."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearinghouse.funds.shares import (
    LEAVE_UNFUNDED,
    REDISTRIBUTE,
    ShareError,
    compute_shares,
    fraction_to_decimal,
)

D = Decimal
KEY = {"AAA": D("50"), "BBB": D("30"), "CCC": D("20")}


def shares(table) -> dict[str, Decimal]:
    return {m.participant: m.share for m in table.members}


def test_shares_from_a_hand_computed_key() -> None:
    # 50 / 100, 30 / 100, 20 / 100
    table = compute_shares(KEY)
    assert shares(table) == {"AAA": D("0.5"), "BBB": D("0.3"), "CCC": D("0.2")}
    assert table.paying_total == 1
    assert table.unfunded == 0
    assert all(m.adjustment == 0 for m in table.members)


def test_gdp_like_weights_are_divided_by_their_sum() -> None:
    # 3.75 + 1.25 = 5; 3.75 / 5 = 0.75 exactly
    table = compute_shares({"DEU": D("3.75"), "FRA": D("1.25")})
    assert shares(table) == {"DEU": D("0.75"), "FRA": D("0.25")}


def test_opt_out_redistributes_in_proportion_to_the_key() -> None:
    # CCC out: AAA 50 / 80 = 0.625, BBB 30 / 80 = 0.375
    table = compute_shares(KEY, opted_out={"CCC"}, policy=REDISTRIBUTE)
    assert shares(table) == {"AAA": D("0.625"), "BBB": D("0.375"), "CCC": D("0")}
    assert [m.opted_out for m in table.members] == [False, False, True]
    assert table.paying_total == 1
    assert table.unfunded == 0


def test_opt_out_left_unfunded_keeps_the_others_key_shares() -> None:
    table = compute_shares(KEY, opted_out={"CCC"}, policy=LEAVE_UNFUNDED)
    assert shares(table) == {"AAA": D("0.5"), "BBB": D("0.3"), "CCC": D("0")}
    assert table.paying_total == D("0.8")
    assert table.unfunded == D("0.2")
    assert table.paying_total + table.unfunded == 1


def test_thirds_are_rounded_by_largest_remainder_and_the_adjustment_is_shown() -> None:
    table = compute_shares({"AAA": D(1), "BBB": D(1), "CCC": D(1)})
    # Three equal remainders: the one missing quantum goes to the first code.
    assert shares(table) == {"AAA": D("0.3333333334"), "BBB": D("0.3333333333"), "CCC": D("0.3333333333")}
    assert table.paying_total == 1
    first, second, _ = table.members
    assert first.exact == Fraction(1, 3)
    assert first.exact_decimal == D("0.33333333333333333333")
    assert first.adjustment == D("0.00000000006666666667")
    assert second.adjustment == D("-0.00000000003333333333")


def test_largest_remainder_goes_to_the_largest_remainder_not_the_largest_share() -> None:
    # exact: 0.66666..., 0.16666..., 0.16666... at 1 decimal: floors 0.6, 0.1, 0.1 (0.8); two quanta
    # missing go to the remainders .0666 (AAA) and .0666 (BBB or CCC by code)
    table = compute_shares({"AAA": D(4), "BBB": D(1), "CCC": D(1)}, places=1)
    assert shares(table) == {"AAA": D("0.7"), "BBB": D("0.2"), "CCC": D("0.1")}


def test_a_member_without_weight_or_nobody_left_to_pay_is_refused() -> None:
    with pytest.raises(ShareError, match="no weight for DDD"):
        compute_shares(KEY, members=["AAA", "DDD"])
    with pytest.raises(ShareError, match="nothing to share"):
        compute_shares({"AAA": D(1)}, opted_out={"AAA"}, policy=REDISTRIBUTE)
    with pytest.raises(ShareError, match="unknown shortfall policy"):
        compute_shares(KEY, policy="share_nicely")


def test_fraction_to_decimal_rounds_half_even() -> None:
    assert fraction_to_decimal(Fraction(1, 8), 2) == D("0.12")
    assert fraction_to_decimal(Fraction(3, 8), 2) == D("0.38")


weights_st = st.dictionaries(
    keys=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3),
    values=st.decimals(min_value=D("0.000001"), max_value=D("30000"), places=6),
    min_size=1,
    max_size=35,
)


@settings(max_examples=150, deadline=None)
@given(weights=weights_st, data=st.data(), policy=st.sampled_from([REDISTRIBUTE, LEAVE_UNFUNDED]))
def test_shares_sum_to_one_and_follow_the_key_for_any_key_and_opt_outs(
    weights: dict[str, Decimal], data: st.DataObject, policy: str
) -> None:
    codes = sorted(weights)
    # Any set of opt-outs that leaves at least one member paying.
    out = set(data.draw(st.lists(st.sampled_from(codes), max_size=len(codes) - 1, unique=True)))
    table = compute_shares(weights, opted_out=out, policy=policy)
    quantum = D("1e-10")
    paying = [m for m in table.members if not m.opted_out]
    base = paying if policy == REDISTRIBUTE else table.members
    total = sum((Fraction(m.weight) for m in base), Fraction(0))

    # Exactly 1: the paying shares, plus what is left unfunded.
    assert table.paying_total + table.unfunded == 1
    if policy == REDISTRIBUTE:
        assert table.paying_total == 1 and table.unfunded == 0
    else:
        exact_unfunded = sum((Fraction(weights[c]) for c in out), Fraction(0)) / total
        # The opted-out members' rounded key shares, each within a quantum of the exact one.
        assert abs(Fraction(table.unfunded) - exact_unfunded) < max(len(out), 1) * Fraction(quantum)
    for m in table.members:
        assert m.share == m.share.quantize(quantum)
        if m.opted_out:
            assert m.share == 0
            continue
        exact = Fraction(m.weight) / total
        # Proportional to the key: within one quantum of weight / total weight.
        assert m.exact == exact
        assert abs(Fraction(m.share) - exact) < Fraction(quantum)
    # Order-preserving: a strictly larger weight never gets a smaller share.
    for a in paying:
        for b in paying:
            if a.weight > b.weight:
                assert a.share >= b.share
