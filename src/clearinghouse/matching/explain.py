"""Explanations of a result, computed from the problem and the result alone.

For every requirement left short (``unmet > 0``) one reason:

* ``"no_compatible_offer"`` – no offer (with units) of any accepted type exists;
* offers that would be worth something to it exist, but their units went to other
  requirements (``takers``, ranked by units taken). Each taker is compared with the short
  requirement on the very units it received (worth = weight − λ × months late − unit cost):

  - ``"higher_weight"`` – worth more to the taker, whose weight is higher;
  - ``"less_late"`` – worth more to the taker although its weight is not higher: the units
    arrive after the short requirement's needed-by period and less late (or on time) for
    the taker, whose need comes later;
  - ``"tie"`` – worth exactly as much to both: an alternative optimum gives those units to
    the short requirement instead, with the same total worth;
  - ``"worth_less"`` – worth less to the taker (only in a non-optimal, e.g. greedy, result).

  The reason is ``"taken_by_higher_weight"``, ``"taken_where_less_late"``, ``"tie"`` or
  ``"taken_by_lower_worth"`` when every taker stands in that one relation, and
  ``"taken_by_others"`` when they differ (each taker then names its own). "Higher weight"
  is only ever said of a weight that is strictly higher;
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
from .model import (
    FloatArray,
    IntArray,
    Problem,
    ProblemArrays,
    Result,
    allocation_arrays,
    number,
    provided_array,
    unmet_array,
)


def _n(count: float, noun: str = "unit") -> str:
    """``1 unit`` / ``3 units``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _factors_of(a: ProblemArrays, r: int) -> FloatArray:
    """Factors of requirement ``r``'s accepted types (1 each without factors)."""
    lo, hi = int(a.rt_ptr[r]), int(a.rt_ptr[r + 1])
    if a.rt_factor is None:
        return np.ones(hi - lo, dtype=np.float64)
    return a.rt_factor[lo:hi]


def _fmt(value: float) -> str:
    return f"{value:g}"


def _id_list(ids: list[str], limit: int = 5) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


# How a taker stands to the short requirement on the units it received (codes sort the
# relations in the order a sentence names them).
HIGHER_WEIGHT, LESS_LATE, TIE, WORTH_LESS = 0, 1, 2, 3
RELATIONS = ("higher_weight", "less_late", "tie", "worth_less")
_REASON = {
    "higher_weight": "taken_by_higher_weight",
    "less_late": "taken_where_less_late",
    "tie": "tie",
    "worth_less": "taken_by_lower_worth",
}
_ALTERNATIVE = "an alternative optimum gives {what} to {rid} instead, with the same total worth"


def _taker_text(t: dict[str, Any], *, annotate: bool) -> str:
    facts = f"{_n(t['units'])}, weight {_fmt(t['weight'])}"
    if t["relation"] == "less_late":
        facts += f", needed by period {t['needed_by']}"
    if annotate:
        facts += {
            "higher_weight": ": higher weight",
            "less_late": ": less late there",
            "tie": ": worth as much there, a tie",
            "worth_less": ": worth less there",
        }[t["relation"]]
    return f"{t['requirement']} ({facts})"


def _takers(
    entry: dict[str, Any],
    a: Any,
    s: Any,
    r: int,
    allocs: IntArray,
    worth_here: IntArray,
    a_off: IntArray,
    a_req: IntArray,
    a_qty: IntArray,
    max_takers: int,
) -> None:
    """Fill ``entry`` for a requirement whose worthwhile compatible units went to others.

    ``allocs`` are those allocations and ``worth_here`` what each unit would be worth to
    requirement ``r`` (in the engine's exact integer scale).
    """
    rid = a.req_ids[r]
    w = int(s.weight[r])
    n_r = int(a.req_need[r])
    o = a_off[allocs]
    t = a_req[allocs]
    worth_there = s.weight[t] - s.penalty * np.maximum(0, a.off_avail[o] - a.req_need[t]) - s.cost[o]
    delta = worth_there - worth_here
    rel = np.where(
        delta == 0,
        TIE,
        np.where(delta < 0, WORTH_LESS, np.where(s.weight[t] > w, HIGHER_WEIGHT, LESS_LATE)),
    ).astype(np.int64)
    keys, inv = np.unique(t * len(RELATIONS) + rel, return_inverse=True)
    units = np.zeros(keys.size, dtype=np.int64)
    np.add.at(units, inv.reshape(-1), a_qty[allocs])
    who, how = keys // len(RELATIONS), keys % len(RELATIONS)
    rank = np.lexsort((how, who, -units))
    takers = [
        {
            "requirement": a.req_ids[i],
            "units": int(u),
            "weight": float(a.req_weight[i]),
            "needed_by": int(a.req_need[i]),
            "relation": RELATIONS[h],
        }
        for i, u, h in zip(
            who[rank][:max_takers].tolist(),
            units[rank][:max_takers].tolist(),
            how[rank][:max_takers].tolist(),
            strict=True,
        )
    ]
    relations = {RELATIONS[h] for h in how.tolist()}
    reason = _REASON[next(iter(relations))] if len(relations) == 1 else "taken_by_others"
    n_takers = int(np.unique(who).size)
    entry["reason"] = reason
    entry["takers"] = takers
    entry["taker_count"] = n_takers
    listed = ", ".join(_taker_text(x, annotate=len(relations) > 1) for x in takers[:5])
    more = f" and {len(keys) - 5} more" if len(keys) > 5 else ""
    short = f"is short by {_n(int(entry['unmet']))}"
    units_text = f"the {_n(int(units.sum()))} of compatible offers that would be worth something to it"
    head = f"{rid} (weight {_fmt(float(a.req_weight[r]))}) {short}: {units_text} went to"
    if reason == "taken_by_higher_weight":
        entry["sentence"] = (
            f"{head} requirements of higher weight, where they are worth more: {listed}{more}."
        )
    elif reason == "taken_where_less_late":
        entry["sentence"] = (
            f"{rid} (weight {_fmt(float(a.req_weight[r]))}, needed by period {n_r}) {short}: {units_text} "
            f"arrive after period {n_r}; they went to requirements needed later, for which they are "
            f"less late and worth more: {listed}{more}."
        )
    elif reason == "tie":
        entry["sentence"] = (
            f"{head} requirements for which they are worth exactly as much (a tie): {listed}{more}; "
            + _ALTERNATIVE.format(what="them", rid=rid)
            + "."
        )
    elif reason == "taken_by_lower_worth":
        entry["sentence"] = (
            f"{head} requirements for which they are worth less: {listed}{more} "
            "(the allocation is not optimal)."
        )
    else:
        entry["sentence"] = f"{head} other requirements: {listed}{more}."
        if "tie" in relations:
            entry["sentence"] += (
                " Where it is a tie, " + _ALTERNATIVE.format(what="those units", rid=rid) + "."
            )
        if "worth_less" in relations:
            entry["sentence"] += " Where they are worth less there, the allocation is not optimal."


def explain_shortfalls(problem: Problem, result: Result, *, max_takers: int = 10) -> list[dict[str, Any]]:
    """One entry per short requirement (input order).

    Each entry: ``requirement``, ``unmet``, ``needed_by``, ``reason``, ``sentence`` and,
    when units went to other requirements, ``takers`` (``[{"requirement", "units", "weight",
    "needed_by", "relation"}]``, most units first, at most ``max_takers``; a taker standing
    in two relations for different offers is listed once for each) and ``taker_count``
    (distinct requirements).
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
        short = number(float(unmet[r]))
        entry: dict[str, Any] = {"requirement": rid, "unmet": short, "needed_by": n_r}
        factors = _factors_of(a, r)
        if short < float(factors.min()):
            entry["reason"] = "whole_units"
            entry["sentence"] = (
                f"{rid} is short by {_n(short)}: less than one whole unit of any accepted type provides "
                "(allocations are whole units)."
            )
            out.append(entry)
            continue
        f_of_type = dict(zip(types.tolist(), factors.tolist(), strict=True))
        offers = np.concatenate([o_order[o_start[t] : o_start[t + 1]] for t in types.tolist()])
        if offers.size == 0:
            names = ", ".join(a.type_names[t] for t in types.tolist())
            entry["reason"] = "no_compatible_offer"
            entry["sentence"] = (
                f"{rid} is short by {_n(short)}: nobody offers any of its accepted types ({names})."
            )
            out.append(entry)
            continue
        f_off = np.fromiter((f_of_type[t] for t in a.off_type[offers].tolist()), np.float64, offers.size)
        worth = f_off * (w - lam * np.maximum(0, a.off_avail[offers] - n_r)) - s.cost[offers]
        useful = offers[worth > 0]
        spare = int(left[useful].sum())
        if useful.size and spare > 0:
            entry["reason"] = "unallocated_capacity"
            entry["sentence"] = (
                f"{rid} is short by {_n(short)} although {_n(spare, 'worthwhile unit')} of "
                "compatible offers were left unused (the allocation is not optimal)."
            )
        else:
            allocs = np.concatenate([al_order[al_start[t] : al_start[t + 1]] for t in types.tolist()])
            o = a_off[allocs]
            takers_r = a_req[allocs]
            f_o = np.fromiter((f_of_type[t] for t in a.off_type[o].tolist()), np.float64, o.size)
            worth_here = f_o * (w - lam * np.maximum(0, a.off_avail[o] - n_r)) - s.cost[o]
            good = (worth_here > 0) & (takers_r != r)
            if good.any():
                _takers(entry, a, s, r, allocs[good], worth_here[good], a_off, a_req, a_qty, max_takers)
            elif useful.size < offers.size:
                late = offers[worth <= 0]
                own = (
                    f"it receives all {_n(int(a.off_qty[useful].sum()), 'worthwhile unit')}; "
                    if useful.size
                    else ""
                )
                entry["reason"] = "too_late"
                entry["sentence"] = (
                    f"{rid} is short by {_n(short)}: {own}the other {_n(int(a.off_qty[late].sum()))} "
                    f"of accepted types arrive too late or cost too much to be worth anything for it "
                    f"(needed by period {n_r}, the earliest of them available in period "
                    f"{int(a.off_avail[late].min())})."
                )
            else:
                entry["reason"] = "insufficient_supply"
                entry["sentence"] = (
                    f"{rid} is short by {_n(short)}: it receives every one of the "
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
    prov = provided_array(problem, result)
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
                "provides": number(float(prov[i])),
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
