"""Compliance, predictability and slippage of a fund, computed from plain data (no Django).

Rules (all amounts in the fund's currency, Decimal, cents rounded half-even):

* fair share of member m in year y = share(m, y) x target(y), to the cent; share(m, y) comes from the
  key version in force in y (see `shares`).
* credited(m, y) = cash + in kind credited to year y with a value date on or before the status date
  (a correction's reversal carries the value date of the entry it corrects; the reversal of a
  withdrawn pledge's credit, the day of the withdrawal); gap = max(0, fair share - credited);
  surplus = max(0, credited - fair share); met % = credited / fair share x 100, to 2 decimals
  (none when the fair share is 0, e.g. an opted-out member).
* cumulative = the sum over the fund's years from the first through the status year (today's year,
  kept inside the fund's years), or the single year asked for.
* in arrears: credited to date below the sum of the fair shares of the past years and the current one.
* predictability: future tranches (current year and later) of members' multi-year financial pledges
  not yet credited to any fund, against those years' targets and fair shares.
* slippage: tranches scheduled for a year before the current one, of pledges not credited.
* breakdown: cash and in kind count only the contributions releasable to the reader; the rest of a
  member's credit is one figure, `credited_not_releasable` (no kind, no count, no date), so that the
  compliance figures are whole while no hidden contribution can be told apart.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from clearinghouse.funds.shares import ShareTable

CENT = Decimal("0.01")
PCT = Decimal("0.01")
ZERO = Decimal("0.00")


def cents(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_EVEN)


def pct(part: Decimal, whole: Decimal) -> Decimal | None:
    """part / whole x 100 to 2 decimals, or None when whole is 0."""
    if whole == 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(PCT, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class Credit:
    """A contribution reduced to what compliance needs."""

    participant: str
    year: int
    kind: str  # "cash" or "in_kind"
    converted: Decimal
    visible: bool = True  # releasable to the reader; if not, only its amount counts, undifferentiated


@dataclass(frozen=True)
class Tranche:
    """A yearly tranche of a member's multi-year financial pledge, converted to the fund's currency."""

    participant: str
    pledge_id: int
    year: int
    amount: Decimal
    currency: str
    converted: Decimal


@dataclass
class Line:
    """Fair share against credited for one member over one year or a span of years."""

    participant: str
    name: str
    opted_out: bool
    share: Decimal
    fair_share: Decimal = ZERO
    credited_cash: Decimal = ZERO
    credited_in_kind: Decimal = ZERO
    credited_not_releasable: Decimal = ZERO

    @property
    def credited(self) -> Decimal:
        return self.credited_cash + self.credited_in_kind + self.credited_not_releasable

    @property
    def gap(self) -> Decimal:
        return max(ZERO, self.fair_share - self.credited)

    @property
    def surplus(self) -> Decimal:
        return max(ZERO, self.credited - self.fair_share)

    @property
    def met_pct(self) -> Decimal | None:
        return pct(self.credited, self.fair_share)


@dataclass(frozen=True)
class YearProgress:
    """The fund's progress in one year and cumulatively up to it."""

    year: int
    target: Decimal
    fair_share_total: Decimal
    unfunded: Decimal
    credited: Decimal
    credited_cash: Decimal
    credited_in_kind: Decimal
    credited_not_releasable: Decimal
    cumulative_target: Decimal
    cumulative_credited: Decimal
    state: str  # past, current, future

    @property
    def met_pct(self) -> Decimal | None:
        return pct(self.credited, self.target)

    @property
    def cumulative_met_pct(self) -> Decimal | None:
        return pct(self.cumulative_credited, self.cumulative_target)


@dataclass(frozen=True)
class ForecastYear:
    """A remaining year: its target, the fair shares owed, and tranches already scheduled for it."""

    year: int
    target: Decimal
    scheduled: Decimal

    @property
    def coverage_pct(self) -> Decimal | None:
        return pct(self.scheduled, self.target)

    @property
    def uncovered(self) -> Decimal:
        return max(ZERO, self.target - self.scheduled)


@dataclass(frozen=True)
class MemberForecast:
    """A member's fair share of the remaining years against its scheduled tranches for them."""

    participant: str
    remaining_fair_share: Decimal
    scheduled: Decimal

    @property
    def coverage_pct(self) -> Decimal | None:
        return pct(self.scheduled, self.remaining_fair_share)


@dataclass(frozen=True)
class Slip:
    """What a member had scheduled for a past year in tranches of pledges that were never credited."""

    participant: str
    year: int
    tranches: int
    amount: Decimal


@dataclass(frozen=True)
class Status:
    """Everything the status door prints: members, totals, years, forecast, slippage."""

    as_of: dt.date
    current_year: int
    period: tuple[int, int]
    cumulative: bool
    members: list[Line]
    by_year: dict[int, list[Line]]
    years: list[YearProgress]
    target: Decimal
    unfunded: Decimal
    forecast: list[ForecastYear] = field(default_factory=list)
    member_forecast: list[MemberForecast] = field(default_factory=list)
    slippage: list[Slip] = field(default_factory=list)
    arrears: list[str] = field(default_factory=list)

    @property
    def fair_share_total(self) -> Decimal:
        return sum((m.fair_share for m in self.members), ZERO)

    @property
    def credited(self) -> Decimal:
        return sum((m.credited for m in self.members), ZERO)

    @property
    def credited_cash(self) -> Decimal:
        return sum((m.credited_cash for m in self.members), ZERO)

    @property
    def credited_in_kind(self) -> Decimal:
        return sum((m.credited_in_kind for m in self.members), ZERO)

    @property
    def credited_not_releasable(self) -> Decimal:
        return sum((m.credited_not_releasable for m in self.members), ZERO)

    @property
    def gap(self) -> Decimal:
        return sum((m.gap for m in self.members), ZERO)

    @property
    def surplus(self) -> Decimal:
        return sum((m.surplus for m in self.members), ZERO)

    @property
    def shortfall(self) -> Decimal:
        """What the fund lacks against its target over the period."""
        return max(ZERO, self.target - self.credited)

    @property
    def met_pct(self) -> Decimal | None:
        return pct(self.credited, self.target)

    @property
    def rounding(self) -> Decimal:
        """Fair shares rounded to cents minus what they round from (target - unfunded); shown, not hidden."""
        return self.fair_share_total - (self.target - self.unfunded)

    @property
    def slippage_total(self) -> Decimal:
        return sum((s.amount for s in self.slippage), ZERO)


def compute_status(
    *,
    members: Mapping[str, str],
    targets: Mapping[int, Decimal],
    shares: Mapping[int, ShareTable],
    credits: Iterable[Credit],
    tranches: Iterable[Tranche] = (),
    as_of: dt.date,
    year: int | None = None,
) -> Status:
    """The fund's status on `as_of`, cumulative up to the current year, or for `year` alone."""
    years = sorted(targets)
    first, last = years[0], years[-1]
    current = min(max(as_of.year, first), last)
    by_year, unfunded_by_year = _lines_by_year(members, targets, shares, credits)
    if year is not None:
        span = [year]
        period = (year, year)
    else:
        span = [y for y in years if y <= current]
        period = (first, current)
    tranche_list = list(tranches)
    remaining = [y for y in years if y >= current]
    return Status(
        as_of=as_of,
        current_year=current,
        period=period,
        cumulative=year is None,
        members=_member_totals(by_year, span),
        by_year=by_year,
        years=_progress(years, current, targets, by_year, unfunded_by_year),
        target=cents(sum((targets[y] for y in span), ZERO)),
        unfunded=sum((unfunded_by_year[y] for y in span), ZERO),
        forecast=[
            ForecastYear(
                year=y,
                target=cents(targets[y]),
                scheduled=sum((t.converted for t in tranche_list if t.year == y), ZERO),
            )
            for y in remaining
        ],
        member_forecast=_member_forecast(shares[years[0]], by_year, tranche_list, remaining),
        slippage=_slippage(tranche_list, first, current),
        arrears=_arrears(years, current, by_year),
    )


def _lines_by_year(
    members: Mapping[str, str],
    targets: Mapping[int, Decimal],
    shares: Mapping[int, ShareTable],
    credits: Iterable[Credit],
) -> tuple[dict[int, list[Line]], dict[int, Decimal]]:
    """Each year's line per member (fair share, credited cash, in kind, not releasable), and each
    year's unfunded part (the opted-out members' shares)."""
    credit_by: dict[tuple[str, int], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO])
    for c in credits:
        slot = credit_by[(c.participant, c.year)]
        slot[2 if not c.visible else 1 if c.kind == "in_kind" else 0] += c.converted
    by_year: dict[int, list[Line]] = {}
    unfunded_by_year: dict[int, Decimal] = {}
    for y in sorted(targets):
        table = shares[y]
        lines = []
        for ms in table.members:
            cash, in_kind, hidden = credit_by.get((ms.participant, y), (ZERO, ZERO, ZERO))
            lines.append(
                Line(
                    participant=ms.participant,
                    name=members.get(ms.participant, ms.participant),
                    opted_out=ms.opted_out,
                    share=ms.share,
                    fair_share=cents(ms.share * targets[y]),
                    credited_cash=cents(cash),
                    credited_in_kind=cents(in_kind),
                    credited_not_releasable=cents(hidden),
                )
            )
        by_year[y] = lines
        unfunded_by_year[y] = cents(table.unfunded * targets[y])
    return by_year, unfunded_by_year


def _member_totals(by_year: Mapping[int, list[Line]], span: list[int]) -> list[Line]:
    """Each member's lines added up over the years of `span`, largest share first."""
    totals: dict[str, Line] = {}
    for y in span:
        for line in by_year[y]:
            t = totals.setdefault(
                line.participant, Line(line.participant, line.name, line.opted_out, line.share)
            )
            # The share shown is the one in force in the last year of the period.
            t.share = line.share
            t.opted_out = line.opted_out
            t.fair_share += line.fair_share
            t.credited_cash += line.credited_cash
            t.credited_in_kind += line.credited_in_kind
            t.credited_not_releasable += line.credited_not_releasable
    return sorted(totals.values(), key=lambda m: (-m.share, m.participant))


def _progress(
    years: list[int],
    current: int,
    targets: Mapping[int, Decimal],
    by_year: Mapping[int, list[Line]],
    unfunded_by_year: Mapping[int, Decimal],
) -> list[YearProgress]:
    """The fund's progress year by year, with cumulative target and credit."""
    progress = []
    cum_target = cum_credited = ZERO
    for y in years:
        lines = by_year[y]
        cash = sum((m.credited_cash for m in lines), ZERO)
        in_kind = sum((m.credited_in_kind for m in lines), ZERO)
        hidden = sum((m.credited_not_releasable for m in lines), ZERO)
        cum_target += targets[y]
        cum_credited += cash + in_kind + hidden
        progress.append(
            YearProgress(
                year=y,
                target=cents(targets[y]),
                fair_share_total=sum((m.fair_share for m in lines), ZERO),
                unfunded=unfunded_by_year[y],
                credited=cash + in_kind + hidden,
                credited_cash=cash,
                credited_in_kind=in_kind,
                credited_not_releasable=hidden,
                cumulative_target=cents(cum_target),
                cumulative_credited=cum_credited,
                state="past" if y < current else ("current" if y == current else "future"),
            )
        )
    return progress


def _arrears(years: list[int], current: int, by_year: Mapping[int, list[Line]]) -> list[str]:
    """Members whose credit to date falls short of the fair shares of the past years and the current
    one (a surplus paid early counts toward later years)."""
    to_date: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for y in years:
        if y <= current:
            for line in by_year[y]:
                to_date[line.participant] += line.fair_share - line.credited
    return sorted(code for code, balance in to_date.items() if balance > 0)


def _member_forecast(
    first_table: ShareTable,
    by_year: Mapping[int, list[Line]],
    tranche_list: list[Tranche],
    remaining: list[int],
) -> list[MemberForecast]:
    """Each member's fair share of the remaining years against the tranches scheduled for them."""
    member_forecast = []
    for code in [ms.participant for ms in first_table.members]:
        fair = sum(
            (line.fair_share for y in remaining for line in by_year[y] if line.participant == code), ZERO
        )
        sched = sum(
            (t.converted for t in tranche_list if t.participant == code and t.year in remaining), ZERO
        )
        if fair or sched:
            member_forecast.append(MemberForecast(code, fair, sched))
    member_forecast.sort(key=lambda f: (-f.remaining_fair_share, f.participant))
    return member_forecast


def _slippage(tranche_list: list[Tranche], first: int, current: int) -> list[Slip]:
    """Tranches due in past years and not credited, aggregated by member and year: the pledges
    themselves may not be releasable to the reader."""
    slipped: dict[tuple[int, str], list[Decimal]] = defaultdict(list)
    for tranche in tranche_list:
        if first <= tranche.year < current:
            slipped[(tranche.year, tranche.participant)].append(tranche.converted)
    return [Slip(p, y, len(v), sum(v, ZERO)) for (y, p), v in sorted(slipped.items())]
