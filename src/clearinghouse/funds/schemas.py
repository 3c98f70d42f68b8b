"""API schemas of the funds app, and the one JSON shape of a fund's status (API and CLI alike).

Money and shares are JSON numbers written from Decimals: amounts are in cents and shares have 10
decimals, at most 15 significant digits, so every value reads back exactly.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field, PlainSerializer

from clearinghouse.core.validation import Date, Text
from clearinghouse.core.validation import Line as TextLine
from clearinghouse.funds.compliance import Line, Status
from clearinghouse.funds.models import Fund
from clearinghouse.funds.shares import ShareTable


def number(value: Decimal | None) -> float | None:
    """A Decimal as a JSON number; refuses values a float would not carry exactly."""
    if value is None:
        return None
    digits = len(value.as_tuple().digits)
    if digits > 15:
        raise ValueError(f"{value} has more than 15 significant digits")
    return float(value)


Num = Annotated[Decimal, PlainSerializer(number, return_type=float, when_used="always")]
NumOrNone = Annotated[Decimal | None, PlainSerializer(number, return_type=float | None, when_used="always")]


class YearTargetIn(Schema):
    year: int
    target: Decimal


class FundIn(Schema):
    slug: TextLine = Field(max_length=60)
    name: TextLine = Field(max_length=200)
    target_amount: Decimal
    currency: str = Field(min_length=3, max_length=3)
    first_year: int
    years: int
    group: str = Field(description="Code of the contributing group, e.g. alliance.")
    burden_key: str = Field(description="Code of the burden key.")
    shortfall_policy: str = "redistribute"
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
    target: Num


class FundOut(Schema):
    slug: str
    name: str
    target_amount: Num
    currency: str
    first_year: int
    last_year: int
    years: int
    group: str
    burden_key: str
    shortfall_policy: str
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
        return [{"year": y.year, "target": y.target} for y in obj.year_targets.order_by("year")]

    @staticmethod
    def resolve_opted_out(obj: Fund) -> list[str]:
        return sorted(obj.opt_outs.values_list("participant__code", flat=True))


class OptOutIn(Schema):
    participant: str = Field(description="ISO alpha-3 code of the member.")
    reason: TextLine = Field("", max_length=300)


class OptOutOut(Schema):
    participant: str
    reason: str
    created_at: dt.datetime

    @staticmethod
    def resolve_participant(obj: Any) -> str:
        return obj.participant.code


class CashIn(Schema):
    participant: str = Field(description="ISO alpha-3 code of the contributing member.")
    amount: Decimal = Field(description="Amount in `currency`, at most 2 decimals.")
    currency: str = Field(description="ISO 4217 code with an ECB reference rate.")
    value_date: Date
    reference: TextLine = Field(
        "", max_length=100, description="Payment reference; a payment is credited once."
    )
    year: int | None = Field(None, description="Fund year credited; default the value date's year.")
    releasability: str = "coordination"
    releasable_to: list[str] = Field(default_factory=list)
    notes: Text = Field("", max_length=5000)


class PledgeCreditIn(Schema):
    pledge_id: int
    year: int | None = Field(None, description="Fund year credited; default the value date's year.")
    value_date: Date | None = Field(None, description="Default: the pledge's available-from date.")
    releasability: str | None = Field(None, description="Default: the pledge's own marking.")
    notes: Text = Field("", max_length=5000)


class ContributionOut(Schema):
    id: int
    fund: str
    participant: str
    kind: str
    year: int
    amount: Num
    currency: str
    value_date: dt.date
    converted_amount: Num
    fund_currency: str
    fx_rate: Num
    fx_date: dt.date
    reference: str
    pledge_id: int | None = None
    releasability: str
    releasable_to: list[str]
    notes: str
    created_at: dt.datetime

    @staticmethod
    def resolve_fund(obj: Any) -> str:
        return obj.fund.slug

    @staticmethod
    def resolve_participant(obj: Any) -> str:
        return obj.owner.code

    @staticmethod
    def resolve_fund_currency(obj: Any) -> str:
        return obj.fund.currency

    @staticmethod
    def resolve_pledge_id(obj: Any) -> int | None:
        return getattr(obj, "pledge_id", None)

    @staticmethod
    def resolve_releasable_to(obj: Any) -> list[str]:
        return sorted(p.code for p in obj.releasable_to.all())


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
    share: Num = Field(description="Share in force in the period's last year (10 decimals; 0 if opted out).")
    fair_share: Num
    credited_cash: Num
    credited_in_kind: Num
    credited: Num
    gap: Num = Field(description="max(0, fair share - credited)")
    surplus: Num = Field(description="max(0, credited - fair share)")
    met_pct: NumOrNone = Field(description="credited / fair share x 100; null when the fair share is 0")


class PeriodOut(Schema):
    from_: int = Field(alias="from")
    to: int
    cumulative: bool


class TotalsOut(Schema):
    target: Num
    target_whole_fund: Num
    unfunded: Num
    fair_share: Num
    rounding: Num
    credited_cash: Num
    credited_in_kind: Num
    credited: Num
    gap: Num
    surplus: Num
    shortfall: Num
    met_pct: NumOrNone


class YearStatusOut(Schema):
    year: int
    state: str
    target: Num
    fair_share: Num
    unfunded: Num
    credited_cash: Num
    credited_in_kind: Num
    credited: Num
    met_pct: NumOrNone
    cumulative_target: Num
    cumulative_credited: Num
    cumulative_met_pct: NumOrNone


class ForecastYearOut(Schema):
    year: int
    target: Num
    scheduled: Num
    uncovered: Num
    coverage_pct: NumOrNone


class MemberForecastOut(Schema):
    participant: str
    remaining_fair_share: Num
    scheduled: Num
    coverage_pct: NumOrNone


class PredictabilityOut(Schema):
    years: list[ForecastYearOut]
    members: list[MemberForecastOut]


class SlipOut(Schema):
    participant: str
    year: int
    tranches: int
    amount: Num


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
    totals: TotalsOut
    members_in_arrears: list[str]
    years: list[YearStatusOut]
    predictability: PredictabilityOut
    slippage: list[SlipOut]
    slippage_total: Num


class ShareOut(Schema):
    participant: str
    opted_out: bool
    weight: str
    exact: str
    share: str
    adjustment: str


class SharesOut(Schema):
    fund: str
    year: int
    policy: str
    places: int
    members: list[ShareOut]
    paying_total: str
    unfunded: str
    total: str


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


def jsonable_status(value: Any) -> Any:
    """Decimals to JSON numbers, recursively (for the CLI's json format)."""
    if isinstance(value, Decimal):
        return number(value)
    if isinstance(value, dict):
        return {k: jsonable_status(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable_status(v) for v in value]
    return value


def shares_dict(fund: Fund, year: int, table: ShareTable) -> dict[str, Any]:
    """Shares in force in a year with the exact value and the rounding adjustment of each."""
    return {
        "fund": fund.slug,
        "year": year,
        "policy": table.policy,
        "places": table.places,
        "members": [
            {
                "participant": m.participant,
                "opted_out": m.opted_out,
                "weight": str(m.weight),
                "exact": str(m.exact_decimal),
                "share": str(m.share),
                "adjustment": str(m.adjustment),
            }
            for m in table.members
        ],
        "paying_total": str(table.paying_total),
        "unfunded": str(table.unfunded),
        "total": str(table.paying_total + table.unfunded),
    }
