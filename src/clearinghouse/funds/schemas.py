"""API schemas of the funds app, and the one JSON shape of a fund's status (API and CLI alike).

Money is never a float (core.money): amounts are decimal strings with the currency's minor units
("40000000000.00"), shares decimal strings with 10 decimals, percentages with 2.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import Field, field_serializer

from clearinghouse.core import fx
from clearinghouse.core.money import (
    AmountIn,
    MoneyOrNoneOut,
    MoneyOut,
    MoneyText,
    PctTextOrNone,
    RateOut,
    ShareText,
    decimal_text,
    money_text,
    plain_text,
)
from clearinghouse.core.validation import Date, Id, Text
from clearinghouse.core.validation import Line as TextLine
from clearinghouse.funds.compliance import Line, Status
from clearinghouse.funds.models import Fund
from clearinghouse.funds.shares import ShareTable

SHARE_KEYS = frozenset({"share"})
PCT_KEYS = frozenset({"met_pct", "cumulative_met_pct", "coverage_pct"})


class YearTargetIn(Schema):
    year: int
    target: AmountIn


class FundIn(Schema):
    slug: TextLine = Field(max_length=60)
    name: TextLine = Field(max_length=200)
    target_amount: AmountIn
    currency: str = Field(min_length=3, max_length=3)
    first_year: int
    years: int
    group: str = Field(description="Code of the contributing group, e.g. alliance.")
    burden_key: str = Field(description="Code of the burden key.")
    shortfall_policy: str = "redistribute"
    in_kind_credit: str = Field(
        "at_delivery",
        description="When a pledge is credited: at_delivery (once delivered) or at_commitment (once "
        "committed). Fixed when the fund is created.",
    )
    yearly_targets: list[YearTargetIn] | None = Field(
        None, description="Optional schedule; without it the target is split evenly over the years."
    )
    counts_kinds: list[str] | None = Field(None, description="Pledge kinds credited in kind; default both.")
    counts_capabilities: list[str] = Field(default_factory=list, description="Capability areas; empty: all.")
    notes: Text = Field("", max_length=5000)


class FundPatch(Schema):
    name: TextLine | None = None
    notes: Text | None = None
    shortfall_policy: str | None = None
    counts_kinds: list[str] | None = None
    counts_capabilities: list[str] | None = None


class YearTargetOut(Schema):
    year: int
    target: MoneyText = Field(description="In the fund's currency.")


class FundOut(Schema):
    slug: str
    name: str
    target_amount: MoneyOut
    currency: str
    first_year: int
    last_year: int
    years: int
    group: str
    burden_key: str
    shortfall_policy: str
    in_kind_credit: str
    counts_kinds: list[str]
    counts_capabilities: list[str]
    notes: str
    yearly_targets: list[YearTargetOut]
    opted_out: list[str]

    @staticmethod
    def resolve_group(obj: Fund) -> str:
        return obj.group.code

    @staticmethod
    def resolve_burden_key(obj: Fund) -> str:
        return obj.burden_key.code

    @staticmethod
    def resolve_yearly_targets(obj: Fund) -> list[dict[str, Any]]:
        return [
            {"year": y.year, "target": money_text(y.target, obj.currency)}
            for y in obj.year_targets.order_by("year")
        ]

    @staticmethod
    def resolve_opted_out(obj: Fund) -> list[str]:
        return sorted(obj.opt_outs.values_list("participant__code", flat=True))

    @field_serializer("target_amount")
    def _target_in_currency(self, value: Decimal) -> str:
        return money_text(value, self.currency)


class OptOutIn(Schema):
    participant: str = Field(description="ISO alpha-3 code of the member.")
    reason: TextLine = Field("", max_length=300)
    decision: Id | None = Field(
        None,
        description="Required: the adopted decision that granted the opt-out (422 `decision` when "
        "missing, not adopted or not exempting this member from this fund).",
    )


class OptOutOut(Schema):
    participant: str
    reason: str
    decision: int | None = None
    created_at: dt.datetime

    @staticmethod
    def resolve_decision(obj: Any) -> int | None:
        return obj.decision_id  # type: ignore[no-any-return]

    @staticmethod
    def resolve_participant(obj: Any) -> str:
        return str(obj.participant.code)


class CashIn(Schema):
    participant: str = Field(description="ISO alpha-3 code of the contributing member.")
    amount: AmountIn = Field(description="Amount in `currency`: a decimal string, at most 2 decimals.")
    currency: str = Field(
        min_length=3, max_length=3, description="ISO 4217 code of a currency the ECB publishes a rate for."
    )
    value_date: Date
    reference: TextLine = Field(
        "", max_length=100, description="Payment reference; a payment is credited once."
    )
    year: int | None = Field(None, description="Fund year credited; default the value date's year.")
    releasability: str = "coordination"
    releasable_to: list[str] = Field(default_factory=list)
    notes: Text = Field("", max_length=5000)
    confirm: bool = Field(
        False,
        description="Record it even though it is larger than the member's fair share of the whole fund.",
    )


class PledgeCreditIn(Schema):
    pledge_id: int
    year: int | None = Field(None, description="Fund year credited; default the value date's year.")
    value_date: Date | None = Field(None, description="Default: the pledge's available-from date.")
    releasability: str | None = Field(None, description="Default: the pledge's own marking.")
    notes: Text = Field("", max_length=5000)
    confirm: bool = Field(
        False,
        description="Credit it even though it is worth more than the member's fair share of the whole fund.",
    )


class ReversalIn(Schema):
    reason: Text = Field(min_length=1, max_length=500, description="Why the contribution is reversed.")


class ContributionOut(Schema):
    id: int
    fund: str
    participant: str
    kind: str
    year: int
    amount: MoneyOut = Field(description="In `currency`; negative for a reversal.")
    currency: str
    value_date: dt.date = Field(description="Credit counts from this day (a reversal: the day it was made).")
    converted_amount: MoneyOut = Field(description="In `fund_currency`: amount x fx_rate.")
    fund_currency: str
    fx_rate: RateOut = Field(description="ECB reference rate: units of fund_currency per unit of currency.")
    fx_date: dt.date
    fx_stale: bool = Field(description="The rate is older than 5 business days before the value date.")
    reference: str
    pledge_id: int | None = None
    reverses: int | None = Field(None, description="This entry reverses that contribution (a correction).")
    reversed_by: int | None = Field(None, description="The reversal entry that corrects this contribution.")
    reason: str = Field("", description="Why it was reversed (reversal entries).")
    releasability: str
    releasable_to: list[str]
    notes: str
    created_at: dt.datetime

    @staticmethod
    def resolve_fund(obj: Any) -> str:
        return str(obj.fund.slug)

    @staticmethod
    def resolve_participant(obj: Any) -> str:
        return str(obj.owner.code)

    @staticmethod
    def resolve_fund_currency(obj: Any) -> str:
        return str(obj.fund.currency)

    @staticmethod
    def resolve_pledge_id(obj: Any) -> int | None:
        return getattr(obj, "pledge_id", None)

    @staticmethod
    def resolve_releasable_to(obj: Any) -> list[str]:
        return sorted(p.code for p in obj.releasable_to.all())

    @staticmethod
    def resolve_fx_stale(obj: Any) -> bool:
        return fx.is_stale(obj.fx_date, obj.value_date)

    @staticmethod
    def resolve_reverses(obj: Any) -> int | None:
        return getattr(obj, "reverses_id", None)

    @staticmethod
    def resolve_reversed_by(obj: Any) -> int | None:
        entry = obj.reversed_by
        return None if entry is None else entry.pk

    @field_serializer("amount")
    def _amount_in_currency(self, value: Decimal) -> str:
        return money_text(value, self.currency)

    @field_serializer("converted_amount")
    def _converted_in_fund_currency(self, value: Decimal) -> str:
        return money_text(value, self.fund_currency)


class KeyWeightOut(Schema):
    participant: str
    weight: str
    source: str


class KeyVersionOut(Schema):
    effective_year: int
    kind: str
    gdp_year: int | None
    source: str
    notes: str
    weights: list[KeyWeightOut]


class KeyOut(Schema):
    code: str
    name: str
    description: str
    versions: list[KeyVersionOut]


class KeyVersionIn(Schema):
    key: str = Field(description="Code of the key (created on first use).")
    name: str = ""
    effective_year: int
    kind: str = Field(description="gdp or fixed")
    gdp_year: int | None = None
    weights: dict[str, Decimal] | None = Field(None, description="Fixed keys: participant -> percentage.")
    source: TextLine = Field("", max_length=300)
    notes: Text = Field("", max_length=5000)


class GdpOut(Schema):
    participant: str
    year: int
    gdp_eur_bn: str
    source: str


class MemberStatusOut(Schema):
    participant: str = Field(description="ISO alpha-3 code.")
    name: str
    opted_out: bool
    share: ShareText = Field(
        description="Share in force in the period's last year (10 decimals; 0 if opted out)."
    )
    fair_share: MoneyText
    credited_cash: MoneyText = Field(description="Cash contributions releasable to you.")
    credited_in_kind: MoneyText = Field(description="In-kind credits releasable to you.")
    credited_not_releasable: MoneyText = Field(
        description="Credit by contributions not releasable to you: one figure, no kind, count or date."
    )
    credited: MoneyText = Field(description="Every contribution in force: cash + in kind + not releasable.")
    gap: MoneyText = Field(description="max(0, fair share - credited)")
    surplus: MoneyText = Field(description="max(0, credited - fair share)")
    met_pct: PctTextOrNone = Field(description="credited / fair share x 100; null when the fair share is 0")


class PeriodOut(Schema):
    from_: int = Field(alias="from")
    to: int
    cumulative: bool


class FundTotalsOut(Schema):
    target: MoneyText
    target_whole_fund: MoneyText
    unfunded: MoneyText
    fair_share: MoneyText
    rounding: MoneyText
    credited_cash: MoneyText
    credited_in_kind: MoneyText
    credited_not_releasable: MoneyText
    credited: MoneyText
    gap: MoneyText
    surplus: MoneyText
    shortfall: MoneyText
    met_pct: PctTextOrNone


class YearStatusOut(Schema):
    year: int
    state: str
    target: MoneyText
    fair_share: MoneyText
    unfunded: MoneyText
    credited_cash: MoneyText
    credited_in_kind: MoneyText
    credited_not_releasable: MoneyText
    credited: MoneyText
    met_pct: PctTextOrNone
    cumulative_target: MoneyText
    cumulative_credited: MoneyText
    cumulative_met_pct: PctTextOrNone


class ForecastYearOut(Schema):
    year: int
    target: MoneyText
    scheduled: MoneyText
    uncovered: MoneyText
    coverage_pct: PctTextOrNone


class MemberForecastOut(Schema):
    participant: str
    remaining_fair_share: MoneyText
    scheduled: MoneyText
    coverage_pct: PctTextOrNone


class PredictabilityOut(Schema):
    years: list[ForecastYearOut]
    members: list[MemberForecastOut]


class SlipOut(Schema):
    participant: str
    year: int
    tranches: int
    amount: MoneyText


class StatusOut(Schema):
    fund: str
    name: str
    currency: str
    as_of: dt.date
    year: int | None
    period: PeriodOut
    shortfall_policy: str
    burden_key: str
    members: list[MemberStatusOut]
    totals: FundTotalsOut
    members_in_arrears: list[str]
    years: list[YearStatusOut]
    predictability: PredictabilityOut
    slippage: list[SlipOut]
    slippage_total: MoneyText


class ShareOut(Schema):
    participant: str
    opted_out: bool
    weight: str = Field(description="The key weight (GDP in EUR bn, or a percentage), a decimal string.")
    exact: str = Field(description="The exact share to 20 decimals, a decimal string.")
    share: ShareText
    adjustment: str = Field(description="rounded - exact, to 20 decimals, a decimal string.")


class SharesOut(Schema):
    fund: str
    year: int
    policy: str
    places: int
    members: list[ShareOut]
    paying_total: ShareText
    unfunded: ShareText
    total: ShareText


# --- status: one dict shape for the API and the CLI -----------------------------------------------


def _line(m: Line) -> dict[str, Any]:
    return {
        "participant": m.participant,
        "name": m.name,
        "opted_out": m.opted_out,
        "share": m.share,
        "fair_share": m.fair_share,
        "credited_cash": m.credited_cash,
        "credited_in_kind": m.credited_in_kind,
        "credited_not_releasable": m.credited_not_releasable,
        "credited": m.credited,
        "gap": m.gap,
        "surplus": m.surplus,
        "met_pct": m.met_pct,
    }


def status_dict(fund: Fund, status: Status) -> dict[str, Any]:
    """The status as plain data with Decimals (serialise with `jsonable_status`)."""
    first, last = status.period
    return {
        "fund": fund.slug,
        "name": fund.name,
        "currency": fund.currency,
        "as_of": status.as_of.isoformat(),
        "year": None if status.cumulative else first,
        "period": {"from": first, "to": last, "cumulative": status.cumulative},
        "shortfall_policy": fund.shortfall_policy,
        "burden_key": fund.burden_key.code,
        "members": [_line(m) for m in status.members],
        "totals": {
            "target": status.target,
            "target_whole_fund": fund.target_amount,
            "unfunded": status.unfunded,
            "fair_share": status.fair_share_total,
            "rounding": status.rounding,
            "credited_cash": status.credited_cash,
            "credited_in_kind": status.credited_in_kind,
            "credited_not_releasable": status.credited_not_releasable,
            "credited": status.credited,
            "gap": status.gap,
            "surplus": status.surplus,
            "shortfall": status.shortfall,
            "met_pct": status.met_pct,
        },
        "members_in_arrears": status.arrears,
        "years": [
            {
                "year": y.year,
                "state": y.state,
                "target": y.target,
                "fair_share": y.fair_share_total,
                "unfunded": y.unfunded,
                "credited_cash": y.credited_cash,
                "credited_in_kind": y.credited_in_kind,
                "credited_not_releasable": y.credited_not_releasable,
                "credited": y.credited,
                "met_pct": y.met_pct,
                "cumulative_target": y.cumulative_target,
                "cumulative_credited": y.cumulative_credited,
                "cumulative_met_pct": y.cumulative_met_pct,
            }
            for y in status.years
        ],
        "predictability": {
            "years": [
                {
                    "year": f.year,
                    "target": f.target,
                    "scheduled": f.scheduled,
                    "uncovered": f.uncovered,
                    "coverage_pct": f.coverage_pct,
                }
                for f in status.forecast
            ],
            "members": [
                {
                    "participant": f.participant,
                    "remaining_fair_share": f.remaining_fair_share,
                    "scheduled": f.scheduled,
                    "coverage_pct": f.coverage_pct,
                }
                for f in status.member_forecast
            ],
        },
        "slippage": [
            {"participant": s.participant, "year": s.year, "tranches": s.tranches, "amount": s.amount}
            for s in status.slippage
        ],
        "slippage_total": status.slippage_total,
    }


def jsonable_status(value: Any, currency: str | None = None, key: str = "") -> Any:
    """The status with every Decimal as a decimal string (API and CLI JSON): amounts with the fund
    currency's minor units, shares with 10 decimals, percentages with 2. Never a float."""
    if isinstance(value, dict):
        currency = currency or value.get("currency")
        return {k: jsonable_status(v, currency, k) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable_status(v, currency, key) for v in value]
    if isinstance(value, Decimal):
        if key in SHARE_KEYS:
            return decimal_text(value, 10)
        if key in PCT_KEYS:
            return decimal_text(value, 2)
        return money_text(value, currency)
    return value


def shares_dict(fund: Fund, year: int, table: ShareTable) -> dict[str, Any]:
    """Shares in force in a year with the exact value and the rounding adjustment of each (strings)."""
    places = table.places
    return {
        "fund": fund.slug,
        "year": year,
        "policy": table.policy,
        "places": places,
        "members": [
            {
                "participant": m.participant,
                "opted_out": m.opted_out,
                "weight": plain_text(m.weight),
                "exact": decimal_text(m.exact_decimal, 20),
                "share": decimal_text(m.share, places),
                "adjustment": decimal_text(m.adjustment, 20),
            }
            for m in table.members
        ],
        "paying_total": decimal_text(table.paying_total, places),
        "unfunded": decimal_text(table.unfunded, places),
        "total": decimal_text(table.paying_total + table.unfunded, places),
    }


class DisbursementIn(Schema):
    package: Id = Field(description="The package paid for.")
    amount: AmountIn
    currency: str = Field(min_length=3, max_length=3)
    value_date: Date
    notes: Text = Field("", max_length=10_000)


class DisbursementOut(Schema):
    id: int
    fund: str
    package: int
    package_title: str
    amount: MoneyOut = Field(description="In `currency`.")
    currency: str
    value_date: dt.date
    converted_amount: MoneyOut = Field(description="In `fund_currency`: amount x fx_rate.")
    fund_currency: str
    fx_rate: RateOut
    fx_date: dt.date
    notes: str


class FlowOut(Schema):
    date: dt.date
    sources: MoneyOut
    uses: MoneyOut
    balance: MoneyOrNoneOut


class FlowsOut(Schema):
    fund: str
    currency: str
    as_of: dt.date
    complete: bool = Field(
        description="Every entry counted (finance, the cell, auditors); otherwise those releasable to you, "
        "and no balance."
    )
    sources: MoneyOut = Field(description="Cash contributions up to as_of (reversals included).")
    uses: MoneyOut = Field(description="Disbursements up to as_of.")
    balance: MoneyOrNoneOut
    over_time: list[FlowOut]
    disbursements: list[DisbursementOut] = Field(description="Those whose package is releasable to you.")
