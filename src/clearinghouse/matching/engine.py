"""Exact solver: a compressed min-cost-flow network solved with OR-Tools.

Formulation (all arrays, no per-pair arcs, so the network grows linearly):

* **Integer costs.** Weights, unit costs and the lateness penalty are multiplied by the
  smallest power of ten ``10**k`` (``k <= 6``) that makes all of them integers (values
  with more than six decimals are rounded to six).  Everything below is in these scaled
  integer units; the objective and the bound are divided back at the end.
* **Type-period chains.** For every item type ``t`` we create one node per period that
  some offer or requirement of ``t`` touches (periods are compressed: untouched periods
  get no node).  Consecutive nodes ``p < p'`` of a chain get an arc ``p -> p'`` of cost 0
  (holding a unit / arriving early is free) and an arc ``p' -> p`` of cost
  ``λ·(p' - p)`` (a unit available at ``p'`` serving a need at ``p`` is late by
  ``p' - p`` periods).  Costs along a chain are additive, so the cheapest chain path from
  ``available_from`` to ``needed_by`` costs exactly ``λ·max(0, available_from - needed_by)``.
  Shortcut arcs over 2 and 4 chain nodes (same additive costs) shorten paths for the
  solver without changing any path cost.
* **Offers** enter their chain at ``(item_type, available_from)`` from the source with
  cost ``unit_cost``.  Offers on the same node with the same unit cost are interchangeable,
  so they share one arc (capacity = their total) and the flow is split among them in input
  order afterwards.
* **Requirements** leave the chain at ``(t, needed_by)``: one arc to the sink of cost
  ``-weight`` for a single-type requirement, or arcs from every accepted type into a
  requirement node, then ``-weight`` to the sink, capacity ``quantity`` throughout.
* **Optional flow.** A free bypass arc source -> sink with the whole supply on the source:
  the solver sends through the network only units whose path has negative cost, i.e.
  positive worth, which maximises total worth instead of forcing flow.
* **Decomposition.** Item types linked by requirements accepting several of them are
  merged with union-find; each connected component is an independent network, solved on
  its own (optionally in parallel processes).  Components lacking either supply or demand
  are dropped (their optimum is trivially 0).

Flows are turned back into (offer, requirement) allocations by *monotone matching per
type*: offers' used units and requirements' served units, both sorted by chain position,
are paired in order.  On a line, the units crossing the gap between two consecutive chain
nodes are fixed by conservation (supply minus demand on one side); this matching crosses
each gap exactly that often and only in that direction, so its lateness cost is the least
any routing of the same supplies and demands can have - hence no more than the solver's
flow (shortcuts included), which is optimal, so the two are equal.  We check that the
allocations' total worth equals the solver's objective (and that none has negative worth)
on every solve.  Allocations of worth exactly 0 are then dropped, as the contract asks.

The **bound** is a Lagrangian/LP-dual bound from node potentials ``π``: for any ``π`` the
minimum cost is at least ``Σ b_i π_i + Σ_a u_a · min(0, c_a - π_tail + π_head)``.  We
compute optimal potentials as shortest-path distances in the residual network (vectorised
Bellman-Ford) and evaluate that expression independently of the solver; when it equals the
objective the status is ``"OPTIMAL"`` (a certificate), otherwise ``"FEASIBLE"``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from time import perf_counter
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

from .model import (
    AllocationTable,
    FloatArray,
    IntArray,
    Problem,
    ProblemArrays,
    ProblemError,
    Result,
    number,
)

BoolArray = npt.NDArray[np.bool_]

#: Largest number of decimals honoured exactly in weights, costs and the penalty.
MAX_DECIMALS = 6
#: Keep every scaled cost times the total flow below this (OR-Tools multiplies costs by
#: the number of nodes internally, and we sum costs in int64).
_COST_LIMIT = 2**62

_EMPTY = np.zeros(0, dtype=np.int64)
#: Chain shortcuts: arcs jumping this many chain nodes, costing exactly the sum of the chain
#: arcs they bypass (0 forward, λ·gap backward).  They create no cheaper path, so the
#: optimum is unchanged, but they cut the number of hops a unit travels along a chain, and
#: OR-Tools' cost-scaling solver spends ~20% less time on the 60-period instances with them.
SHORTCUT_STEPS = (2, 4)


def decimal_scale(values: FloatArray, max_decimals: int = MAX_DECIMALS) -> int:
    """Smallest ``10**k`` (``k <= max_decimals``) making every value an integer."""
    if values.size == 0:
        return 1
    for k in range(max_decimals + 1):
        scaled = values * 10.0**k
        if np.all(np.abs(scaled - np.rint(scaled)) <= 1e-9 * np.maximum(1.0, np.abs(scaled))):
            return int(10**k)
    return int(10**max_decimals)


@dataclass
class Scaled:
    """Weights, costs and penalty as integers in units of ``1/scale``."""

    scale: int
    weight: IntArray
    cost: IntArray
    penalty: int


def scale_problem(a: ProblemArrays) -> Scaled:
    """Choose the common power of ten and scale weights, unit costs and the penalty."""
    values = np.concatenate([a.req_weight, a.off_cost, np.array([a.lateness_penalty], dtype=np.float64)])
    scale = decimal_scale(values)
    return Scaled(
        scale=scale,
        weight=np.rint(a.req_weight * scale).astype(np.int64),
        cost=np.rint(a.off_cost * scale).astype(np.int64),
        penalty=round(a.lateness_penalty * scale),
    )


@dataclass
class Network:
    """The global arc list of all components, plus what decomposition needs."""

    n_nodes: int
    tails: IntArray
    heads: IntArray
    caps: IntArray
    costs: IntArray
    arc_comp: IntArray
    comp_base: IntArray  # first global node id of each component (its source; sink = +1)
    comp_size: IntArray  # number of nodes of each component
    comp_flow: IntArray  # supply put on the source of each component
    node_type: IntArray  # item type of every chain node
    # Arc ranges by role within the global arc list.
    offer_arcs: slice
    single_arcs: slice
    multi_type_arcs: slice
    # Offer groups: offers (positions) sorted by (chain node, cost, input order).
    off_sorted: IntArray
    off_group: IntArray  # group (= offer arc) of each sorted offer
    off_node: IntArray  # chain node of each sorted offer
    # Requirement-type entries feeding the demand side.
    single_rt_req: IntArray
    single_rt_node: IntArray
    multi_rt_req: IntArray
    multi_rt_node: IntArray


def _sum_by(index: IntArray, values: IntArray, n: int) -> IntArray:
    """Exact int64 group sums (``bincount`` would go through float64)."""
    out = np.zeros(n, dtype=np.int64)
    np.add.at(out, index, values)
    return out


def sorted_unique(values: IntArray) -> IntArray:
    """Sorted distinct values (sort + mask: numpy 2's hash-based ``np.unique`` is slower here)."""
    v = np.sort(values)
    if v.size:
        v = v[np.r_[True, v[1:] != v[:-1]]]
    return v


def _rank(values: IntArray, universe: int) -> tuple[IntArray, IntArray]:
    """(sorted distinct values, index of each value among them); values lie in [0, universe)."""
    if universe <= max(4 * values.size, 1 << 16):
        # Dense table: a presence bitmap and its running count; much faster than
        # searchsorted with scattered needles when the key space is small (types x periods).
        present = np.zeros(universe, dtype=bool)
        present[values] = True
        index = np.cumsum(present) - 1
        return np.flatnonzero(present), index[values]
    keys = sorted_unique(values)
    return keys, np.searchsorted(keys, values)


def _components(n_types: int, rt_req: IntArray, rt_type: IntArray) -> IntArray:
    """Union-find over item types; returns a root per type."""
    parent = list(range(n_types))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    if rt_req.size:
        # Link every accepted type to the first accepted type of its requirement; only the
        # distinct pairs matter, so deduplicate in numpy before the Python loop.
        first_pos = np.flatnonzero(np.r_[True, rt_req[1:] != rt_req[:-1]])
        counts = np.diff(np.r_[first_pos, rt_req.size])
        first_type = np.repeat(rt_type[first_pos], counts)
        linked = first_type != rt_type
        if linked.any():
            pairs = sorted_unique(first_type[linked] * n_types + rt_type[linked])
            for a, b in zip((pairs // n_types).tolist(), (pairs % n_types).tolist(), strict=True):
                ra, rb = find(a), find(b)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
    return np.array([find(t) for t in range(n_types)], dtype=np.int64)


@dataclass(frozen=True)
class _Live:
    """What can carry worth: the offers (indices) and requirement-type entries that survive pruning,
    each type's connected-component root, and which roots have both supply and demand."""

    off_idx: IntArray
    rt_req: IntArray
    rt_type: IntArray
    root: IntArray
    alive_root: BoolArray


def _live(a: ProblemArrays, s: Scaled) -> _Live | None:
    """Prune what can never have positive worth: requirements without quantity or weight, offers
    costing at least the best weight any requirement gives their type, components without supply
    or demand (``None`` when nothing is left)."""
    n_types = len(a.type_names)
    # Costs and lateness are never negative, so a non-positive weight can never give positive worth.
    req_ok = (a.req_qty > 0) & (s.weight > 0)
    rt_keep = req_ok[a.rt_req]
    rt_req = a.rt_req[rt_keep]
    rt_type = a.rt_type[rt_keep]
    best_weight = np.zeros(n_types, dtype=np.int64)
    np.maximum.at(best_weight, rt_type, s.weight[rt_req])
    off_idx = np.flatnonzero((a.off_qty > 0) & (s.cost < best_weight[a.off_type]))
    if off_idx.size == 0 or rt_req.size == 0:
        return None
    root = _components(n_types, rt_req, rt_type)
    # Supply and demand per component root; drop components missing one of them.
    supply = _sum_by(root[a.off_type[off_idx]], a.off_qty[off_idx], n_types)
    req_first = np.flatnonzero(np.r_[True, rt_req[1:] != rt_req[:-1]])
    demand = _sum_by(root[rt_type[req_first]], a.req_qty[rt_req[req_first]], n_types)
    alive_root = (supply > 0) & (demand > 0)
    off_idx = off_idx[alive_root[root[a.off_type[off_idx]]]]
    keep_rt = alive_root[root[rt_type]]
    rt_req, rt_type = rt_req[keep_rt], rt_type[keep_rt]
    if off_idx.size == 0 or rt_req.size == 0:
        return None
    return _Live(off_idx, rt_req, rt_type, root, alive_root)


@dataclass(frozen=True)
class _Layout:
    """Node ids: each component is [source, sink, its chain nodes, its requirement nodes]."""

    n_nodes: int
    comp_base: IntArray
    comp_size: IntArray
    node_gid: IntArray  # chain node -> node id
    rnode_gid: IntArray  # requirement node (several accepted types) -> node id


def _layout(node_comp: IntArray, multi_comp: IntArray, n_comp: int) -> _Layout:
    """Lay the components' nodes out one after the other (chain nodes and requirement nodes are
    each already ordered by component)."""
    n_chain = np.bincount(node_comp, minlength=n_comp)
    n_rnode = np.bincount(multi_comp, minlength=n_comp)
    comp_size = 2 + n_chain + n_rnode
    comp_base = np.zeros(n_comp, dtype=np.int64)
    np.cumsum(comp_size[:-1], out=comp_base[1:])
    chain_start = np.zeros(n_comp, dtype=np.int64)
    np.cumsum(n_chain[:-1], out=chain_start[1:])
    rnode_start = np.zeros(n_comp, dtype=np.int64)
    np.cumsum(n_rnode[:-1], out=rnode_start[1:])
    node_gid = comp_base[node_comp] + 2 + (np.arange(node_comp.size) - chain_start[node_comp])
    rnode_gid = (
        comp_base[multi_comp]
        + 2
        + n_chain[multi_comp]
        + (np.arange(multi_comp.size) - rnode_start[multi_comp])
    )
    return _Layout(int(comp_size.sum()), comp_base, comp_size, node_gid, rnode_gid)


# An arc group: (tails, heads, capacities, costs, components), one entry per arc.
ArcGroup = tuple[IntArray, IntArray, IntArray, IntArray, IntArray]


def _concatenate(groups: dict[str, ArcGroup]) -> tuple[list[IntArray], dict[str, slice]]:
    """The arcs of every group, in order (tails, heads, caps, costs, comps), and where each group sits."""
    spans: dict[str, slice] = {}
    start = 0
    for name, group in groups.items():
        spans[name] = slice(start, start + int(group[0].size))
        start += int(group[0].size)
    columns = [np.concatenate([g[i] for g in groups.values()]).astype(np.int64) for i in range(5)]
    return columns, spans


@dataclass(frozen=True)
class _Nodes:
    """The chain nodes (one per type and touched period, ordered by component, then type, then
    period) and the requirement nodes (requirements accepting several types), with what the arcs
    need to know of them."""

    comp_of_type: IntArray
    n_comp: int
    type_order: IntArray
    o_node: IntArray  # live offer -> chain node
    rt_node: IntArray  # live requirement-type entry -> chain node
    node_rank: IntArray
    node_period: IntArray
    node_comp: IntArray
    first: IntArray  # first entry of each live requirement in rt_req
    single: BoolArray  # entries of requirements with one accepted type
    multi_reqs: IntArray  # requirements with several accepted types, by component
    multi_comp: IntArray


def _nodes(a: ProblemArrays, live: _Live) -> _Nodes:
    """Dense component ids, and a ranking of types that makes each component's types contiguous:
    chain-node keys (type rank * P + period), sorted component by component."""
    P = a.periods
    n_types = len(a.type_names)
    off_idx, rt_req, rt_type = live.off_idx, live.rt_req, live.rt_type
    roots_alive = np.flatnonzero(live.alive_root)
    comp_of_root = np.full(n_types, -1, dtype=np.int64)
    comp_of_root[roots_alive] = np.arange(roots_alive.size)
    comp_of_type = comp_of_root[live.root]
    n_comp = int(roots_alive.size)
    type_order = np.lexsort((np.arange(n_types), comp_of_type))
    trank = np.empty(n_types, dtype=np.int64)
    trank[type_order] = np.arange(n_types)

    o_key = trank[a.off_type[off_idx]] * P + a.off_avail[off_idx]
    rt_key = trank[rt_type] * P + a.req_need[rt_req]
    keys, node_of = _rank(np.concatenate([o_key, rt_key]), n_types * P)
    o_node = node_of[: o_key.size]
    rt_node = node_of[o_key.size :]
    node_rank = keys // P
    node_period = keys % P
    node_comp = comp_of_type[type_order][node_rank]

    # Requirements with one vs several accepted (alive) types; requirement nodes ordered by
    # component (stable, so by requirement within one).
    first = np.flatnonzero(np.r_[True, rt_req[1:] != rt_req[:-1]])
    n_acc = np.diff(np.r_[first, rt_req.size])
    single = np.repeat(n_acc, n_acc) == 1
    multi_reqs = rt_req[first[n_acc > 1]]
    multi_comp = comp_of_type[rt_type[first[n_acc > 1]]]
    m_order = np.argsort(multi_comp, kind="stable")
    multi_reqs, multi_comp = multi_reqs[m_order], multi_comp[m_order]

    return _Nodes(
        comp_of_type,
        n_comp,
        type_order,
        o_node,
        rt_node,
        node_rank,
        node_period,
        node_comp,
        first,
        single,
        multi_reqs,
        multi_comp,
    )


def _links(
    n: _Nodes, node_gid: IntArray, comp_flow: IntArray, penalty: int, step: int, name: str
) -> dict[str, ArcGroup]:
    """Arcs between chain nodes `step` touched periods apart of the same type: forward (holding
    units, free) and back (late delivery, the lateness penalty a period), each with the component's
    whole flow as capacity."""
    i = np.flatnonzero(n.node_rank[step:] == n.node_rank[:-step])
    gap = n.node_period[i + step] - n.node_period[i]
    c = n.node_comp[i]
    return {
        f"{name}_forward": (node_gid[i], node_gid[i + step], comp_flow[c], np.zeros_like(gap), c),
        f"{name}_back": (node_gid[i + step], node_gid[i], comp_flow[c], gap * penalty, c),
    }


def build_network(a: ProblemArrays, s: Scaled) -> Network | None:
    """Build the compressed network (``None`` when no unit can have positive worth)."""
    live = _live(a, s)
    if live is None:
        return None
    off_idx, rt_req, rt_type = live.off_idx, live.rt_req, live.rt_type

    n = _nodes(a, live)
    comp_of_type, n_comp, node_comp = n.comp_of_type, n.n_comp, n.node_comp
    o_node, rt_node = n.o_node, n.rt_node
    first, single, multi_reqs, multi_comp = n.first, n.single, n.multi_reqs, n.multi_comp

    lay = _layout(node_comp, multi_comp, n_comp)
    node_gid, src, snk = lay.node_gid, lay.comp_base, lay.comp_base + 1
    # Component flow: what can possibly move (min of supply and demand).
    comp_supply = _sum_by(node_comp[o_node], a.off_qty[off_idx], n_comp)
    comp_demand = _sum_by(comp_of_type[rt_type[first]], a.req_qty[rt_req[first]], n_comp)
    comp_flow = np.minimum(comp_supply, comp_demand)

    # Offer arcs, grouped by (chain node, unit cost); lexsort is stable so input order
    # survives within a group.
    o_cost = s.cost[off_idx]
    order = np.lexsort((o_cost, o_node))
    off_sorted, s_node, s_cost = off_idx[order], o_node[order], o_cost[order]
    new_group = np.r_[True, (s_node[1:] != s_node[:-1]) | (s_cost[1:] != s_cost[:-1])]
    g_start = np.flatnonzero(new_group)
    g_node = s_node[g_start]
    g_comp = node_comp[g_node]

    s_req, s_rt_node = rt_req[single], rt_node[single]
    m_req, m_rt_node = rt_req[~single], rt_node[~single]
    rnode_of_req = np.full(a.n_requirements, -1, dtype=np.int64)
    rnode_of_req[multi_reqs] = lay.rnode_gid
    s_comp, m_comp = node_comp[s_rt_node], node_comp[m_rt_node]
    groups: dict[str, ArcGroup] = {
        "offers": (
            src[g_comp],
            node_gid[g_node],
            np.add.reduceat(a.off_qty[off_sorted], g_start),
            s_cost[g_start],
            g_comp,
        ),
        # Chain arcs between consecutive touched periods of the same type.
        **_links(n, node_gid, comp_flow, s.penalty, 1, "chain"),
        "single": (node_gid[s_rt_node], snk[s_comp], a.req_qty[s_req], -s.weight[s_req], s_comp),
        "multi_type": (
            node_gid[m_rt_node],
            rnode_of_req[m_req],
            a.req_qty[m_req],
            np.zeros(m_req.size, np.int64),
            m_comp,
        ),
        "multi_requirement": (
            lay.rnode_gid,
            snk[multi_comp],
            a.req_qty[multi_reqs],
            -s.weight[multi_reqs],
            multi_comp,
        ),
        "bypass": (src, snk, comp_flow, np.zeros(n_comp, np.int64), np.arange(n_comp)),
    }
    for step in SHORTCUT_STEPS:
        groups.update(_links(n, node_gid, comp_flow, s.penalty, step, f"shortcut_{step}"))
    (tails, heads, caps, costs, comps), spans = _concatenate(groups)

    max_cost = int(np.abs(costs).max()) if costs.size else 0
    if max_cost * max(int(comp_flow.sum()), lay.n_nodes + 1) >= _COST_LIMIT:
        raise ProblemError(
            "weights, costs and lateness penalty are too large (or have too many decimals) "
            "for exact integer arithmetic"
        )
    return Network(
        n_nodes=lay.n_nodes,
        tails=tails,
        heads=heads,
        caps=caps,
        costs=costs,
        arc_comp=comps,
        comp_base=lay.comp_base,
        comp_size=lay.comp_size,
        comp_flow=comp_flow,
        node_type=n.type_order[n.node_rank],
        offer_arcs=spans["offers"],
        single_arcs=spans["single"],
        multi_type_arcs=spans["multi_type"],
        off_sorted=off_sorted,
        off_group=np.cumsum(new_group) - 1,
        off_node=s_node,
        single_rt_req=s_req,
        single_rt_node=s_rt_node,
        multi_rt_req=m_req,
        multi_rt_node=m_rt_node,
    )


# --------------------------------------------------------------------------- solving

Task = tuple[IntArray, IntArray, IntArray, IntArray, int]


def _solve_one(task: Task) -> tuple[IntArray, int, str]:
    """Solve one component network; returns (arc flows, cost, status name)."""
    tails, heads, caps, costs, flow = task
    mcf = min_cost_flow.SimpleMinCostFlow()
    arcs = mcf.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), caps, costs
    )
    mcf.set_node_supply(0, flow)
    mcf.set_node_supply(1, -flow)
    status = mcf.solve()
    if status != mcf.OPTIMAL:
        return _EMPTY, 0, str(status)
    return np.asarray(mcf.flows(arcs), dtype=np.int64), int(mcf.optimal_cost()), "OPTIMAL"


def _solve_many(tasks: Sequence[Task]) -> list[tuple[IntArray, int, str]]:
    return [_solve_one(t) for t in tasks]


def _solve_forked(tasks: Sequence[Task], workers: int) -> list[tuple[IntArray, int, str]]:
    """Solve the tasks in this process and ``workers - 1`` forked children.

    Components are handed out largest first from a shared counter (dynamic balancing:
    solve times are not proportional to sizes).  Forked children already hold the tasks
    in memory, so only their results (arc flows) travel back through a pipe.
    """
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    sequence = sorted(range(len(tasks)), key=lambda i: -tasks[i][0].size)
    counter = ctx.Value("i", 0)

    def take() -> Iterator[int]:
        while True:
            with counter.get_lock():
                k = counter.value
                counter.value = k + 1
            if k >= len(sequence):
                return
            yield sequence[k]

    def child(conn: Connection) -> None:
        try:
            conn.send({c: _solve_one(tasks[c]) for c in take()})
        finally:
            conn.close()

    pipes = []
    procs = []
    for _ in range(workers - 1):
        receiver, sender = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=child, args=(sender,), daemon=True)
        proc.start()
        sender.close()  # so that recv() fails instead of hanging if the child dies
        pipes.append(receiver)
        procs.append(proc)
    out: dict[int, tuple[IntArray, int, str]] = {c: _solve_one(tasks[c]) for c in take()}
    for receiver, proc in zip(pipes, procs, strict=True):
        try:
            out.update(receiver.recv())
        except EOFError:
            raise RuntimeError(f"solver worker process died (exit code {proc.exitcode})") from None
        finally:
            receiver.close()
            proc.join()
    return [out[c] for c in range(len(tasks))]


def usable_workers(workers: int, n_tasks: int) -> int:
    """How many processes may solve ``n_tasks`` independent tasks (1 when forking is impossible)."""
    workers = max(1, min(workers, n_tasks))
    if workers > 1:
        import multiprocessing

        if "fork" not in multiprocessing.get_all_start_methods() or multiprocessing.current_process().daemon:
            # No fork (Windows: spawning would re-import everything, not worth it), or we
            # run inside a daemonic worker (e.g. a Celery prefork child), which may not
            # have children: solve serially.
            workers = 1
    return workers


def solve_network(net: Network, workers: int = 1) -> tuple[IntArray, int]:
    """Solve every component; returns (flow of every global arc, total cost)."""
    order = np.argsort(net.arc_comp, kind="stable")
    bounds = np.searchsorted(net.arc_comp[order], np.arange(net.comp_base.size + 1))
    tasks: list[Task] = []
    for c in range(net.comp_base.size):
        idx = order[bounds[c] : bounds[c + 1]]
        base = net.comp_base[c]
        tasks.append(
            (
                net.tails[idx] - base,
                net.heads[idx] - base,
                net.caps[idx],
                net.costs[idx],
                int(net.comp_flow[c]),
            )
        )
    workers = usable_workers(workers, len(tasks))
    results = _solve_many(tasks) if workers == 1 else _solve_forked(tasks, workers)
    flows = np.zeros(net.tails.size, dtype=np.int64)
    total = 0
    for c, (f, cost, status) in enumerate(results):
        if status != "OPTIMAL":
            raise RuntimeError(f"min-cost flow failed on component {c}: {status}")
        flows[order[bounds[c] : bounds[c + 1]]] = f
        total += cost
    return flows, total


# --------------------------------------------------------------------------- decomposition


def decompose(
    a: ProblemArrays, s: Scaled, net: Network, flows: IntArray
) -> tuple[IntArray, IntArray, IntArray, int]:
    """Turn arc flows into allocations (req positions, offer positions, quantities, worth).

    Returns only allocations of positive worth, sorted by requirement then offer.
    """
    # Units used per offer: fill each group's flow into its offers in input order.
    g_flow = flows[net.offer_arcs]
    q = a.off_qty[net.off_sorted]
    cum = np.cumsum(q)
    before = cum - q
    group_first = np.r_[True, net.off_group[1:] != net.off_group[:-1]]
    group_offset = before[np.flatnonzero(group_first)]
    before_in_group = before - group_offset[net.off_group]
    used = np.clip(g_flow[net.off_group] - before_in_group, 0, q)

    sup_mask = used > 0
    sup_off = net.off_sorted[sup_mask]
    sup_node = net.off_node[sup_mask]
    sup_qty = used[sup_mask]

    # Demand entries (requirement, chain node, units), sorted by chain node.
    d_req = np.concatenate([net.single_rt_req, net.multi_rt_req])
    d_node = np.concatenate([net.single_rt_node, net.multi_rt_node])
    d_qty = np.concatenate([flows[net.single_arcs], flows[net.multi_type_arcs]])
    pos = d_qty > 0
    d_req, d_node, d_qty = d_req[pos], d_node[pos], d_qty[pos]
    d_order = np.argsort(d_node, kind="stable")
    d_req, d_node, d_qty = d_req[d_order], d_node[d_order], d_qty[d_order]

    # Monotone matching: chain nodes are numbered by (type, period), so both sides are in
    # chain order and per type they carry the same total; pairing the k-th supplied unit
    # with the k-th demanded unit never crosses types and crosses each chain arc only in
    # the direction (and amount) of its net flow.
    S = np.cumsum(sup_qty)
    D = np.cumsum(d_qty)
    if S.size == 0 and D.size == 0:
        return _EMPTY, _EMPTY, _EMPTY, 0
    if S[-1] != D[-1]:
        raise RuntimeError("flow decomposition: supply and demand totals differ")
    ends = sorted_unique(np.concatenate([S, D]))
    qty = np.diff(np.r_[0, ends])
    si = np.searchsorted(S, ends)
    di = np.searchsorted(D, ends)
    off = sup_off[si]
    req = d_req[di]
    # Per-type totals agree by flow conservation, so pairs never mix types; check anyway.
    if np.any(net.node_type[sup_node[si]] != net.node_type[d_node[di]]):
        raise RuntimeError("flow decomposition: matching crossed item types")

    late = np.maximum(0, a.off_avail[off] - a.req_need[req])
    worth = s.weight[req] - s.penalty * late - s.cost[off]
    if worth.size and int(worth.min()) < 0:
        raise RuntimeError("flow decomposition produced an allocation of negative worth")
    total = int(np.dot(worth, qty))
    keep = worth > 0
    req, off, qty = req[keep], off[keep], qty[keep]
    # One argsort of a combined key is several times faster than lexsort on two keys.
    order = np.argsort(req * a.n_offers + off)
    return req[order], off[order], qty[order], total


# --------------------------------------------------------------------------- bound


def potentials(net: Network, flows: IntArray, max_rounds: int | None = None) -> tuple[IntArray, bool]:
    """Shortest-path distances in the residual network from a virtual root (cost 0 to all).

    Returns (distances, converged).  With an optimal flow there is no negative cycle, so
    Bellman-Ford converges; ``-distance`` are then optimal node potentials.  Vectorised
    label-correcting: each round relaxes only the arcs leaving nodes improved in the
    previous round, so the work is proportional to what actually changes.
    """
    fwd = flows < net.caps
    bwd = flows > 0
    tail = np.concatenate([net.tails[fwd], net.heads[bwd]])
    head = np.concatenate([net.heads[fwd], net.tails[bwd]])
    cost = np.concatenate([net.costs[fwd], -net.costs[bwd]])
    n = net.n_nodes
    # Only negative arcs can improve on the all-zero start, so the first frontier is
    # their tails; arcs are kept in CSR order by tail to gather a frontier's arcs quickly.
    order = np.argsort(tail, kind="stable")
    tail, head, cost = tail[order], head[order], cost[order]
    start = np.searchsorted(tail, np.arange(n + 1))
    d = np.zeros(n, dtype=np.int64)
    frontier = sorted_unique(tail[cost < 0])
    rounds = n + 1 if max_rounds is None else max_rounds
    for _ in range(rounds):
        if frontier.size == 0:
            return d, True
        lo = start[frontier]
        deg = start[frontier + 1] - lo
        total = int(deg.sum())
        if total == 0:
            return d, True
        # Indices of all arcs leaving the frontier: lo[i] + 0..deg[i]-1 for every i.
        offsets = np.cumsum(deg) - deg
        idx = np.repeat(lo - offsets, deg) + np.arange(total)
        h = head[idx]
        cand = d[tail[idx]] + cost[idx]
        improve = cand < d[h]
        if not improve.any():
            return d, True
        h, cand = h[improve], cand[improve]
        np.minimum.at(d, h, cand)
        frontier = sorted_unique(h)
    return d, False


def lagrangian_bound(net: Network, pi: IntArray) -> int:
    """Lower bound on the min cost for potentials ``pi`` (valid for any ``pi``)."""
    reduced = net.costs - pi[net.tails] + pi[net.heads]
    neg = reduced < 0
    return _exact_dot(net.comp_flow, pi[net.comp_base] - pi[net.comp_base + 1]) + _exact_dot(
        net.caps[neg], reduced[neg]
    )


def _exact_dot(x: IntArray, y: IntArray) -> int:
    """``x · y`` without int64 overflow: numpy when the worst case fits, else Python ints."""
    if x.size == 0:
        return 0
    worst = int(np.abs(x).max()) * int(np.abs(y).max()) * x.size
    if worst < 2**63:
        return int(np.dot(x, y))
    return sum(a * b for a, b in zip(x.tolist(), y.tolist(), strict=True))


# --------------------------------------------------------------------------- entry point


def _in_units(value: int, scale: int) -> float:
    return value if scale == 1 else value / scale


def _solve_with_factors(a: ProblemArrays, s: Scaled, t0: float, workers: int) -> Result:
    """Problems where some factor differs from 1 (see :mod:`.factors` for the method)."""
    from .factors import solve_factors

    fr = solve_factors(a, s.weight, s.cost, s.penalty, s.scale, workers=workers)
    provides = fr.qty * fr.factor
    served = np.zeros(a.n_requirements, dtype=np.float64)
    np.add.at(served, fr.req, provides)
    unmet = dict(zip(a.req_ids, [number(v) for v in (a.req_qty - served).tolist()], strict=True))
    objective = number(fr.worth / fr.divisor)
    bound = fr.bound / fr.divisor
    bound = number(max(objective, bound))
    timings = dict(fr.timings)
    timings["total"] = perf_counter() - t0
    return Result(
        status="OPTIMAL" if bound == objective else "FEASIBLE",
        objective=objective,
        bound=bound,
        allocations=AllocationTable(a.req_ids, a.off_ids, fr.req, fr.off, fr.qty, provides),
        unmet=unmet,
        timings=timings,
        method=fr.method,
    )


def solve(problem: Problem, *, workers: int = 1) -> Result:
    """Solve a problem exactly; ``workers > 1`` solves components in forked processes.

    The result's ``objective`` and ``bound`` are in the problem's units; ``status`` is
    ``"OPTIMAL"`` when the dual bound equals the objective.
    """
    t0 = perf_counter()
    a = problem.arrays
    s = scale_problem(a)
    if a.has_factors:
        return _solve_with_factors(a, s, t0, workers)
    net = build_network(a, s)
    t1 = perf_counter()
    timings = {"build": t1 - t0}
    if net is None:
        req = off = qty = _EMPTY
        objective = bound_value = 0
        status = "OPTIMAL"
        timings.update(solve=0.0, decompose=0.0, bound=0.0)
    else:
        flows, cost = solve_network(net, workers)
        t2 = perf_counter()
        req, off, qty, worth = decompose(a, s, net, flows)
        if worth != -cost:
            raise RuntimeError(f"allocations are worth {worth} but the solver reports {-cost} (scaled units)")
        t3 = perf_counter()
        d, converged = potentials(net, flows)
        bound_value = -lagrangian_bound(net, -d)
        objective = worth
        status = "OPTIMAL" if converged and bound_value == objective else "FEASIBLE"
        t4 = perf_counter()
        timings.update(solve=t2 - t1, decompose=t3 - t2, bound=t4 - t3)
    served = _sum_by(req, qty, a.n_requirements)
    unmet = dict(zip(a.req_ids, (a.req_qty - served).tolist(), strict=True))
    timings["total"] = perf_counter() - t0
    return Result(
        status=status,
        objective=_in_units(objective, s.scale),
        bound=_in_units(bound_value, s.scale),
        allocations=AllocationTable(a.req_ids, a.off_ids, req, off, qty),
        unmet=unmet,
        timings=timings,
    )
