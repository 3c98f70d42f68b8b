"""An attacker on published tables, independent of the code under test (HiGHS, not OR-Tools).

It knows every published figure and what each figure adds up (which pieces of data: one pledge's
allocated value, ...), that no piece is negative, and which pieces exist. For a withheld figure it
solves two linear programs, the smallest and the largest value the pieces can sum to while every
published figure keeps its value: the tightest interval anyone can deduce.

The protection margin it checks is stated here, on its own (and compared with the code's in the
tests): a figure withheld because fewer than three donors are behind it must stay uncertain by at
least max(20 % of its value, 1 million EUR or 1 item) upward, and downward by as much or down to
zero; any other withheld figure must stay uncertain by at least the floor.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

import highspy
import numpy as np

PERCENT = 0.20
FLOOR = {"money": 0.001, "count": 1.0}  # EUR billion (1 million EUR); items
TOLERANCE = 1e-7


@dataclass(frozen=True)
class Figure:
    """One figure of a published table: its name, the pieces it sums, and its published value."""

    name: Hashable
    pieces: frozenset[Hashable]
    published: float | None  # None: withheld
    family: str = "money"


def margin(value: float, family: str) -> float:
    """How far above its value (and as far below, or down to zero) a primary figure must stay uncertain."""
    return max(PERCENT * value, FLOOR[family])


class Attacker:
    """The linear programs over the pieces, with every published figure as an equality."""

    def __init__(self, pieces: Iterable[Hashable], figures: Iterable[Figure]) -> None:
        self.index = {p: i for i, p in enumerate(sorted(set(pieces), key=repr))}
        self.highs = highspy.Highs()  # type: ignore[no-untyped-call]  # highspy has no annotations
        self.highs.setOptionValue("output_flag", False)
        n = len(self.index)
        inf = highspy.kHighsInf
        self.highs.addVars(n, np.zeros(n), np.full(n, inf))
        for f in figures:
            if f.published is None:
                continue
            cols = np.array(sorted(self.index[p] for p in f.pieces), dtype=np.int32)
            if len(cols) == 0:
                # A published zero with nothing behind it: nothing to learn (and nothing to check).
                assert abs(f.published) <= TOLERANCE, f"{f.name} published {f.published} from nothing"
                continue
            self.highs.addRow(f.published, f.published, len(cols), cols, np.ones(len(cols)))

    def interval(self, pieces: Iterable[Hashable]) -> tuple[float, float]:
        """The smallest and the largest value the sum of `pieces` can take."""
        n = len(self.index)
        cost = np.zeros(n)
        for p in pieces:
            cost[self.index[p]] = 1.0
        self.highs.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
        bounds = []
        for sense in (highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize):
            self.highs.changeObjectiveSense(sense)
            self.highs.run()
            status = self.highs.getModelStatus()
            if status == highspy.HighsModelStatus.kUnbounded:
                bounds.append(float("inf"))
                continue
            assert status == highspy.HighsModelStatus.kOptimal, f"attacker's program: {status}"
            bounds.append(self.highs.getInfo().objective_function_value)
        return bounds[0], bounds[1]


def leaks(
    figures: Iterable[Figure], truth: Mapping[Hashable, float], donors: Mapping[Hashable, str]
) -> list[str]:
    """Every withheld figure the attacker narrows down too far, described; [] when none.

    `truth`: each piece's real value; `donors`: each piece's donor (a figure is primary when 1 or 2
    donors are behind it). Also checks that the published figures are the sums the attacker assumes,
    so that a wrong model cannot pass for a safe one.
    """
    figures = list(figures)
    problems = []
    for f in figures:
        if f.published is not None:
            real = sum(truth[p] for p in f.pieces)
            if abs(real - f.published) > TOLERANCE * max(1.0, abs(real)):
                problems.append(f"{f.name}: published {f.published}, but its pieces add up to {real}")
    if problems:
        return problems
    attacker = Attacker(truth, figures)
    for f in figures:
        if f.published is not None or not f.pieces:
            continue
        value = sum(truth[p] for p in f.pieces)
        behind = {donors[p] for p in f.pieces}
        lo, hi = attacker.interval(f.pieces)
        tol = TOLERANCE * max(1.0, value)
        if len(behind) < 3:  # withheld for its own sake: the full margin
            m = margin(value, f.family)
            safe = hi >= value + m - tol and lo <= value - min(m, value) + tol
        else:  # withheld to protect others: it must not be worked out either
            safe = hi - lo >= FLOOR[f.family] - tol
        if not safe:
            problems.append(
                f"{f.name}: withheld {value:.12g} ({len(behind)} donors) narrowed to [{lo:.12g}, {hi:.12g}]"
            )
    return problems
