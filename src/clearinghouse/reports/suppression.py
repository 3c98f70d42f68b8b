"""Aggregating contributions into report cells, with small-cell suppression.

A cell (one figure of a report: a month's military aid, a group's total, a donor's value) adds up
the contributions behind it that the viewer may see; contributions the viewer may not see never
enter any figure. Where the viewer cannot see every contribution behind a cell, and always on the
public page, a cell with fewer than `MIN_CONTRIBUTORS` distinct contributing donors is suppressed:
its value is withheld (None) and it is marked `suppressed`, so that no published figure singles
out one or two donors' contributions. A cell with no visible contribution shows zero: there is
nothing in it to reveal.

Pure Python: no Django here, so the rule is tested on its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from decimal import Decimal

MIN_CONTRIBUTORS = 3


@dataclass(frozen=True)
class Contribution:
    """One record's part of a figure: who gave it, how much (EUR billion), whether the viewer sees it."""

    record: Hashable
    donor: str
    column: str
    value: Decimal
    visible: bool = True
    year: int | None = None
    month: int | None = None
    category: str = ""


@dataclass(frozen=True)
class Cell:
    """One figure of a report: the value (None when suppressed) and how many donors are behind it."""

    value: Decimal | None
    suppressed: bool = False
    contributors: int = 0

    @property
    def shown(self) -> Decimal | None:
        return None if self.suppressed else self.value


ZERO_CELL = Cell(value=Decimal(0))


def aggregate_cell(contributions: Iterable[Contribution], *, always_protect: bool) -> Cell:
    """Sum the visible contributions; suppress when protected and 1–2 distinct donors are behind it.

    Protected: `always_protect` (the public page), or some contribution is invisible to the viewer.
    """
    items = list(contributions)
    visible = [c for c in items if c.visible]
    donors = {c.donor for c in visible}
    protect = always_protect or len(visible) < len(items)
    if protect and 0 < len(donors) < MIN_CONTRIBUTORS:
        return Cell(value=None, suppressed=True, contributors=len(donors))
    return Cell(value=sum((c.value for c in visible), Decimal(0)), contributors=len(donors))


def aggregate(
    contributions: Iterable[Contribution],
    key: Callable[[Contribution], Hashable | None],
    *,
    always_protect: bool,
) -> dict[Hashable, Cell]:
    """Group contributions by `key` (None drops one) and aggregate each group into a cell.

    Only keys with at least one contribution the viewer may see are returned: a period or donor
    known only from invisible records does not appear at all.
    """
    groups: dict[Hashable, list[Contribution]] = defaultdict(list)
    for c in contributions:
        k = key(c)
        if k is not None:
            groups[k].append(c)
    return {
        k: aggregate_cell(v, always_protect=always_protect)
        for k, v in groups.items()
        if any(c.visible for c in v)
    }


def ratio(numerator: Cell, denominator: Cell, *, scale: int = 1, places: int = 12) -> Cell:
    """A share derived from two cells: withheld when either is; None when the denominator is zero."""
    if numerator.suppressed or denominator.suppressed:
        return Cell(value=None, suppressed=True)
    if numerator.value is None or not denominator.value:
        return Cell(value=None)
    return Cell(value=(scale * numerator.value / denominator.value).quantize(Decimal(1).scaleb(-places)))
