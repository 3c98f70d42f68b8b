"""A framework's status computed from plain data (no Django): fair share against actual per member.

Rules (amounts in the framework's currency, Decimal; cents rounded half-even once, at the end):

* period fraction of calendar year y = days of the period in y / days of y (a whole year is exactly 1,
  a leap year's 29 February counts 1/366); the period's fraction is the sum over its years.
* target over the period = yearly target x period fraction.
* share(m, y): the key version in force in y over the group's participants; an exempt member holds
  0 and the others' shares are re-normalised (funds/shares.py, policy `redistribute`), rounded to 10
  decimals by largest remainder so that the shares sum to exactly 1.
* fair share(m) = sum over y of yearly target x share(m, y) x fraction(y), to the cent.
* actual(m) = the member's military aid in the period from the chosen source, each contribution once.
* gap(m) = fair share - actual (negative: more than the fair share).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from clearinghouse.funds.shares import ShareTable, fraction_to_decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def cents(value: Fraction | Decimal) -> Decimal:
    """An exact amount to the cent, half-even."""
    if isinstance(value, Fraction):
        return fraction_to_decimal(value, 2)
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_EVEN)


def days_in_year(year: int) -> int:
    return (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days


def year_fractions(start: dt.date, end: dt.date) -> dict[int, Fraction]:
    """Each calendar year the period touches, with the part of that year it covers."""
    out: dict[int, Fraction] = {}
    for y in range(start.year, end.year + 1):
        first = max(start, dt.date(y, 1, 1))
        last = min(end, dt.date(y, 12, 31))
        out[y] = Fraction((last - first).days + 1, days_in_year(y))
    return out


def period_fraction(start: dt.date, end: dt.date) -> Fraction:
    """The period in years (exact)."""
    return sum(year_fractions(start, end).values(), Fraction(0))


def month_in_period(year: int, month: int, start: dt.date, end: dt.date) -> bool:
    """A monthly figure (the Kiel tracker's) counts when the period includes the month's first day."""
    return start <= dt.date(year, month, 1) <= end


@dataclass(frozen=True)
class Aid:
    """One contribution reduced to what the status needs: counted once per `key` within a status."""

    key: tuple[str, int]  # (source table, row id): the same row never counts twice
    participant: str
    amount: Decimal  # in the framework's currency


@dataclass(frozen=True)
class MemberLine:
    participant: str
    name: str
    exempt: bool
    share: Decimal
    fair_share: Decimal
    actual: Decimal

    @property
    def gap(self) -> Decimal:
        return self.fair_share - self.actual


@dataclass(frozen=True)
class FrameworkStatus:
    start: dt.date
    end: dt.date
    fraction: Fraction
    target: Decimal
    members: list[MemberLine]

    @property
    def fair_share_total(self) -> Decimal:
        return sum((m.fair_share for m in self.members), ZERO)

    @property
    def actual_total(self) -> Decimal:
        return sum((m.actual for m in self.members), ZERO)

    @property
    def gap_total(self) -> Decimal:
        return self.fair_share_total - self.actual_total

    @property
    def fraction_decimal(self) -> Decimal:
        return fraction_to_decimal(self.fraction, 10)


def compute(
    *,
    names: Mapping[str, str],
    yearly_target: Decimal,
    start: dt.date,
    end: dt.date,
    shares: Mapping[int, ShareTable],
    aid: Iterable[Aid],
) -> FrameworkStatus:
    """Fair share, actual and gap of every member of the group over [start, end]."""
    fractions = year_fractions(start, end)
    target = Fraction(yearly_target)
    fair: dict[str, Fraction] = {}
    for y, part in fractions.items():
        for ms in shares[y].members:
            fair[ms.participant] = fair.get(ms.participant, Fraction(0)) + target * Fraction(ms.share) * part
    actual: dict[str, Decimal] = {}
    seen: set[tuple[str, int]] = set()
    for a in aid:
        if a.key in seen or a.participant not in fair:
            continue
        seen.add(a.key)
        actual[a.participant] = actual.get(a.participant, Decimal(0)) + a.amount
    last = shares[end.year]
    lines = [
        MemberLine(
            participant=ms.participant,
            name=names.get(ms.participant, ms.participant),
            exempt=ms.opted_out,
            share=ms.share,
            fair_share=cents(fair[ms.participant]),
            actual=cents(actual.get(ms.participant, Decimal(0))),
        )
        for ms in last.members
    ]
    lines.sort(key=lambda m: (-m.share, m.participant))
    return FrameworkStatus(
        start=start,
        end=end,
        fraction=sum(fractions.values(), Fraction(0)),
        target=cents(target * sum(fractions.values(), Fraction(0))),
        members=lines,
    )
