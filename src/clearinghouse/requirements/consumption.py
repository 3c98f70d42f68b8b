"""Consumption requirements: N units a month from month A to month B, matched month by month.

A consumption requirement states ``rate_per_month``, ``from_month`` and ``to_month`` (``YYYY-MM``,
from ≤ to). Its ``quantity`` is derived: rate × the number of months, so every total (allocated,
delivered, coverage) counts units as for any requirement. Given together with a rate, a quantity
must equal that product, and a needed-by date the first day of ``from_month``; anything else is
refused rather than guessed.

Which months the allocations cover follows one rule, the same in the clearing house's input and on
the pages (:func:`month_table`): allocations are taken in order of their pledge's available-from
date, and each fills the months from its pledge's available month on, earliest first, then (only
if those are full) the unfilled months before it, latest first (late, as the engine would place
it). A month is short by what is left unfilled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from clearinghouse.core import cleaning
from clearinghouse.core.errors import InvalidInput

#: A rate spans at most this many months (ten years).
MAX_MONTHS = 120
RATE_FIELDS = ("rate_per_month", "from_month", "to_month")


def month(value: Any, field: str) -> dt.date | None:
    """The first day of the month given as ``YYYY-MM`` (or a date, or ``YYYY-MM-01``); None if blank."""
    if cleaning.blank(value):
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        day = value
    else:
        text = str(value).strip()
        try:
            day = dt.date.fromisoformat(text + "-01" if len(text) == 7 else text)
        except ValueError:
            raise InvalidInput(f"{field}: {value!r} is not a month (YYYY-MM)", field=field) from None
        if len(text) != 7 and day.day != 1:
            raise InvalidInput(f"{field}: {value!r} is not a month (YYYY-MM)", field=field)
    first = day.replace(day=1)
    cleaning.date(first, field)  # within the range every date of the application keeps to
    return first


def month_text(day: dt.date) -> str:
    return day.strftime("%Y-%m")


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first days of the months from `first` to `last`, both included."""
    out: list[dt.date] = []
    year, m = first.year, first.month
    while (year, m) <= (last.year, last.month):
        out.append(dt.date(year, m, 1))
        year, m = (year + 1, 1) if m == 12 else (year, m + 1)
    return out


def clean_rate(data: dict[str, Any]) -> dict[str, Any]:
    """The rate fields of a requirement, checked together: all three or none.

    Returns ``rate_per_month``, ``from_month``, ``to_month`` (None each for a plain quantity) and,
    for a rate, the derived ``quantity`` and ``needed_by`` (checked against any given).
    """
    rate = cleaning.integer(data.get("rate_per_month"), "rate_per_month", required=False)
    first = month(data.get("from_month"), "from_month")
    last = month(data.get("to_month"), "to_month")
    if rate is None and first is None and last is None:
        return {"rate_per_month": None, "from_month": None, "to_month": None}
    for name, value in (("rate_per_month", rate), ("from_month", first), ("to_month", last)):
        if value is None:
            raise InvalidInput(
                f"{name}: required for a consumption requirement (rate_per_month, from_month and "
                "to_month go together)",
                field=name,
            )
    assert rate is not None and first is not None and last is not None
    if first > last:
        raise InvalidInput(
            f"to_month: {month_text(last)} is before from_month {month_text(first)}", field="to_month"
        )
    count = len(months_between(first, last))
    if count > MAX_MONTHS:
        raise InvalidInput(
            f"to_month: a rate spans at most {MAX_MONTHS} months, got {count}", field="to_month"
        )
    total = rate * count
    given = cleaning.integer(data.get("quantity"), "quantity", required=False)
    if given is not None and given != total:
        raise InvalidInput(
            f"quantity: a consumption requirement needs rate_per_month × months = {rate} × {count} = "
            f"{total}, not {given}; leave quantity blank (it is derived), or clear the rate to state a "
            "one-off quantity",
            field="quantity",
        )
    if total > 2_000_000_000:
        raise InvalidInput(f"rate_per_month: {rate} × {count} months is too large", field="rate_per_month")
    needed_by = cleaning.date(data.get("needed_by"), "needed_by", required=False)
    if needed_by is not None and needed_by != first:
        raise InvalidInput(
            "needed_by: a consumption requirement is needed month by month from from_month; leave "
            "needed_by blank",
            field="needed_by",
        )
    return {
        "rate_per_month": rate,
        "from_month": first,
        "to_month": last,
        "quantity": total,
        "needed_by": first,
    }


@dataclass(frozen=True)
class MonthRow:
    """One month of a consumption requirement: what it needs, what allocations cover, what is short."""

    month: dt.date
    required: int
    allocated: int

    @property
    def short(self) -> int:
        return self.required - self.allocated

    @property
    def label(self) -> str:
        return month_text(self.month)

    def as_dict(self) -> dict[str, Any]:
        return {
            "month": self.label,
            "required": self.required,
            "allocated": self.allocated,
            "short": self.short,
        }


def month_table(
    *, rate: int, first: dt.date, last: dt.date, allocations: Iterable[tuple[dt.date, int]]
) -> list[MonthRow]:
    """Month by month coverage of a rate by allocations given as (pledge available-from, quantity)
    (the module's rule)."""
    months = months_between(first, last)
    filled = [0] * len(months)
    for available, quantity in sorted(allocations, key=lambda a: a[0]):
        start = next((i for i, m in enumerate(months) if m >= available.replace(day=1)), len(months))
        order = list(range(start, len(months))) + list(range(start - 1, -1, -1))
        left = quantity
        for i in order:
            if left <= 0:
                break
            take = min(left, rate - filled[i])
            filled[i] += take
            left -= take
    return [MonthRow(month=m, required=rate, allocated=f) for m, f in zip(months, filled, strict=True)]


def requirement_months(requirement: Any) -> list[MonthRow]:
    """The month table of a consumption requirement from all its allocations ([] for a plain one).

    Uses prefetched ``allocations`` (with their pledge) where the caller prefetched them.
    """
    if requirement.rate_per_month is None:
        return []
    allocations = [
        (a.pledge.available_from, int(a.provides)) for a in requirement.allocations.select_related("pledge")
    ]
    return month_table(
        rate=requirement.rate_per_month,
        first=requirement.from_month,
        last=requirement.to_month,
        allocations=allocations,
    )
