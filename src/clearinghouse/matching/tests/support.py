"""Shared helpers: an independent LP reference (HiGHS) and result checks."""

from __future__ import annotations

import highspy
import numpy as np

from clearinghouse.matching.model import Offer, Problem, Requirement, Result


def worth(problem: Problem, r: Requirement, o: Offer) -> float:
    late = max(0, o.available_from - r.needed_by)
    return r.weight - problem.lateness_penalty * late - o.unit_cost


def lp_optimum(problem: Problem) -> float:
    """Optimum of the naive pair formulation solved as an LP with HiGHS.

    One variable per compatible (offer, requirement) pair; the constraint matrix is that of
    a bipartite transportation problem (totally unimodular), so the LP optimum is the
    integer optimum.
    """
    reqs = list(problem.requirements)
    offs = list(problem.offers)
    pairs = [(i, j) for i, r in enumerate(reqs) for j, o in enumerate(offs) if o.item_type in r.item_types]
    if not pairs:
        return 0.0
    h = highspy.Highs()  # type: ignore[no-untyped-call]  # highspy has no annotations
    h.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    n = len(pairs)
    h.addVars(n, np.zeros(n), np.full(n, inf))
    cost = np.array([worth(problem, reqs[i], offs[j]) for i, j in pairs], dtype=np.float64)
    h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
    for i, r in enumerate(reqs):
        idx = np.array([k for k, (a, _) in enumerate(pairs) if a == i], dtype=np.int32)
        if idx.size:
            h.addRow(-inf, float(r.quantity), idx.size, idx, np.ones(idx.size))
    for j, o in enumerate(offs):
        idx = np.array([k for k, (_, b) in enumerate(pairs) if b == j], dtype=np.int32)
        if idx.size:
            h.addRow(-inf, float(o.quantity), idx.size, idx, np.ones(idx.size))
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return float(h.getInfo().objective_function_value)


def check_feasible(problem: Problem, result: Result, *, positive: bool = True) -> float:
    """Assert the allocations respect every capacity; return their total worth."""
    reqs = {r.id: r for r in problem.requirements}
    offs = {o.id: o for o in problem.offers}
    served = dict.fromkeys(reqs, 0)
    used = dict.fromkeys(offs, 0)
    total = 0.0
    for a in result.allocations:
        r, o = reqs[a.requirement], offs[a.offer]
        assert o.item_type in r.item_types
        assert a.quantity > 0
        w = worth(problem, r, o)
        if positive:
            assert w > 0, (a, w)
        served[r.id] += a.quantity
        used[o.id] += a.quantity
        total += w * a.quantity
    for rid, r in reqs.items():
        assert served[rid] <= r.quantity
        assert result.unmet[rid] == r.quantity - served[rid]
    assert list(result.unmet) == list(reqs)
    for oid, o in offs.items():
        assert used[oid] <= o.quantity
    return total
