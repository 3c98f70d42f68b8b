"""Solver for problems with equivalence factors (some factor differs from 1).

One unit of offer *o* serving requirement *r* provides ``f`` units of *r* (``f`` the factor of
*o*'s item type for *r*) and is worth ``f·(w_r − λ·late) − c_o``; per requirement
``Σ f·x ≤ q_r``, per offer ``Σ x ≤ q_o``, ``x`` whole numbers.  Problems whose factors are all 1
never come here: :func:`engine.solve` keeps its exact min-cost flow for them.

**Network in offer units.**  Integer costs as in the engine (weights, costs, λ scaled by
``10**k``), factors scaled by their own ``10**j`` (``F``), so that every worth is an integer in
units of ``1/(10**k·F)``.  Per item type a *base chain* of period nodes carries units forward in
time for free; per (item type, factor) *class* a chain over the same periods carries them back in
time at ``f·λ`` a period (lateness is multiplied by the factor); a free *drop* arc links each base
node to the same period of each class chain.  Offers enter their base node at cost ``c·F``; a
requirement's entry for type ``t`` leaves the class chain of ``(t, f)`` at its needed-by period
with worth ``f·w`` a unit.  The cheapest path from an offer to a requirement costs exactly its
worth, so for a fixed integer cap on every entry this is a pure min-cost flow (integral, solved
exactly with OR-Tools):

* a requirement accepting one type: cap ``⌊q/f⌋`` on its entry;
* a requirement whose accepted types all have the same factor: a requirement node, cap ``⌊q/f⌋``;
* a *mixed* requirement (different factors): ``Σ f·x ≤ q`` is not a network constraint.

**Mixed requirements: LP, rounding, repair, bound.**  The LP relaxation of the whole network (the
mixed requirements as rows, every entry capped at ``⌊q/f⌋``, a valid cut) is solved with HiGHS;
its optimum is the bound.  Each mixed entry is rounded down, and the requirement's remaining room
``q − Σ f·⌊x⌋`` is given to its most used type as extra cap (``⌊room/f⌋`` units), which keeps
``Σ f·x ≤ q``; the min-cost flow with those caps then re-routes every unit optimally (the repair:
its worth is at least that of the rounded LP solution).  When the gap is above
:data:`TARGET_GAP` of the bound, the same model is solved as a MIP by HiGHS (mixed entries
integer, ``mip_rel_gap = TARGET_GAP``), its entries become the caps of the final min-cost flow,
and the bound is the MIP's dual bound.

**Decomposition.**  Flows are turned into (offer, requirement) allocations by monotone matching,
twice: on each base chain (forward only) offers' units are paired in period order with the drop
arcs' units, on each class chain (backward only) drop arcs' units with the entries' units; the
two pairings are merged drop arc by drop arc.  The allocations' worth is recomputed exactly in
integers from the pairs and checked against the solver's.

**Tolerance.**  The objective is exact (integers, divided once by ``10**k·F``).  The bound is
HiGHS's LP (or MIP dual) optimum, a float: it is an upper bound up to HiGHS's primal/dual
feasibility tolerances (1e-7); we never report it below the objective, so ``gap ≥ 0``.
"""

from __future__ import annotations

from dataclasses import dataclass
from time import perf_counter

import numpy as np
import numpy.typing as npt

from .engine import _components
from .model import FloatArray, IntArray, ProblemArrays, ProblemError

BoolArray = npt.NDArray[np.bool_]

#: Relative gap (of the bound) above which the LP rounding is followed by a MIP.
TARGET_GAP = 1e-3
#: Seconds HiGHS may spend on the MIP before we keep its best solution and dual bound.
MIP_TIME_LIMIT = 120.0
_COST_LIMIT = 2**62
_EMPTY = np.zeros(0, dtype=np.int64)


@dataclass
class FactorResult:
    """Allocations (requirement positions, offer positions, quantities, factors), the objective and
    bound in scaled integer / float units, the scale dividing them, a status and timings."""

    req: IntArray
    off: IntArray
    qty: IntArray
    factor: FloatArray
    worth: int
    bound: float
    divisor: int
    method: str
    timings: dict[str, float]


@dataclass
class _Net:
    n_nodes: int
    tails: IntArray
    heads: IntArray
    caps: IntArray
    costs: IntArray
    supply: int
    offer_arcs: slice  # one arc per group of live offers
    drop_arcs: slice
    entry_arcs: slice  # one arc per live (requirement, type) entry
    bypass: int
    live_off: IntArray
    off_node: IntArray  # base node (id) of each live offer
    off_group: IntArray  # offer arc (group) of each live offer
    off_qty: IntArray  # quantity of each live offer
    drop_base: IntArray  # base node id of every drop arc
    drop_class: IntArray  # class node id of every drop arc
    e_req: IntArray  # requirement of each entry
    e_fs: IntArray  # scaled factor of each entry
    e_node: IntArray  # class node id of each entry
    e_cap: IntArray  # ⌊q/f⌋ of each entry
    e_mixed: BoolArray  # entry of a mixed requirement
    uni_req: IntArray  # requirements with a requirement node
    uni_arc0: int  # first requirement -> sink arc
    q_scaled: IntArray  # quantity × F of every requirement
    arc_root: IntArray  # component (root item type) of every arc


def _decimal_scale(values: FloatArray, max_decimals: int = 6) -> int:
    for k in range(max_decimals + 1):
        scaled = values * 10.0**k
        if np.all(np.abs(scaled - np.rint(scaled)) <= 1e-9 * np.maximum(1.0, np.abs(scaled))):
            return int(10**k)
    return int(10**max_decimals)


def _rank(keys: IntArray) -> tuple[IntArray, IntArray]:
    uniq, inv = np.unique(keys, return_inverse=True)
    return uniq, inv.reshape(-1)


def _classes(
    b_type: IntArray, n_types: int, e_bnode: IntArray, e_type: IntArray, e_fs: IntArray, fscale: int
) -> tuple[IntArray, IntArray, IntArray, IntArray, IntArray]:
    """Classes (type, scaled factor), each with one node per base node of its type: (type and
    factor of each class, class and base node of each class node, class node of each entry)."""
    b_count = np.bincount(b_type, minlength=n_types)
    b_start = np.r_[0, np.cumsum(b_count)[:-1]]
    c_keys, e_class = _rank(e_type * (fscale * 10 + 1) + e_fs)
    c_type, c_fs = c_keys // (fscale * 10 + 1), c_keys % (fscale * 10 + 1)
    c_len = b_count[c_type]
    c_start = np.r_[0, np.cumsum(c_len)[:-1]]
    n_cnode = int(c_len.sum())
    cn_class = np.repeat(np.arange(c_keys.size), c_len)
    cn_base = b_start[c_type[cn_class]] + (np.arange(n_cnode) - c_start[cn_class])
    e_cnode = c_start[e_class] + (e_bnode - b_start[e_type])
    return c_type, c_fs, cn_class, cn_base, e_cnode


def _requirement_kinds(
    e_req: IntArray, e_fs: IntArray
) -> tuple[IntArray, IntArray, BoolArray, BoolArray, BoolArray]:
    """Per entry its requirement group; per group the requirement, whether its factors differ
    (mixed) or it accepts several types at one factor (uniform); and the first entry of each group."""
    e_first = np.r_[True, e_req[1:] != e_req[:-1]]
    grp = np.cumsum(e_first) - 1
    g_req = e_req[e_first]
    g_n = np.bincount(grp)
    g_fmin = np.full(g_req.size, np.iinfo(np.int64).max)
    np.minimum.at(g_fmin, grp, e_fs)
    g_fmax = np.zeros(g_req.size, dtype=np.int64)
    np.maximum.at(g_fmax, grp, e_fs)
    g_mixed = g_fmin != g_fmax
    return grp, g_req, e_first, g_mixed, (g_n > 1) & ~g_mixed


def _check_magnitude(costs: IntArray, supply: int, n_nodes: int) -> None:
    max_cost = int(np.abs(costs).max()) if costs.size else 0
    if max_cost * max(supply, n_nodes + 1) >= _COST_LIMIT:
        raise ProblemError(
            "weights, costs, factors and lateness penalty are too large (or have too many decimals) "
            "for exact integer arithmetic"
        )


def _live(
    a: ProblemArrays, weight: IntArray, cost: IntArray, fscale: int
) -> tuple[IntArray, IntArray, IntArray, IntArray, IntArray] | None:
    """Entries (requirement, type, scaled factor, cap ``⌊q/f⌋``) that can carry worth and the offers
    that can (cheaper than the best worth their type can earn); ``None`` when nothing can."""
    assert a.rt_factor is not None
    fs_all = np.rint(a.rt_factor * fscale).astype(np.int64)
    cap_all = (a.req_qty[a.rt_req] * fscale) // fs_all
    e_idx = np.flatnonzero((weight[a.rt_req] > 0) & (cap_all > 0))
    if e_idx.size == 0:
        return None
    e_req, e_type, e_fs = a.rt_req[e_idx], a.rt_type[e_idx], fs_all[e_idx]
    best = np.zeros(len(a.type_names), dtype=np.int64)
    np.maximum.at(best, e_type, e_fs * weight[e_req])
    live_off = np.flatnonzero((a.off_qty > 0) & (cost * fscale < best[a.off_type]))
    if live_off.size == 0:
        return None
    return e_req, e_type, e_fs, cap_all[e_idx], live_off


def build(a: ProblemArrays, weight: IntArray, cost: IntArray, penalty: int, fscale: int) -> _Net | None:
    """The offer-unit network (``None`` when no unit can have positive worth)."""
    live = _live(a, weight, cost, fscale)
    if live is None:
        return None
    e_req, e_type, e_fs, e_cap, live_off = live
    P = a.periods
    n_types = len(a.type_names)
    o_type = a.off_type[live_off]
    # Base nodes: (type, period) of offers and entries.
    b_keys, b_inv = _rank(
        np.concatenate([o_type * P + a.off_avail[live_off], e_type * P + a.req_need[e_req]])
    )
    n_base = b_keys.size
    b_type, b_period = b_keys // P, b_keys % P
    o_bnode, e_bnode = b_inv[: live_off.size], b_inv[live_off.size :]
    # Offers on the same base node at the same unit cost are interchangeable: one arc per group,
    # split among them in input order afterwards (lexsort is stable).
    order = np.lexsort((cost[live_off], o_bnode))
    live_off, o_bnode = live_off[order], o_bnode[order]
    o_cost = cost[live_off]
    new_group = np.r_[True, (o_bnode[1:] != o_bnode[:-1]) | (o_cost[1:] != o_cost[:-1])]
    g_start = np.flatnonzero(new_group)
    c_type, c_fs, cn_class, cn_base, e_cnode = _classes(b_type, n_types, e_bnode, e_type, e_fs, fscale)
    n_cnode = cn_class.size
    grp, g_req, e_first, g_mixed, g_uniform = _requirement_kinds(e_req, e_fs)
    e_mixed = g_mixed[grp]
    e_uniform = g_uniform[grp]

    base0, cls0 = 2, 2 + n_base
    rn0 = cls0 + n_cnode
    uni_groups = np.flatnonzero(g_uniform)
    rnode_of_group = np.full(g_req.size, -1, dtype=np.int64)
    rnode_of_group[uni_groups] = rn0 + np.arange(uni_groups.size)
    n_nodes = rn0 + uni_groups.size
    supply = int(a.off_qty[live_off].sum())
    big = supply

    same_b = np.flatnonzero(b_type[1:] == b_type[:-1])
    same_c = np.flatnonzero(cn_class[1:] == cn_class[:-1])
    back_cost = c_fs[cn_class[same_c]] * penalty * (b_period[cn_base[same_c + 1]] - b_period[cn_base[same_c]])
    e_head = np.where(e_uniform, rnode_of_group[grp], 1)
    e_cost = np.where(e_uniform, 0, -e_fs * weight[e_req])
    u_req = g_req[uni_groups]
    u_first = np.flatnonzero(e_first)[uni_groups]
    u_cap = e_cap[u_first]
    u_cost = -e_fs[u_first] * weight[u_req]
    parts = [
        (
            np.zeros(g_start.size, np.int64),
            base0 + o_bnode[g_start],
            np.add.reduceat(a.off_qty[live_off], g_start),
            o_cost[g_start] * fscale,
        ),
        (base0 + same_b, base0 + same_b + 1, np.full(same_b.size, big), np.zeros(same_b.size, np.int64)),
        (base0 + cn_base, cls0 + np.arange(n_cnode), np.full(n_cnode, big), np.zeros(n_cnode, np.int64)),
        (cls0 + same_c + 1, cls0 + same_c, np.full(same_c.size, big), back_cost),
        (cls0 + e_cnode, e_head, e_cap, e_cost),
        (rnode_of_group[uni_groups], np.ones(uni_groups.size, np.int64), u_cap, u_cost),
    ]
    sizes = [p[0].size for p in parts]
    starts = np.r_[0, np.cumsum(sizes)]
    tails, heads, caps, costs = (np.concatenate([p[i] for p in parts]).astype(np.int64) for i in range(4))
    # Independent components: item types linked by requirements accepting several of them.
    root = _components(n_types, e_req, e_type)
    node_root = np.concatenate(
        [[-1, -1], root[b_type], root[c_type[cn_class]], root[e_type[u_first]]]
    ).astype(np.int64)
    arc_root = node_root[np.where(tails >= 2, tails, heads)]
    _check_magnitude(costs, supply, n_nodes)
    return _Net(
        n_nodes=n_nodes,
        tails=tails,
        heads=heads,
        caps=caps,
        costs=costs,
        supply=supply,
        offer_arcs=slice(int(starts[0]), int(starts[1])),
        drop_arcs=slice(int(starts[2]), int(starts[3])),
        entry_arcs=slice(int(starts[4]), int(starts[5])),
        bypass=int(starts[6]),
        arc_root=arc_root,
        live_off=live_off,
        off_node=base0 + o_bnode,
        off_group=np.cumsum(new_group) - 1,
        off_qty=a.off_qty[live_off],
        drop_base=base0 + cn_base,
        drop_class=cls0 + np.arange(n_cnode),
        e_req=e_req,
        e_fs=e_fs,
        e_node=cls0 + e_cnode,
        e_cap=e_cap,
        e_mixed=e_mixed,
        uni_req=u_req,
        uni_arc0=int(starts[5]),
        q_scaled=a.req_qty * fscale,
    )


def _components_of(net: _Net) -> list[tuple[int, IntArray]]:
    """(root, global arc indices) of every component, arcs in increasing order."""
    order = np.argsort(net.arc_root, kind="stable")
    roots = net.arc_root[order]
    cut = np.flatnonzero(np.r_[True, roots[1:] != roots[:-1], True])
    return [(int(roots[cut[k]]), order[cut[k] : cut[k + 1]]) for k in range(cut.size - 1)]


def _local_nodes(net: _Net, idx: IntArray) -> tuple[IntArray, IntArray, int]:
    """Tails and heads of arcs ``idx`` renumbered within their component (source 0, sink 1)."""
    t, h = net.tails[idx], net.heads[idx]
    inner, inv = np.unique(np.concatenate([t[t >= 2], h[h >= 2]]), return_inverse=True)
    local = np.concatenate([t, h])
    local[local >= 2] = inv.reshape(-1) + 2
    return local[: t.size], local[t.size :], int(inner.size) + 2


def _min_cost_flow(
    net: _Net, caps: IntArray, workers: int = 1, only: IntArray | None = None
) -> tuple[IntArray, int]:
    """Solve every component (or the one of arcs ``only``) with a free source -> sink bypass
    (flow is optional)."""
    from .engine import Task, _solve_forked, _solve_many, usable_workers

    comps = _components_of(net) if only is None else [(0, only)]
    tasks: list[Task] = []
    for _, idx in comps:
        t, h, _ = _local_nodes(net, idx)
        supply = int(caps[idx][t == 0].sum())
        tasks.append(
            (
                np.r_[t, 0],
                np.r_[h, 1],
                np.r_[caps[idx], supply],
                np.r_[net.costs[idx], 0],
                supply,
            )
        )
    workers = usable_workers(workers, len(tasks))
    results = _solve_many(tasks) if workers == 1 else _solve_forked(tasks, workers)
    flows = np.zeros(net.tails.size, dtype=np.int64)
    total = 0
    for (_, idx), (f, c, status) in zip(comps, results, strict=True):
        if status != "OPTIMAL":
            raise RuntimeError(f"min-cost flow failed: {status}")
        flows[idx] = f[:-1]
        total += c
    return flows, total


def _highs(
    net: _Net, a: ProblemArrays, fscale: int, idx: IntArray, *, integer: bool
) -> tuple[IntArray, FloatArray, float]:
    """LP (or MIP) of one component (arcs ``idx``) with its mixed requirements as rows.

    Returns (the component's entry positions, their values, bound on its worth in scaled units).
    """
    import highspy

    tails, heads, n_nodes = _local_nodes(net, idx)
    n_cols = idx.size
    n_node_rows = n_nodes - 2
    e_lo = net.entry_arcs.start
    is_entry = (idx >= e_lo) & (idx < net.entry_arcs.stop)
    e_cols = np.flatnonzero(is_entry)
    e_pos = idx[e_cols] - e_lo  # entry positions
    mixed = net.e_mixed[e_pos].astype(bool)
    m_req, m_row = np.unique(net.e_req[e_pos[mixed]], return_inverse=True)
    n_rows = n_node_rows + m_req.size
    cols = [np.flatnonzero(tails >= 2), np.flatnonzero(heads >= 2), e_cols[mixed]]
    rows = [tails[cols[0]] - 2, heads[cols[1]] - 2, n_node_rows + m_row.reshape(-1)]
    vals = [-np.ones(cols[0].size), np.ones(cols[1].size), net.e_fs[e_pos[mixed]].astype(np.float64)]
    col, row, val = np.concatenate(cols), np.concatenate(rows), np.concatenate(vals)
    order = np.argsort(col, kind="stable")
    col, row, val = col[order], row[order], val[order]
    start = np.r_[0, np.cumsum(np.bincount(col, minlength=n_cols))]

    inf = highspy.kHighsInf
    upper = net.caps[idx].astype(np.float64)
    upper[(idx >= net.offer_arcs.stop) & (idx < e_lo)] = inf  # chain and drop arcs
    lp = highspy.HighsLp()
    lp.num_col_ = n_cols
    lp.num_row_ = n_rows
    lp.col_cost_ = net.costs[idx].astype(np.float64)
    lp.col_lower_ = np.zeros(n_cols)
    lp.col_upper_ = upper
    lp.row_lower_ = np.r_[np.zeros(n_node_rows), np.full(m_req.size, -inf)]
    lp.row_upper_ = np.r_[np.zeros(n_node_rows), net.q_scaled[m_req].astype(np.float64)]
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = start.astype(np.int32)
    lp.a_matrix_.index_ = row.astype(np.int32)
    lp.a_matrix_.value_ = val
    if integer:
        kinds = np.zeros(n_cols, dtype=np.int32)
        kinds[e_cols[mixed]] = 1
        lp.integrality_ = [highspy.HighsVarType(int(k)) for k in kinds]
    # The bare solver class: ``highspy.Highs()`` prints a banner on stdout (which is where
    # ``clearinghouse match --output -`` writes the result).
    h = getattr(getattr(highspy, "_core", None), "_Highs", highspy.Highs)()
    h.setOptionValue("output_flag", False)
    if integer:
        h.setOptionValue("mip_rel_gap", TARGET_GAP)
        h.setOptionValue("time_limit", MIP_TIME_LIMIT)
    else:
        # Measured on the large 60-period bench instance (20 components of 11-25k columns): serial
        # dual simplex without presolve takes about 25 % less CPU than HiGHS's defaults, and its
        # vertex rounds to a slightly better allocation.  Presolve finds little to remove in a
        # network whose arcs all carry flow.
        h.setOptionValue("presolve", "off")
        h.setOptionValue("simplex_strategy", 1)
    h.passModel(lp)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    if integer:
        if info.primal_solution_status == 0:
            raise RuntimeError(f"HiGHS MIP found no solution: {h.modelStatusToString(status)}")
        bound = -float(info.mip_dual_bound)
    else:
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"HiGHS LP failed: {h.modelStatusToString(status)}")
        bound = -float(info.objective_function_value)
    x = np.asarray(h.getSolution().col_value, dtype=np.float64)
    return e_pos, x[e_cols], bound


_JOB: tuple[_Net, ProblemArrays, int, list[tuple[int, IntArray]]] | None = None


def _lp_job(k: int) -> tuple[IntArray, FloatArray, float]:
    assert _JOB is not None
    net, a, fscale, comps = _JOB
    return _highs(net, a, fscale, comps[k][1], integer=False)


def _lps(
    net: _Net, a: ProblemArrays, fscale: int, comps: list[tuple[int, IntArray]], workers: int
) -> list[tuple[IntArray, FloatArray, float]]:
    """The LP of every component, in ``workers`` forked processes (largest first)."""
    from .engine import usable_workers

    global _JOB
    workers = usable_workers(workers, len(comps))
    if workers == 1:
        return [_highs(net, a, fscale, idx, integer=False) for _, idx in comps]
    import multiprocessing

    _JOB = (net, a, fscale, comps)
    try:
        order = sorted(range(len(comps)), key=lambda k: -comps[k][1].size)
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = dict(zip(order, pool.map(_lp_job, order, chunksize=1), strict=True))
    finally:
        _JOB = None
    return [results[k] for k in range(len(comps))]


def _round(net: _Net, x: FloatArray) -> IntArray:
    """Entry caps from an LP/MIP solution: mixed entries rounded down, the requirement's room given
    to its most used type; other entries keep ``⌊q/f⌋``."""
    caps = net.e_cap.copy()
    mixed = np.flatnonzero(net.e_mixed)
    if mixed.size == 0:
        return caps
    fl = np.minimum(np.floor(x[mixed] + 1e-6).astype(np.int64), net.e_cap[mixed])
    fl = np.maximum(fl, 0)
    caps[mixed] = fl
    req = net.e_req[mixed]
    fs = net.e_fs[mixed]
    used = np.zeros(int(req.max()) + 1, dtype=np.int64)
    np.add.at(used, req, fs * fl)
    # Most used entry per requirement (largest x, first on ties).
    order = np.lexsort((-x[mixed], req))
    first = order[np.r_[True, req[order][1:] != req[order][:-1]]]
    room = net.q_scaled[req[first]] - used[req[first]]
    caps[mixed[first]] += np.maximum(room, 0) // fs[first]
    return caps


def _decompose(net: _Net, flows: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """(requirement positions, offer positions, units) from the flows (see the module doc)."""
    g_flow = flows[net.offer_arcs]
    q = net.off_qty
    before = np.cumsum(q) - q
    group_first = np.flatnonzero(np.r_[True, net.off_group[1:] != net.off_group[:-1]])
    o_flow = np.clip(g_flow[net.off_group] - (before - before[group_first][net.off_group]), 0, q)
    d_flow = flows[net.drop_arcs]
    e_flow = flows[net.entry_arcs]
    # Stage A: base chains, forward only: offers' units against drop arcs' units, by base node.
    so = np.flatnonzero(o_flow > 0)
    so = so[np.argsort(net.off_node[so], kind="stable")]
    sd = np.flatnonzero(d_flow > 0)
    sd = sd[np.argsort(net.drop_base[sd], kind="stable")]
    a_off, a_drop, a_qty = _pair(so, o_flow[so], sd, d_flow[sd])
    # Stage B: class chains, backward only: drop arcs' units against entries' units, by class
    # node descending.
    sd2 = np.flatnonzero(d_flow > 0)
    sd2 = sd2[np.argsort(-net.drop_class[sd2], kind="stable")]
    se = np.flatnonzero(e_flow > 0)
    se = se[np.argsort(-net.e_node[se], kind="stable")]
    _b_drop, b_ent, b_qty = _pair(sd2, d_flow[sd2], se, e_flow[se])
    # Merge drop arc by drop arc: put stage A's segments in stage B's drop order.
    pos = np.empty(d_flow.size, dtype=np.int64)
    pos[sd2] = np.arange(sd2.size)
    order = np.argsort(pos[a_drop], kind="stable")
    m_off, _, m_ent, qty = _pair_values(a_off[order], a_qty[order], b_ent, b_qty)
    return net.e_req[m_ent], net.live_off[m_off], qty


def _pair(left: IntArray, lq: IntArray, right: IntArray, rq: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    lid, _, rid, qty = _pair_values(left, lq, right, rq)
    return lid, rid, qty


def _pair_values(
    left: IntArray, lq: IntArray, right: IntArray, rq: IntArray
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Monotone matching of two sequences of (id, units) with the same total."""
    L, R = np.cumsum(lq), np.cumsum(rq)
    if L.size == 0 and R.size == 0:
        return _EMPTY, _EMPTY, _EMPTY, _EMPTY
    if L.size == 0 or R.size == 0 or L[-1] != R[-1]:
        raise RuntimeError("flow decomposition: the two sides carry different totals")
    ends = np.unique(np.concatenate([L, R]))
    qty = np.diff(np.r_[0, ends])
    li, ri = np.searchsorted(L, ends), np.searchsorted(R, ends)
    return left[li], li, right[ri], qty


def solve_factors(
    a: ProblemArrays, weight: IntArray, cost: IntArray, penalty: int, scale: int, *, workers: int = 1
) -> FactorResult:
    """Solve a problem with factors; ``weight``/``cost``/``penalty`` already scaled by ``scale``."""
    assert a.rt_factor is not None
    t0 = perf_counter()
    fscale = _decimal_scale(a.rt_factor)
    divisor = scale * fscale
    timings: dict[str, float] = {}
    net = build(a, weight, cost, penalty, fscale)
    empty_f = np.zeros(0, dtype=np.float64)
    if net is None:
        timings["build"] = perf_counter() - t0
        return FactorResult(_EMPTY, _EMPTY, _EMPTY, empty_f, 0, 0.0, divisor, "empty", timings)
    t1 = perf_counter()
    timings["build"] = t1 - t0
    method = "min-cost flow"
    comps = _components_of(net)
    comp_bound: dict[int, float] = {}
    x = np.zeros(net.e_req.size, dtype=np.float64)
    lp_comps = []
    for root, idx in comps:
        pos = idx[(idx >= net.entry_arcs.start) & (idx < net.entry_arcs.stop)] - net.entry_arcs.start
        if net.e_mixed[pos].any():
            lp_comps.append((root, idx))
    for (root, _), (e_pos, values, b) in zip(lp_comps, _lps(net, a, fscale, lp_comps, workers), strict=True):
        x[e_pos] = values
        comp_bound[root] = b
        method = "LP + rounding + min-cost flow repair"
    caps = net.caps.copy()
    caps[net.entry_arcs] = _round(net, x)
    t2 = perf_counter()
    timings["lp"] = t2 - t1
    flows, total_cost = _min_cost_flow(net, caps, workers)
    # While the total gap is above TARGET_GAP of the bound, solve the component with the largest
    # gap as a MIP.
    comp_worth = {root: -int(np.dot(flows[idx], net.costs[idx])) for root, idx in comps}
    comp_idx = dict(comps)
    exact = sum(w for root, w in comp_worth.items() if root not in comp_bound)
    mip_done: set[int] = set()
    while comp_bound:
        total_bound = exact + sum(comp_bound.values())
        if total_bound - sum(comp_worth.values()) <= TARGET_GAP * max(abs(total_bound), 1.0):
            break
        todo = [r for r in comp_bound if r not in mip_done]
        if not todo:
            break
        root = max(todo, key=lambda r: comp_bound[r] - comp_worth[r])
        mip_done.add(root)
        e_pos, values, comp_bound[root] = _highs(net, a, fscale, comp_idx[root], integer=True)
        x[e_pos] = values
        caps[net.entry_arcs] = _round(net, x)
        idx = comp_idx[root]
        sub, _ = _min_cost_flow(net, caps, 1, only=idx)
        worth = -int(np.dot(sub[idx], net.costs[idx]))
        if worth > comp_worth[root]:
            flows[idx] = sub[idx]
            comp_worth[root] = worth
        method = "LP + rounding + min-cost flow repair; MIP (HiGHS) on some components"
    total_cost = -sum(comp_worth.values())
    bound: float | None = None
    if comp_bound:
        # The LP/MIP bound of components with mixed requirements, the exact optimum of others.
        bound = exact + sum(comp_bound.values())
    t3 = perf_counter()
    timings["solve"] = t3 - t2
    req, off, qty = _decompose(net, flows)
    # Merge repeated (requirement, offer) pairs.
    key = req * a.n_offers + off
    order = np.argsort(key, kind="stable")
    key, req, off, qty = key[order], req[order], off[order], qty[order]
    first = np.r_[True, key[1:] != key[:-1]] if key.size else np.zeros(0, dtype=bool)
    starts = np.flatnonzero(first)
    req, off = req[starts], off[starts]
    qty = np.add.reduceat(qty, starts) if starts.size else _EMPTY
    factor = a.factor_of(req, off)
    fs = np.rint(factor * fscale).astype(np.int64)
    late = np.maximum(0, a.off_avail[off] - a.req_need[req])
    worth = fs * (weight[req] - penalty * late) - cost[off] * fscale
    total = int(np.dot(worth, qty)) if qty.size else 0
    if total < -total_cost:
        raise RuntimeError(
            f"allocations are worth {total} but the solver reports {-total_cost} (scaled units)"
        )
    if worth.size and int(worth.min()) < 0:
        raise RuntimeError("flow decomposition produced an allocation of negative worth")
    pos = worth > 0
    req, off, qty, factor = req[pos], off[pos], qty[pos], factor[pos]
    timings["decompose"] = perf_counter() - t3
    final_bound = float(total) if bound is None else max(bound, float(total))
    return FactorResult(req, off, qty, factor, total, final_bound, divisor, method, timings)
