"""Explanations of a result, computed from the problem and the result alone.

For every requirement left short (``unmet > 0``) one reason:

* ``"no_compatible_offer"`` – no offer (with units) of any accepted type exists;
* ``"taken_by_higher_weight"`` – offers that would be worth something to it exist, but
  their units went to other requirements (listed, ranked by units taken), whose weight
  and timing made them worth more there;
* ``"too_late"`` – compatible offers exist but none is worth anything to it: they arrive
  too late (lateness penalty) or cost too much for its weight;
* ``"insufficient_supply"`` – an edge case of none of the above: the requirement itself
  receives every compatible unit there is;
* ``"unallocated_capacity"`` – worthwhile compatible units were left unused.  This never
  happens for an optimal result; it shows up when explaining a heuristic (greedy) one.

For every allocation, what it displaced: the *other* requirements left short that also
accept the offer's type and for which that offer would have had positive worth.

Everything is indexed by item type, so the cost grows with (short requirements x
allocations of their types), not with all pairs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .engine import scale_problem
from .model import IntArray, Problem, Result, allocation_arrays, unmet_array


def _n(count: int, noun: str = "unit") -> str:
    """``1 unit`` / ``3 units``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _fmt(value: float) -> str:
    return f"{value:g}"


def _id_list(ids: list[str], limit: int = 5) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def explain_shortfalls(problem: Problem, result: Result, *, max_takers: int = 10) -> list[dict[str, Any]]:
    """One entry per short requirement (input order).

    Each entry: ``requirement``, ``unmet``, ``needed_by``, ``reason``, ``sentence`` and,
    for ``taken_by_higher_weight``, ``takers`` (``[{"requirement", "units", "weight"}]``,
    most units first, at most ``max_takers``) and ``taker_count``.
    """
    a = problem.arrays
    s = scale_problem(a)
    lam = s.penalty
    unmet = unmet_array(problem, result)
    a_req, a_off, a_qty = allocation_arrays(problem, result)
    used = np.zeros(a.n_offers, dtype=np.int64)
    np.add.at(used, a_off, a_qty)
    left = a.off_qty - used

    n_types = len(a.type_names)
    # Offers with units, grouped by type.
    live = np.flatnonzero(a.off_qty > 0)
    o_order = live[np.argsort(a.off_type[live], kind="stable")]
    o_start = np.searchsorted(a.off_type[o_order], np.arange(n_types + 1))
    # Allocations grouped by the type of their offer.
    a_type = a.off_type[a_off]
    al_order = np.argsort(a_type, kind="stable")
    al_start = np.searchsorted(a_type[al_order], np.arange(n_types + 1))

    out: list[dict[str, Any]] = []
    for r in np.flatnonzero(unmet > 0).tolist():
        rid = a.req_ids[r]
        n_r = int(a.req_need[r])
        w = int(s.weight[r])
        types = a.rt_type[a.rt_ptr[r] : a.rt_ptr[r + 1]]
        entry: dict[str, Any] = {"requirement": rid, "unmet": int(unmet[r]), "needed_by": n_r}
        offers = np.concatenate([o_order[o_start[t] : o_start[t + 1]] for t in types.tolist()])
        if offers.size == 0:
            names = ", ".join(a.type_names[t] for t in types.tolist())
            entry["reason"] = "no_compatible_offer"
            entry["sentence"] = (
                f"{rid} is short by {_n(int(unmet[r]))}: nobody offers any of its accepted types ({names})."
            )
            out.append(entry)
            continue
        worth = w - lam * np.maximum(0, a.off_avail[offers] - n_r) - s.cost[offers]
        useful = offers[worth > 0]
        spare = int(left[useful].sum())
        if useful.size and spare > 0:
            entry["reason"] = "unallocated_capacity"
            entry["sentence"] = (
                f"{rid} is short by {_n(int(unmet[r]))} although {_n(spare, 'worthwhile unit')} of "
                "compatible offers were left unused (the allocation is not optimal)."
            )
        else:
            allocs = np.concatenate([al_order[al_start[t] : al_start[t + 1]] for t in types.tolist()])
            o = a_off[allocs]
            takers_r = a_req[allocs]
            good = (w - lam * np.maximum(0, a.off_avail[o] - n_r) - s.cost[o] > 0) & (takers_r != r)
            who, inv = np.unique(takers_r[good], return_inverse=True)
            units = np.zeros(who.size, dtype=np.int64)
            np.add.at(units, inv, a_qty[allocs][good])
            if who.size:
                rank = np.lexsort((who, -units))
                takers = [
                    {"requirement": a.req_ids[i], "units": int(u), "weight": float(a.req_weight[i])}
                    for i, u in zip(
                        who[rank][:max_takers].tolist(), units[rank][:max_takers].tolist(), strict=True
                    )
                ]
                entry["reason"] = "taken_by_higher_weight"
                entry["takers"] = takers
                entry["taker_count"] = int(who.size)
                listed = ", ".join(
                    f"{t['requirement']} ({_n(t['units'])}, weight {_fmt(t['weight'])})" for t in takers[:5]
                )
                more = f" and {who.size - 5} more" if who.size > 5 else ""
                entry["sentence"] = (
                    f"{rid} (weight {_fmt(float(a.req_weight[r]))}) is short by {_n(int(unmet[r]))}: the "
                    f"{_n(int(units.sum()))} of compatible offers that would be worth something to it went "
                    f"to requirements where they are worth more: {listed}{more}."
                )
            elif useful.size < offers.size:
                late = offers[worth <= 0]
                own = (
                    f"it receives all {_n(int(a.off_qty[useful].sum()), 'worthwhile unit')}; "
                    if useful.size
                    else ""
                )
                entry["reason"] = "too_late"
                entry["sentence"] = (
                    f"{rid} is short by {_n(int(unmet[r]))}: {own}the other {_n(int(a.off_qty[late].sum()))} "
                    f"of accepted types arrive too late or cost too much to be worth anything for it "
                    f"(needed by period {n_r}, the earliest of them available in period "
                    f"{int(a.off_avail[late].min())})."
                )
            else:
                entry["reason"] = "insufficient_supply"
                entry["sentence"] = (
                    f"{rid} is short by {_n(int(unmet[r]))}: it receives every one of the "
                    f"{_n(int(a.off_qty[offers].sum()))} offered of its accepted types."
                )
        out.append(entry)
    return out


def explain_allocations(problem: Problem, result: Result, *, max_displaced: int = 5) -> list[dict[str, Any]]:
    """One entry per allocation: ``requirement``, ``offer``, ``quantity``, ``displaced``
    (ids of other short requirements that would have valued the offer, most valuable
    first, at most ``max_displaced``), ``displaced_count`` and ``sentence``."""
    a = problem.arrays
    s = scale_problem(a)
    lam = s.penalty
    unmet = unmet_array(problem, result)
    a_req, a_off, a_qty = allocation_arrays(problem, result)
    n_types = len(a.type_names)
    short = unmet > 0
    # Short requirements per accepted type.
    rt_req = a.rt_req
    rt_short = short[rt_req]
    sr_type = a.rt_type[rt_short]
    sr_req = rt_req[rt_short]
    srt = np.argsort(sr_type, kind="stable")
    sr_type, sr_req = sr_type[srt], sr_req[srt]
    sr_start = np.searchsorted(sr_type, np.arange(n_types + 1))

    # Offers of one type with the same availability and cost have the same competitors, so
    # evaluate each distinct (type, available_from, cost) once, as a small matrix per type.
    o_type = a.off_type[a_off]
    o_avail = a.off_avail[a_off]
    o_cost = s.cost[a_off]
    displaced: list[list[int]] = [[] for _ in range(a_req.size)]
    counts = np.zeros(a_req.size, dtype=np.int64)
    if a_req.size:
        combo_key = np.stack([o_type, o_avail, o_cost], axis=1)
        combos, inverse = np.unique(combo_key, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        members: list[IntArray] = np.split(
            np.argsort(inverse, kind="stable"), np.cumsum(np.bincount(inverse))[:-1]
        )
        for (t, av, c), idx in zip(combos.tolist(), members, strict=True):
            cand = sr_req[sr_start[t] : sr_start[t + 1]]
            if cand.size == 0:
                continue
            worth = s.weight[cand] - lam * np.maximum(0, av - a.req_need[cand]) - c
            keep = worth > 0
            cand, worth = cand[keep], worth[keep]
            if cand.size == 0:
                continue
            ranked = cand[np.lexsort((cand, -worth))].tolist()
            ranked_set = set(ranked)
            top = ranked[: max_displaced + 1]
            for i in idx.tolist():
                own = int(a_req[i])
                displaced[i] = [x for x in top if x != own][:max_displaced]
                counts[i] = len(ranked) - (own in ranked_set)
    out: list[dict[str, Any]] = []
    ids, oids = a.req_ids, a.off_ids
    for i, (r, o, q) in enumerate(zip(a_req.tolist(), a_off.tolist(), a_qty.tolist(), strict=True)):
        names = [ids[x] for x in displaced[i]]
        n = int(counts[i])
        if n:
            sentence = (
                f"{_n(q)} of {oids[o]} went to {ids[r]}; {_n(n, 'other requirement')} left short also "
                f"wanted them: {_id_list(names)}{'' if n <= len(names) else f' (of {n})'}."
            )
        else:
            sentence = f"{_n(q)} of {oids[o]} went to {ids[r]}; no requirement left short wanted them."
        out.append(
            {
                "requirement": ids[r],
                "offer": oids[o],
                "quantity": q,
                "displaced": names,
                "displaced_count": n,
                "sentence": sentence,
            }
        )
    return out


def explain(problem: Problem, result: Result) -> dict[str, Any]:
    """``{"shortfalls": explain_shortfalls(...), "allocations": explain_allocations(...)}``."""
    return {
        "shortfalls": explain_shortfalls(problem, result),
        "allocations": explain_allocations(problem, result),
    }
