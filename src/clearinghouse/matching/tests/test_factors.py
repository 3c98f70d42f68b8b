"""Equivalence factors: optimality against an independent MILP, factor-1 equality, the contract."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import highspy
import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearinghouse.matching import cli
from clearinghouse.matching.engine import scale_problem, solve
from clearinghouse.matching.explain import explain
from clearinghouse.matching.factors import solve_factors
from clearinghouse.matching.generate import generate
from clearinghouse.matching.io import load_problem, problem_to_dict, result_to_dict
from clearinghouse.matching.model import Offer, Problem, ProblemError, Requirement, Result

TYPES = ["A", "B", "C"]
FACTORS = [0.25, 0.5, 1, 1.5, 2, 3, 0.3]


def pair_worth(problem: Problem, r: Requirement, o: Offer) -> tuple[float, float] | None:
    """(factor, worth of one unit) of offer ``o`` for ``r``, ``None`` when ``r`` refuses its type."""
    factors = dict(zip(r.item_types, r.factors or (1.0,) * len(r.item_types), strict=True))
    if o.item_type not in factors:
        return None
    f = factors[o.item_type]
    late = max(0, o.available_from - r.needed_by)
    return f, f * (r.weight - problem.lateness_penalty * late) - o.unit_cost


def milp_optimum(problem: Problem) -> float:
    """The exact optimum of the pair formulation, as a MILP solved by HiGHS (written here on its
    own: one integer variable per (requirement, offer) pair, no network, no rounding)."""
    reqs, offs = list(problem.requirements), list(problem.offers)
    pairs: list[tuple[int, int, float]] = []
    worth: list[float] = []
    for i, r in enumerate(reqs):
        for j, o in enumerate(offs):
            fw = pair_worth(problem, r, o)
            if fw is not None and fw[1] > 0:
                pairs.append((i, j, fw[0]))
                worth.append(fw[1])
    if not pairs:
        return 0.0
    h = highspy.Highs()  # type: ignore[no-untyped-call]  # highspy has no annotations
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    n = len(pairs)
    inf = highspy.kHighsInf
    h.addVars(n, np.zeros(n), np.full(n, inf))
    cols = np.arange(n, dtype=np.int32)
    h.changeColsCost(n, cols, np.array(worth))
    h.changeColsIntegrality(n, cols, np.array([highspy.HighsVarType.kInteger] * n))
    for i, r in enumerate(reqs):
        idx = [k for k, p in enumerate(pairs) if p[0] == i]
        if idx:
            coef = np.array([pairs[k][2] for k in idx])
            h.addRow(-inf, float(r.quantity), len(idx), np.array(idx, dtype=np.int32), coef)
    for j, o in enumerate(offs):
        idx = [k for k, p in enumerate(pairs) if p[1] == j]
        if idx:
            h.addRow(-inf, float(o.quantity), len(idx), np.array(idx, dtype=np.int32), np.ones(len(idx)))
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return float(h.getInfo().objective_function_value)


def check(problem: Problem, result: Result) -> float:
    """Every constraint of the contract holds; returns the allocations' recomputed worth."""
    reqs = {r.id: r for r in problem.requirements}
    offs = {o.id: o for o in problem.offers}
    provided = dict.fromkeys(reqs, 0.0)
    used = dict.fromkeys(offs, 0)
    total = 0.0
    for a in result.allocations:
        r, o = reqs[a.requirement], offs[a.offer]
        fw = pair_worth(problem, r, o)
        assert fw is not None
        assert a.quantity > 0 and isinstance(a.quantity, int)
        assert math.isclose(a.provided, a.quantity * fw[0])
        assert fw[1] > 0
        provided[r.id] += a.provided
        used[o.id] += a.quantity
        total += fw[1] * a.quantity
    for rid, r in reqs.items():
        assert provided[rid] <= r.quantity + 1e-9
        assert math.isclose(result.unmet[rid], r.quantity - provided[rid], abs_tol=1e-9)
    for oid, o in offs.items():
        assert used[oid] <= o.quantity
    return total


@st.composite
def factor_problems(draw: st.DrawFn) -> Problem:
    periods = draw(st.integers(1, 4))
    penalty = draw(st.sampled_from([0, 2, 10]))
    reqs = []
    for i in range(draw(st.integers(1, 5))):
        accepted = draw(st.lists(st.sampled_from(TYPES), min_size=1, max_size=3, unique=True))
        factors = tuple(float(draw(st.sampled_from(FACTORS))) for _ in accepted)
        reqs.append(
            Requirement(
                id=f"R{i}",
                item_types=tuple(accepted),
                quantity=draw(st.integers(0, 12)),
                weight=draw(st.sampled_from([0, 10, 50, 100, 12.5])),
                needed_by=draw(st.integers(0, periods - 1)),
                factors=factors,
            )
        )
    offers = [
        Offer(
            id=f"O{j}",
            donor="X",
            item_type=draw(st.sampled_from(TYPES)),
            quantity=draw(st.integers(0, 9)),
            available_from=draw(st.integers(0, periods - 1)),
            unit_cost=draw(st.sampled_from([0, 1, 3.5])),
        )
        for j in range(draw(st.integers(1, 6)))
    ]
    return Problem(periods, penalty, reqs, offers)


@settings(max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(factor_problems())
def test_optimal_with_factors_against_independent_milp(problem: Problem) -> None:
    result = solve(problem)
    optimum = milp_optimum(problem)
    worth = check(problem, result)
    assert math.isclose(worth, result.objective, rel_tol=1e-9, abs_tol=1e-6)
    assert result.bound is not None and result.gap is not None
    assert result.gap >= 0
    assert result.bound >= optimum - 1e-6 * max(1.0, abs(optimum))
    assert result.objective <= optimum + 1e-6
    assert result.gap <= 1e-3 * result.bound + 1e-6
    assert result.objective >= optimum - 1e-3 * optimum - 1e-6


def test_factor_one_everywhere_is_todays_optimum_and_path() -> None:
    problem = generate(300, 1200, 12, seed=4)
    a = problem.arrays
    as_objects = problem_to_dict(problem)
    for r in as_objects["requirements"]:
        r["item_types"] = dict.fromkeys(r["item_types"], 1)
    ones = load_problem(as_objects)
    assert ones.arrays.rt_factor is None  # all-1 objects are the list form
    today, again = solve(problem), solve(ones)
    assert again.method == today.method == "min-cost flow"
    assert again.status == "OPTIMAL" and again.gap == 0
    assert again.objective == today.objective
    # The factor solver itself, run on the same data with factors of 1, finds the same optimum.
    forced = dataclasses.replace(a, rt_factor=np.ones(a.rt_type.size))
    s = scale_problem(forced)
    fr = solve_factors(forced, s.weight, s.cost, s.penalty, s.scale)
    assert fr.worth / fr.divisor == today.objective


def test_factors_change_the_answer_as_the_contract_says() -> None:
    doc: dict[str, Any] = {
        "periods": 3,
        "lateness_penalty": 10,
        "requirements": [
            {"id": "R1", "item_types": {"PAT": 1, "NAS": 0.5}, "quantity": 5, "weight": 100, "needed_by": 0},
            {"id": "R2", "item_types": {"NAS": 1.5}, "quantity": 4, "weight": 50, "needed_by": 1},
            {"id": "R3", "item_types": ["PAT"], "quantity": 2, "weight": 30, "needed_by": 2},
        ],
        "offers": [
            {
                "id": "O1",
                "donor": "A",
                "item_type": "PAT",
                "quantity": 3,
                "available_from": 1,
                "unit_cost": 1,
            },
            {
                "id": "O2",
                "donor": "B",
                "item_type": "NAS",
                "quantity": 7,
                "available_from": 0,
                "unit_cost": 2,
            },
        ],
    }
    problem = load_problem(doc)
    out = result_to_dict(solve(problem))
    # R1: 3 PAT one period late, 1 × (100 − 10) − 1 = 89 each; 4 NAS, 0.5 × 100 − 2 = 48 each.
    # R2: ⌊4 / 1.5⌋ = 2 NAS, 1.5 × 50 − 2 = 73 each; the 7th NAS fits nowhere whole.
    assert out["objective"] == 3 * 89 + 4 * 48 + 2 * 73
    assert out["bound"] == out["objective"] and out["gap"] == 0 and out["status"] == "OPTIMAL"
    assert out["allocations"] == [
        {"requirement": "R1", "offer": "O1", "quantity": 3, "provides": 3},
        {"requirement": "R1", "offer": "O2", "quantity": 4, "provides": 2},
        {"requirement": "R2", "offer": "O2", "quantity": 2, "provides": 3},
    ]
    assert out["unmet"] == [
        {"requirement": "R1", "quantity": 0},
        {"requirement": "R2", "quantity": 1},
        {"requirement": "R3", "quantity": 2},
    ]
    # Round trip of the object form, and explanations speak in provided units.
    assert problem_to_dict(problem)["requirements"][0]["item_types"] == {"PAT": 1, "NAS": 0.5}
    explained = explain(problem, solve(problem))
    assert [a["provides"] for a in explained["allocations"]] == [3, 2, 3]
    short = {s["requirement"]: s for s in explained["shortfalls"]}
    assert short["R2"]["unmet"] == 1 and short["R2"]["reason"] == "whole_units"
    assert short["R3"]["unmet"] == 2


@pytest.mark.parametrize(
    ("item_types", "message"),
    [
        ({"A": 0}, 'item_types factor of "A" must be a number > 0 and at most 10, got 0'),
        ({"A": -1}, 'item_types factor of "A" must be a number > 0 and at most 10, got -1'),
        ({"A": 10.5}, 'item_types factor of "A" must be a number > 0 and at most 10, got 10.5'),
        ({"A": "1"}, 'item_types factor of "A" must be a number > 0 and at most 10, got "1"'),
        ({"A": True}, 'item_types factor of "A" must be a number > 0 and at most 10, got true'),
        ({}, "item_types must be a non-empty list of strings or an object of factors, got {}"),
    ],
)
def test_bad_factors_exit_2_naming_the_element(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], item_types: Any, message: str
) -> None:
    doc = {
        "periods": 1,
        "lateness_penalty": 0,
        "requirements": [
            {"id": "R1", "item_types": ["A"], "quantity": 1, "weight": 1, "needed_by": 0},
            {"id": "R2", "item_types": item_types, "quantity": 1, "weight": 1, "needed_by": 0},
        ],
        "offers": [],
    }
    src = tmp_path / "p.json"
    src.write_bytes(orjson.dumps(doc))
    assert cli.run(["--input", str(src), "--output", str(tmp_path / "r.json")]) == 2
    assert capsys.readouterr().err == f'error: requirements[1] (id "R2"): {message}\n'
    with pytest.raises(ProblemError):
        load_problem(doc)


def test_cli_with_factors_writes_gap_and_provides(tmp_path: Path) -> None:
    problem = generate(200, 800, 6, seed=2, factors=True)
    assert problem.arrays.has_factors
    src = tmp_path / "p.json"
    src.write_bytes(orjson.dumps(problem_to_dict(problem)))
    assert cli.run(["--input", str(src), "--output", str(tmp_path / "r.json")]) == 0
    out = orjson.loads((tmp_path / "r.json").read_bytes())
    assert out["gap"] == pytest.approx(out["bound"] - out["objective"])
    assert 0 <= out["gap"] <= 1e-3 * out["bound"]
    assert any(a["provides"] != a["quantity"] for a in out["allocations"])
    worth = check(problem, solve(problem))
    assert worth == pytest.approx(out["objective"])
