"""Complementary suppression: withhold further cells until no withheld cell can be worked out.

A cell withheld because fewer than three donors are behind it (a *primary* suppression) can often
be recovered from what is published beside it: a row total minus the other cells of the row, a
year minus its months, the EU27 minus ... This module finds *complementary* suppressions, as the
statistical offices' tools do (tau-argus, sdcTable), for any set of linked tables.

The model. Every figure of every table published together is a sum of *atoms*: the finest pieces
of the data (here: one pledge's allocated value, its not-yet-allocated value, its delivered value,
its quantity). A cell is a set of atoms; two cells are linked whenever their sets overlap, which
covers row, column and grand totals, totals shared between tables (a year and its months, a group
and its donors, a capability area and the military column) and overlapping groups alike. An
attacker knows every published cell's value, knows that every atom is non-negative and which
atoms exist (which donors gave what kind of aid in which month), and solves two linear programs
per withheld cell: the smallest and the largest value its atoms can sum to. That interval is the
attacker's best knowledge of the cell.

The protection margin (see `Protection`). A primary cell of value v is protected when the
attacker's interval reaches at least m = max(percent × v, floor) above v and at least min(m, v)
below it (down to zero when m exceeds v), the usual upper and lower protection levels of a
statistical office. A complementary cell is not sensitive in itself, but it must not be worked
out either: its interval must be at least `floor` wide. A complementary cell that the published
cells determine exactly protects nothing and is published again.

The method: audit and extend. Withhold the primary cells; then, for each withheld cell in turn,
solve the attacker's two linear programs (OR-Tools' GLOP); where the interval is too narrow, the
dual solution names the published cells that pin the bound, and the cheapest of them that is large
enough to open the gap (cost: its value, so margins and large totals are kept when possible) is
withheld as well. Repeat until every withheld cell is protected. The result is deterministic.

Pure Python: no Django here.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from ortools.linear_solver import pywraplp


@dataclass(frozen=True)
class Protection:
    """How far the attacker's interval must reach beyond a withheld value: ±max(percent × v, floor)."""

    percent: Decimal
    floor: Decimal

    def margin(self, value: float) -> float:
        return max(float(self.percent) * value, float(self.floor))


@dataclass(frozen=True)
class CellSpec:
    """One published figure: the atoms it sums, whether it is a primary suppression, its unit family."""

    atoms: frozenset[Hashable]
    primary: bool = False
    family: str = "money"


@dataclass(frozen=True)
class Interval:
    """The attacker's tightest knowledge of a withheld cell."""

    value: float
    lo: float
    hi: float


@dataclass
class Result:
    """The cells to withhold: the primary ones and the complementary ones added to protect them."""

    withheld: frozenset[Hashable]
    complementary: frozenset[Hashable]
    intervals: dict[Hashable, Interval] = field(default_factory=dict)


TOLERANCE = 1e-9


class Unsolved(RuntimeError):
    """The attacker's linear program could not be solved (numerically); `protect` then withholds more."""


class _Model:
    """The attacker's linear programs over one connected block of atoms, solved with GLOP."""

    def __init__(self, atoms: Mapping[Hashable, float], classes: list[frozenset[Hashable]]) -> None:
        self.solver = pywraplp.Solver.CreateSolver("GLOP")
        if self.solver is None:  # pragma: no cover - GLOP ships with OR-Tools
            raise RuntimeError("OR-Tools' GLOP solver is not available")
        # A generous upper bound keeps every program bounded; reaching it means "no upper limit".
        self.big = 1000.0 * (sum(atoms.values()) + 1.0)
        self.vars = {a: self.solver.NumVar(0.0, self.big, f"a{i}") for i, a in enumerate(atoms)}
        self.rows: dict[frozenset[Hashable], pywraplp.Constraint] = {}
        self.values: dict[frozenset[Hashable], float] = {}
        for cls in classes:
            value = sum(atoms[a] for a in cls)
            row = self.solver.Constraint(value, value)
            for a in cls:
                row.SetCoefficient(self.vars[a], 1.0)
            self.rows[cls] = row
            self.values[cls] = value

    def withhold(self, cls: frozenset[Hashable]) -> None:
        self.rows[cls].SetBounds(-math.inf, math.inf)

    def publish(self, cls: frozenset[Hashable]) -> None:
        self.rows[cls].SetBounds(self.values[cls], self.values[cls])

    def bound(self, cls: frozenset[Hashable], *, maximise: bool) -> tuple[float, list[frozenset[Hashable]]]:
        """The attacker's max (or min) of the cell, and the published cells its dual certificate uses."""
        objective = self.solver.Objective()
        objective.Clear()
        for a in cls:
            objective.SetCoefficient(self.vars[a], 1.0)
        if maximise:
            objective.SetMaximization()
        else:
            objective.SetMinimization()
        status = self.solver.Solve()
        if status != pywraplp.Solver.OPTIMAL:  # pragma: no cover - the true values are always feasible
            raise Unsolved(f"the attacker's linear program did not solve (status {status})")
        used = [
            other
            for other, row in self.rows.items()
            if other != cls and row.lb() > -math.inf and abs(row.dual_value()) > 1e-9
        ]
        return objective.Value(), used


def _components(classes: Iterable[frozenset[Hashable]]) -> list[set[frozenset[Hashable]]]:
    """Classes grouped into blocks that share no atom (each block is its own linear program)."""
    parent: dict[Hashable, Hashable] = {}

    def find(x: Hashable) -> Hashable:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    classes = list(classes)
    for cls in classes:
        first, *rest = list(cls)
        for a in rest:
            parent[find(a)] = find(first)
    blocks: dict[Hashable, set[frozenset[Hashable]]] = defaultdict(set)
    for cls in classes:
        blocks[find(next(iter(cls)))].add(cls)
    return list(blocks.values())


def protect(
    cells: Mapping[Hashable, CellSpec],
    atoms: Mapping[Hashable, Decimal],
    protection: Mapping[str, Protection],
) -> Result:
    """The cells to withhold so that no withheld figure can be worked out from the published ones.

    `cells`: every figure published together (all tables sharing atoms), `atoms`: their values
    (non-negative). Cells with the same atoms are one figure: withheld together or not at all.
    Cells with no atom (zero, nothing behind them) are published and never primary.
    """
    values = {a: float(v) for a, v in atoms.items()}
    by_class: dict[frozenset[Hashable], list[Hashable]] = defaultdict(list)
    for key, spec in cells.items():
        if spec.atoms:
            by_class[spec.atoms].append(key)
    family = {cls: cells[keys[0]].family for cls, keys in by_class.items()}
    primary = {cls for cls, keys in by_class.items() if any(cells[k].primary for k in keys)}
    withheld: set[frozenset[Hashable]] = set(primary)
    complementary: list[frozenset[Hashable]] = []
    intervals: dict[frozenset[Hashable], Interval] = {}
    order = sorted(by_class, key=lambda cls: sorted(map(repr, by_class[cls])))
    rank = {cls: i for i, cls in enumerate(order)}
    for block in _components(by_class):
        if not block & withheld:
            continue
        block_atoms = {a: values[a] for cls in block for a in cls}
        model = _Model(block_atoms, sorted(block, key=rank.__getitem__))
        for cls in block & withheld:
            model.withhold(cls)
        try:
            _extend(model, block, withheld, primary, complementary, family, protection, rank, intervals)
        except Unsolved:
            # Should the solver ever fail, err on the safe side: withhold the whole block.
            for cls in sorted(block - withheld, key=rank.__getitem__):
                withheld.add(cls)
                complementary.append(cls)
    keys_of = {cls: frozenset(keys) for cls, keys in by_class.items()}
    return Result(
        withheld=frozenset(k for cls in withheld for k in keys_of[cls]),
        complementary=frozenset(k for cls in complementary if cls in withheld for k in keys_of[cls]),
        intervals={k: iv for cls, iv in intervals.items() if cls in withheld for k in keys_of[cls]},
    )


def _extend(
    model: _Model,
    block: set[frozenset[Hashable]],
    withheld: set[frozenset[Hashable]],
    primary: set[frozenset[Hashable]],
    complementary: list[frozenset[Hashable]],
    family: Mapping[frozenset[Hashable], str],
    protection: Mapping[str, Protection],
    rank: Mapping[frozenset[Hashable], int],
    intervals: dict[frozenset[Hashable], Interval],
) -> None:
    """Audit every withheld cell of the block, withholding more until none leaks.

    Withholding a cell only widens every interval, and publishing a cell the others determine
    changes nothing, so a cell found protected stays protected: one pass over a work list (the
    primary cells, then each complementary cell as it is added) is enough.
    """
    queue = sorted(block & withheld, key=rank.__getitem__)
    while queue:
        cls = queue.pop(0)
        value = model.values[cls]
        rule = protection[family[cls]]
        tol = TOLERANCE * max(1.0, value)
        while True:
            hi, hi_used = model.bound(cls, maximise=True)
            lo, lo_used = model.bound(cls, maximise=False)
            intervals[cls] = Interval(value=value, lo=lo, hi=hi)
            if cls in primary:
                m = rule.margin(value)
                up_short = value + m - hi
                down_short = lo - (value - min(m, value))
            elif hi - lo <= tol:
                # Determined by what is published: withholding it protects nothing.
                model.publish(cls)
                withheld.discard(cls)
                break
            else:
                gap = float(rule.floor) - (hi - lo)
                up_short = down_short = gap / 2
            if up_short <= tol and down_short <= tol:
                break
            need = max(up_short, down_short)
            used = hi_used if up_short >= down_short else lo_used
            candidates = [c for c in used if c not in withheld]
            if not candidates:  # pragma: no cover - a finite bound is always pinned by published cells
                raise Unsolved("no published cell left to withhold")
            pick = min(candidates, key=lambda c: _cost(model.values[c], need, rank[c]))
            withheld.add(pick)
            complementary.append(pick)
            model.withhold(pick)
            queue.append(pick)


def _cost(value: float, need: float, rank: int) -> tuple[bool, float, int]:
    """Prefer the smallest cell that can open the gap by itself, else the largest one."""
    enough = value >= need
    return (not enough, value if enough else -value, rank)


def audit(
    cells: Mapping[Hashable, CellSpec], atoms: Mapping[Hashable, Decimal], withheld: Iterable[Hashable]
) -> dict[Hashable, Interval]:
    """The attacker's interval of every withheld cell, given that every other cell is published.

    A withheld cell with the same atoms as a published one is pinned to its value.
    """
    hidden = set(withheld)
    values = {a: float(v) for a, v in atoms.items()}
    by_class: dict[frozenset[Hashable], list[Hashable]] = defaultdict(list)
    for key, spec in cells.items():
        if spec.atoms:
            by_class[spec.atoms].append(key)
    order = sorted(by_class, key=lambda cls: sorted(map(repr, by_class[cls])))
    out: dict[Hashable, Interval] = {}
    for block in _components(by_class):
        classes = [cls for cls in order if cls in block]
        secret = {cls for cls in classes if all(k in hidden for k in by_class[cls])}
        if not any(k in hidden for cls in classes for k in by_class[cls]):
            continue
        model = _Model({a: values[a] for cls in classes for a in cls}, classes)
        for cls in secret:
            model.withhold(cls)
        for cls in classes:
            keys = [k for k in by_class[cls] if k in hidden]
            if not keys:
                continue
            value = model.values[cls]
            if cls in secret:
                hi, _ = model.bound(cls, maximise=True)
                lo, _ = model.bound(cls, maximise=False)
            else:
                lo = hi = value
            for k in keys:
                out[k] = Interval(value=value, lo=lo, hi=hi)
    return out
