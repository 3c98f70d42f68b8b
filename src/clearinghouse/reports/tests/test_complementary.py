"""Complementary suppression on its own: an independent attacker (HiGHS) finds no withheld figure.

Tables are generated (Hypothesis): cubes of donors' pieces with every margin (row, column, layer
and grand totals), plus groups of donors that overlap, so that cells are linked across tables the
way the records reports are (a year and its months, a group and its donors).
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearinghouse.reports import linked
from clearinghouse.reports.complementary import CellSpec, Protection, audit, protect
from clearinghouse.reports.tests import attacker
from clearinghouse.reports.tests.attacker import Figure

MONEY = {"money": Protection(percent=Decimal("0.20"), floor=Decimal("0.001"))}


def test_the_stated_margin_is_the_one_the_code_applies() -> None:
    for family, rule in linked.PROTECTION.items():
        assert float(rule.percent) == attacker.PERCENT
        assert float(rule.floor) == attacker.FLOOR[family]


def _table(
    values: dict[tuple[int, int], str], donors: dict[tuple[int, int], str]
) -> tuple[dict[Hashable, CellSpec], dict[Hashable, Decimal]]:
    """A rows × columns table with its row, column and grand totals; primary: 1–2 donors behind."""
    rows = sorted({r for r, _ in values})
    cols = sorted({c for _, c in values})
    groups: dict[Hashable, set[tuple[int, int]]] = {}
    for r, c in values:
        groups[("cell", r, c)] = {(r, c)}
    for r in rows:
        groups[("row", r)] = {a for a in values if a[0] == r}
    for c in cols:
        groups[("col", c)] = {a for a in values if a[1] == c}
    groups[("all",)] = set(values)
    cells = {
        k: CellSpec(atoms=frozenset(v), primary=0 < len({donors[a] for a in v}) < 3)
        for k, v in groups.items()
    }
    return cells, {a: Decimal(v) for a, v in values.items()}


def _figures(
    cells: dict[Hashable, CellSpec], atoms: dict[Hashable, Decimal], withheld: frozenset[Hashable]
) -> list[Figure]:
    return [
        Figure(
            name=k,
            pieces=spec.atoms,
            published=None if k in withheld else float(sum((atoms[a] for a in spec.atoms), Decimal(0))),
            family=spec.family,
        )
        for k, spec in cells.items()
    ]


def test_a_cell_withheld_alone_is_a_subtraction_and_complementary_cells_close_the_gap() -> None:
    # 2024's financial aid of two donors in a table of three years: row and column totals published.
    values = {(r, c): str(v) for (r, c), v in zip(itertools.product(range(3), range(3)), range(5, 14))}
    donors = {a: f"D{i}" for i, a in enumerate(values)}
    donors[(1, 1)] = "D0"
    cells, atoms = _table(values, donors)
    # Single-atom cells are one donor each: every inner cell is primary. Make only one so.
    cells = {k: CellSpec(spec.atoms, primary=k == ("cell", 1, 1)) for k, spec in cells.items()}
    truth: dict[Hashable, float] = {a: float(v) for a, v in atoms.items()}
    owners: dict[Hashable, str] = {a: ("A" if a == (1, 1) else f"D{i}") for i, a in enumerate(values)}
    # Withholding only the primary cell leaks it: the row total minus the other cells.
    only_primary = _figures(cells, atoms, frozenset({("cell", 1, 1)}))
    assert attacker.leaks(only_primary, truth, owners)
    result = protect(cells, atoms, MONEY)
    assert ("cell", 1, 1) in result.withheld and result.complementary
    assert attacker.leaks(_figures(cells, atoms, result.withheld), truth, owners) == []
    # The classic pattern: at least one more cell in its row, one in its column and one opposite.
    hidden = {k[1:] for k in result.withheld if isinstance(k, tuple) and k[0] == "cell"}
    assert any(r == 1 and c != 1 for r, c in hidden) and any(c == 1 and r != 1 for r, c in hidden)


def test_the_code_s_own_audit_agrees_with_the_attacker() -> None:
    values = {(0, 0): "1", (0, 1): "7", (1, 0): "4", (1, 1): "9", (2, 0): "3", (2, 1): "2"}
    donors = {(0, 0): "A", (0, 1): "B", (1, 0): "C", (1, 1): "D", (2, 0): "E", (2, 1): "F"}
    cells, atoms = _table(values, donors)
    result = protect(cells, atoms, MONEY)
    ours = audit(cells, atoms, result.withheld)
    theirs = attacker.Attacker(atoms, _figures(cells, atoms, result.withheld))
    for key, interval in ours.items():
        lo, hi = theirs.interval(cells[key].atoms)
        assert abs(lo - interval.lo) < 1e-6 and abs(hi - interval.hi) < 1e-6, key


def test_nothing_primary_withholds_nothing() -> None:
    values = {(0, 0): "1", (0, 1): "2", (1, 0): "3", (1, 1): "4"}
    cells, atoms = _table(values, dict.fromkeys(values, "A"))
    cells = {k: CellSpec(spec.atoms) for k, spec in cells.items()}
    assert protect(cells, atoms, MONEY).withheld == frozenset()


# ------------------------------------------------------------------ generated linked tables

DONORS = ("USA", "DEU", "FRA", "POL", "GBR", "NOR")


@st.composite
def cubes(draw: st.DrawFn) -> tuple[dict[tuple[str, int, int], Decimal], dict[str, set[str]]]:
    """Pieces (donor, month, kind) with values, and overlapping groups of donors."""
    months = draw(st.integers(1, 4))
    pieces: dict[tuple[str, int, int], Decimal] = {}
    for donor, month, kind in itertools.product(DONORS, range(months), range(2)):
        if draw(st.booleans()) and draw(st.booleans()):
            cents = draw(st.integers(1, 2_000_000))
            pieces[(donor, month, kind)] = Decimal(cents).scaleb(-5)  # EUR bn, down to 10,000 EUR
    groups = {
        f"g{i}": set(draw(st.lists(st.sampled_from(DONORS), min_size=1, max_size=4, unique=True)))
        for i in range(draw(st.integers(0, 3)))
    }
    return pieces, groups


def _linked_cells(
    pieces: dict[tuple[str, int, int], Decimal], groups: dict[str, set[str]]
) -> dict[Hashable, CellSpec]:
    """Months × kinds with totals (a table by time), donors × kinds, groups × kinds (tables by donor)."""
    sums: dict[Hashable, set[tuple[str, int, int]]] = {}

    def add(key: Hashable, piece: tuple[str, int, int]) -> None:
        sums.setdefault(key, set()).add(piece)

    for piece in pieces:
        donor, month, kind = piece
        for m, k in itertools.product((month, "all"), (kind, "all")):
            add(("time", m, k), piece)
        for k in (kind, "all"):
            add(("donor", donor, k), piece)
            for name, members in groups.items():
                if donor in members:
                    add(("group", name, k), piece)
    return {
        key: CellSpec(atoms=frozenset(atoms), primary=0 < len({a[0] for a in atoms}) < 3)
        for key, atoms in sums.items()
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cubes())
def test_no_withheld_cell_of_generated_linked_tables_can_be_narrowed_down(
    cube: tuple[dict[tuple[str, int, int], Decimal], dict[str, set[str]]],
) -> None:
    cube_pieces, groups = cube
    pieces: dict[Hashable, Decimal] = dict(cube_pieces.items())
    cells = _linked_cells(cube_pieces, groups)
    result = protect(cells, pieces, linked.PROTECTION)
    assert {k for k, spec in cells.items() if spec.primary} <= result.withheld
    truth: dict[Hashable, float] = {p: float(v) for p, v in cube_pieces.items()}
    owners: dict[Hashable, str] = {p: p[0] for p in cube_pieces}
    assert attacker.leaks(_figures(cells, pieces, result.withheld), truth, owners) == []
    assert protect(cells, pieces, linked.PROTECTION).withheld == result.withheld  # deterministic


def test_a_solver_failure_withholds_the_whole_block(monkeypatch: Any) -> None:
    from clearinghouse.reports import complementary

    def fail(self: Any, cls: Any, *, maximise: bool) -> Any:
        raise complementary.Unsolved("numerical trouble")

    monkeypatch.setattr(complementary._Model, "bound", fail)
    values = {(0, 0): "1", (0, 1): "2", (1, 0): "3", (1, 1): "4"}
    donors = {(0, 0): "A", (0, 1): "B", (1, 0): "C", (1, 1): "D"}
    cells, atoms = _table(values, donors)
    assert protect(cells, atoms, MONEY).withheld == frozenset(cells)
