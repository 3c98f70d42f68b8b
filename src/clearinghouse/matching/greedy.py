"""Priority-ordered first-fit greedy: the baseline the optimiser is compared with.

Requirements are served one at a time by decreasing weight, then earliest ``needed_by``
(then input order).  Each takes units from the compatible offers in order of
``available_from`` (then input order), skipping units of non-positive worth, until it is
full or nothing worthwhile is left.  It is what a diligent clerk would do by hand; it is
not optimal (a critical requirement may take the only unit a lower one could use while an
equivalent unit sits idle elsewhere, or take units early that another needed more).
"""

from __future__ import annotations

from time import perf_counter

import numpy as np

from .engine import scale_problem
from .model import AllocationTable, Problem, Result


def greedy(problem: Problem) -> Result:
    """Greedy allocation; ``status`` is ``"HEURISTIC"`` and ``bound`` is ``None``."""
    t0 = perf_counter()
    a = problem.arrays
    s = scale_problem(a)
    lam = s.penalty
    n_types = len(a.type_names)

    # Per type, the offers with units, sorted by availability then input order.
    live = np.flatnonzero(a.off_qty > 0)
    order = live[np.lexsort((live, a.off_avail[live], a.off_type[live]))]
    starts = np.searchsorted(a.off_type[order], np.arange(n_types + 1))
    by_type = [order[starts[t] : starts[t + 1]].tolist() for t in range(n_types)]
    avail = a.off_avail.tolist()
    cost = s.cost.tolist()
    remaining = a.off_qty.tolist()
    # Cheapest offer of each type: once lateness alone eats the weight minus that, no later
    # offer of the type can be worth anything.
    min_cost = [min((cost[o] for o in lst), default=0) for lst in by_type]
    head = [0] * n_types  # first offer of each type that may still have units

    weight = s.weight.tolist()
    need = a.req_need.tolist()
    qty = a.req_qty.tolist()
    ptr = a.rt_ptr.tolist()
    rtype = a.rt_type.tolist()
    req_order = np.lexsort((np.arange(a.n_requirements), a.req_need, -s.weight)).tolist()

    out_r: list[int] = []
    out_o: list[int] = []
    out_q: list[int] = []
    total = 0
    for r in req_order:
        want = qty[r]
        w = weight[r]
        if want <= 0 or w <= 0:
            continue
        n_r = need[r]
        pos: dict[int, int] = {}
        for t in rtype[ptr[r] : ptr[r + 1]]:
            lst = by_type[t]
            h = head[t]
            while h < len(lst) and remaining[lst[h]] == 0:
                h += 1
            head[t] = h
            pos[t] = h
        while want > 0:
            best_t = -1
            best_o = -1
            for t, i in pos.items():
                lst = by_type[t]
                # Advance this type's local cursor to its next worthwhile offer.
                while i < len(lst):
                    o = lst[i]
                    late = lam * max(0, avail[o] - n_r)
                    if late >= w - min_cost[t]:
                        i = len(lst)  # everything further is even later
                        break
                    if remaining[o] > 0 and w - late - cost[o] > 0:
                        break
                    i += 1
                pos[t] = i
                if i < len(lst):
                    o = lst[i]
                    if best_o < 0 or (avail[o], o) < (avail[best_o], best_o):
                        best_t, best_o = t, o
            if best_o < 0:
                break
            take = min(want, remaining[best_o])
            remaining[best_o] -= take
            want -= take
            out_r.append(r)
            out_o.append(best_o)
            out_q.append(take)
            total += take * (w - lam * max(0, avail[best_o] - n_r) - cost[best_o])
            if remaining[best_o] == 0:
                pos[best_t] += 1

    req = np.array(out_r, dtype=np.int64)
    off = np.array(out_o, dtype=np.int64)
    q = np.array(out_q, dtype=np.int64)
    srt = np.lexsort((off, req))
    req, off, q = req[srt], off[srt], q[srt]
    served = np.zeros(a.n_requirements, dtype=np.int64)
    np.add.at(served, req, q)
    unmet = dict(zip(a.req_ids, (a.req_qty - served).tolist(), strict=True))
    objective = total if s.scale == 1 else total / s.scale
    return Result(
        status="HEURISTIC",
        objective=objective,
        bound=None,
        allocations=AllocationTable(a.req_ids, a.off_ids, req, off, q),
        unmet=unmet,
        timings={"total": perf_counter() - t0},
    )
