"""Aggregating contributions into report cells, with small-cell suppression.

A cell (one figure of a report: a month's military aid, a group's total, a donor's value) adds up
the contributions behind it that the viewer may see; contributions the viewer may not see never
enter any figure, nor any decision about one. Whether cells are protected is a property of the
viewer, never of the data: on the public page, and for every viewer who does not see every
marking, a cell with fewer than `MIN_CONTRIBUTORS` distinct contributing donors is suppressed:
its value is withheld (None) and it is marked `suppressed`, so that no published figure singles
out one or two donors' contributions. (Were the decision to depend on whether some record behind
a cell is hidden, narrowing a report's dates until a cell turned "withheld" would date a hidden
record.) A cell with no visible contribution shows zero: there is nothing in it to reveal.
`complementary.py` then withholds further cells so that none of these can be worked out from
the figures published beside it.

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
    """One record's part of a figure: who gave it, how much (EUR billion), whether the viewer sees it.

    `atom` names the piece of data the value is (e.g. one pledge's allocated value), so that the
    figures of linked tables can be expressed over the same pieces (see complementary.py).
    """

    record: Hashable
    donor: str
    column: str
    value: Decimal
    visible: bool = True
    year: int | None = None
    month: int | None = None
    category: str = ""
    atom: Hashable | None = None


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

    `always_protect`: the viewer's figures are protected (the public page, or a viewer who does not
    see every marking). Invisible contributions are ignored altogether: they neither add to the
    figure nor decide whether it is withheld.
    """
    visible = [c for c in contributions if c.visible]
    donors = {c.donor for c in visible}
    if always_protect and 0 < len(donors) < MIN_CONTRIBUTORS:
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
        if not c.visible:
            continue
        k = key(c)
        if k is not None:
            groups[k].append(c)
    return {k: aggregate_cell(v, always_protect=always_protect) for k, v in groups.items()}


def withhold(cell: Cell) -> Cell:
    """The cell withheld (a complementary suppression): its value is not published."""
    return cell if cell.suppressed else Cell(value=None, suppressed=True, contributors=cell.contributors)


def ratio(numerator: Cell, denominator: Cell, *, scale: int = 1, places: int = 12) -> Cell:
    """A share derived from two cells: withheld when either is; None when the denominator is zero."""
    if numerator.suppressed or denominator.suppressed:
        return Cell(value=None, suppressed=True)
    if numerator.value is None or not denominator.value:
        return Cell(value=None)
    return Cell(value=(scale * numerator.value / denominator.value).quantize(Decimal(1).scaleb(-places)))
