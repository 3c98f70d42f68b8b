"""What-if scenarios on the offer side, and comparison of two results.

A scenario is a JSON object with any of::

    {"name": "Donor X pulls out",
     "exclude_donors": ["X"],            # drop every offer of these donors
     "delay_donors": {"Y": 3},           # postpone their offers by this many periods
     "scale_donors": {"Z": 0.5},         # multiply their quantities (rounded down)
     "add_offers": [{...offer...}]}      # new offers (validated like the problem's)

Semantics, in this order: ``add_offers`` are appended first (so the other keys may name
their donors and apply to them too); then excluded donors' offers are removed; delayed
offers whose new ``available_from`` falls beyond the horizon (``> periods - 1``) are
**dropped** - they will not arrive within the planning horizon, and clamping them to the
last period would pretend they do; scaled quantities are ``floor(quantity * factor)``
(with a 1e-9 tolerance so that 0.29 * 100 gives 29).  Naming a donor that has no offer is
an error (most likely a typo), as is any unknown key.

An added offer must be of an item type the problem knows (one a requirement accepts or an
offer has: any other type could change nothing, so it is a typo) and from a known donor
(one with an offer in the problem, or one the caller declares, e.g. the problem file's
optional ``"donors"`` list), with a positive quantity: a hypothetical offer from donor
``"XXX"`` of item ``"NOPE-XYZ"`` is refused, not silently solved as the baseline.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Collection, Mapping
from typing import Any

import numpy as np

from .io import OFFER_FIELDS, columns_of
from .model import (
    Problem,
    ProblemArrays,
    ProblemError,
    Result,
    build_arrays,
    element_label,
    number,
    show,
    unmet_array,
)

SCENARIO_KEYS = ("name", "exclude_donors", "delay_donors", "scale_donors", "add_offers")


def _added_offers(
    a: ProblemArrays,
    items: Any,
    *,
    donors: Collection[str] | None = None,
    item_types: Collection[str] | None = None,
) -> ProblemArrays:
    """Validate ``add_offers`` and append them to ``a``'s offers."""
    ids, donors_col, types, qty, avail = columns_of(items, "add_offers", OFFER_FIELDS)
    costs = [o.get("unit_cost", 0) for o in items]
    # Validated on their own (no requirements) so that messages name add_offers[i].
    extra = build_arrays(
        a.periods,
        a.lateness_penalty,
        [],
        [],
        [],
        [],
        [],
        ids,
        donors_col,
        types,
        qty,
        avail,
        costs,
        offer_kind="add_offers",
    )
    known_donors = set(a.off_donor) if donors is None else set(donors) | set(a.off_donor)
    known_types = set(a.type_names) if item_types is None else set(item_types) | set(a.type_names)
    for i, ident in enumerate(extra.off_ids):
        label = element_label("add_offers", i, ident)
        if extra.off_donor[i] not in known_donors:
            raise ProblemError(f"{label}: unknown donor {show(extra.off_donor[i])}")
        if extra.type_names[extra.off_type[i]] not in known_types:
            raise ProblemError(
                f"{label}: unknown item type {show(extra.type_names[extra.off_type[i]])} "
                "(no requirement accepts it and no offer has it)"
            )
        if extra.off_qty[i] <= 0:
            raise ProblemError(f"{label}: quantity must be a positive integer, got {int(extra.off_qty[i])}")
    existing = a.off_index
    for i, ident in enumerate(extra.off_ids):
        if ident in existing:
            raise ProblemError(f"duplicate offer id {show(ident)} at add_offers[{i}]")
    names = list(a.type_names)
    code = {t: i for i, t in enumerate(names)}
    for t in extra.type_names:
        if t not in code:
            code[t] = len(names)
            names.append(t)
    remap = np.array([code[t] for t in extra.type_names], dtype=np.int64)
    return dataclasses.replace(
        a,
        type_names=names,
        off_ids=a.off_ids + extra.off_ids,
        off_donor=a.off_donor + extra.off_donor,
        off_type=np.concatenate([a.off_type, remap[extra.off_type]]),
        off_qty=np.concatenate([a.off_qty, extra.off_qty]),
        off_avail=np.concatenate([a.off_avail, extra.off_avail]),
        off_cost=np.concatenate([a.off_cost, extra.off_cost]),
    )


def _donor_map(scenario: Mapping[str, Any], key: str, donors: set[str]) -> dict[str, Any]:
    value = scenario.get(key, {})
    if not isinstance(value, dict):
        raise ProblemError(
            f"scenario: {key} must be an object mapping donor to value, got {show(value)[:60]}"
        )
    for donor in value:
        if donor not in donors:
            raise ProblemError(f"scenario: {key}: unknown donor {show(donor)}")
    return value


def apply_scenario(
    problem: Problem,
    scenario: Mapping[str, Any],
    *,
    donors: Collection[str] | None = None,
    item_types: Collection[str] | None = None,
) -> Problem:
    """The problem as it would be under ``scenario`` (requirements are unchanged).

    ``donors`` and ``item_types`` add to the donors and item types the problem itself knows
    (its offers' donors; the types its requirements accept and its offers have) what an added
    offer may name. Raises :class:`ProblemError` for a malformed scenario, an unknown donor or
    item type, or an added offer without a positive quantity.
    """
    if not isinstance(scenario, Mapping):
        raise ProblemError(f"scenario must be a JSON object, got {show(scenario)[:60]}")
    for key in scenario:
        if key not in SCENARIO_KEYS:
            raise ProblemError(f"scenario: unknown key {show(key)} (expected {', '.join(SCENARIO_KEYS)})")
    name = scenario.get("name")
    if name is not None and not isinstance(name, str):
        raise ProblemError(f"scenario: name must be a string, got {show(name)}")
    a = problem.arrays
    if "add_offers" in scenario:
        a = _added_offers(a, scenario["add_offers"], donors=donors, item_types=item_types)
    donors = set(a.off_donor)

    exclude = scenario.get("exclude_donors", [])
    if not isinstance(exclude, list) or not all(isinstance(d, str) for d in exclude):
        raise ProblemError(
            f"scenario: exclude_donors must be a list of donor names, got {show(exclude)[:60]}"
        )
    for d in exclude:
        if d not in donors:
            raise ProblemError(f"scenario: exclude_donors: unknown donor {show(d)}")
    delay = _donor_map(scenario, "delay_donors", donors)
    for d, v in delay.items():
        if type(v) is not int or v < 0:
            raise ProblemError(
                f"scenario: delay_donors[{show(d)}] must be a non-negative integer, got {show(v)}"
            )
    scale = _donor_map(scenario, "scale_donors", donors)
    for d, v in scale.items():
        if type(v) not in (int, float) or not math.isfinite(v) or v < 0:
            raise ProblemError(
                f"scenario: scale_donors[{show(d)}] must be a non-negative number, got {show(v)}"
            )

    keep = np.ones(a.n_offers, dtype=bool)
    avail = a.off_avail
    qty = a.off_qty
    if exclude:
        excluded = set(exclude)
        keep &= ~np.fromiter((d in excluded for d in a.off_donor), dtype=bool, count=a.n_offers)
    if delay:
        shift = np.fromiter((delay.get(d, 0) for d in a.off_donor), dtype=np.int64, count=a.n_offers)
        avail = avail + shift
        keep &= avail <= a.periods - 1
    if scale:
        factor = np.fromiter((scale.get(d, 1.0) for d in a.off_donor), dtype=np.float64, count=a.n_offers)
        qty = np.floor(qty * factor + 1e-9).astype(np.int64)
    idx = np.flatnonzero(keep)
    ids, donor_list = a.off_ids, a.off_donor
    if idx.size != a.n_offers:
        ids = [ids[i] for i in idx.tolist()]
        donor_list = [donor_list[i] for i in idx.tolist()]
    new = dataclasses.replace(
        a,
        off_ids=ids,
        off_donor=donor_list,
        off_type=a.off_type[idx],
        off_qty=qty[idx],
        off_avail=avail[idx],
        off_cost=a.off_cost[idx],
    )
    return Problem.from_arrays(new)


def _difference(x: float, y: float) -> float:
    # Objectives are exact in their decimal scale; avoid printing 0.30000000000000004.
    d = x - y
    return d if isinstance(d, int) else round(d, 6)


def _coverage(required: int, baseline: float, scenario: float) -> dict[str, Any]:
    def ratio(x: float) -> float:
        return 1.0 if required == 0 else round(x / required, 6)

    return {
        "required": required,
        "baseline_allocated": baseline,
        "scenario_allocated": scenario,
        "baseline_coverage": ratio(baseline),
        "scenario_coverage": ratio(scenario),
        "change": round(ratio(scenario) - ratio(baseline), 6),
    }


def compare(
    baseline_problem: Problem,
    baseline_result: Result,
    scenario_problem: Problem,
    scenario_result: Result,
    *,
    requirement_meta: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """How the scenario changes each requirement's shortfall and the coverage.

    Returns ``{"objective": {...}, "summary": {...}, "requirements": [...],
    "coverage": {"overall": {...}, "by": {key: {value: {...}}}}}``.  ``requirements``
    lists every requirement whose unmet quantity changes (worse first, largest increase
    first) with ``status`` one of ``newly_short``, ``shorter``, ``less_short``,
    ``recovered``.  Coverage is allocated / required units, baseline vs scenario, overall
    and grouped by every key found in ``requirement_meta`` (requirement id -> {key: value});
    requirements without a value for a key are grouped under ``"(unspecified)"``.
    """
    a = baseline_problem.arrays
    required = a.req_qty
    b_unmet = unmet_array(baseline_problem, baseline_result)
    s_unmet = np.fromiter(
        (scenario_result.unmet.get(r, q) for r, q in zip(a.req_ids, required.tolist(), strict=True)),
        dtype=np.float64,
        count=a.n_requirements,
    )
    changes: list[dict[str, Any]] = []
    for i in np.flatnonzero(s_unmet != b_unmet).tolist():
        b, s = number(float(b_unmet[i])), number(float(s_unmet[i]))
        if s > b:
            status = "newly_short" if b == 0 else "shorter"
        else:
            status = "recovered" if s == 0 else "less_short"
        changes.append(
            {
                "requirement": a.req_ids[i],
                "needed_by": int(a.req_need[i]),
                "required": int(required[i]),
                "baseline_unmet": b,
                "scenario_unmet": s,
                "change": number(s - b),
                "status": status,
            }
        )
    changes.sort(key=lambda c: (-c["change"], c["requirement"]))
    b_alloc = required - b_unmet
    s_alloc = required - s_unmet
    by: dict[str, dict[str, dict[str, Any]]] = {}
    if requirement_meta:
        keys = sorted({k for m in requirement_meta.values() for k in m})
        for key in keys:
            groups: dict[str, list[int]] = {}
            for i, r in enumerate(a.req_ids):
                value = requirement_meta.get(r, {}).get(key)
                groups.setdefault("(unspecified)" if value is None else str(value), []).append(i)
            by[key] = {
                value: _coverage(
                    int(required[idx].sum()),
                    number(float(b_alloc[idx].sum())),
                    number(float(s_alloc[idx].sum())),
                )
                for value, idx in sorted(groups.items())
            }
    return {
        "objective": {
            "baseline": baseline_result.objective,
            "scenario": scenario_result.objective,
            "change": _difference(scenario_result.objective, baseline_result.objective),
        },
        "summary": {
            "newly_short": sum(c["status"] == "newly_short" for c in changes),
            "shorter": sum(c["status"] == "shorter" for c in changes),
            "less_short": sum(c["status"] == "less_short" for c in changes),
            "recovered": sum(c["status"] == "recovered" for c in changes),
            "additional_unmet_units": number(float((s_unmet - b_unmet).sum())),
            "allocated_units": {
                "baseline": number(float(b_alloc.sum())),
                "scenario": number(float(s_alloc.sum())),
            },
        },
        "requirements": changes,
        "coverage": {
            "overall": _coverage(
                int(required.sum()), number(float(b_alloc.sum())), number(float(s_alloc.sum()))
            ),
            "by": by,
        },
    }
