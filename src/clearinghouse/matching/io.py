"""JSON input/output of problems and results, with one-line validation errors.

Input document::

    {"periods": P, "lateness_penalty": λ,
     "requirements": [{"id", "item_types": [...] or {"CODE": factor, ...}, "quantity",
                       "weight", "needed_by"}],
     "offers": [{"id", "donor", "item_type", "quantity", "available_from", "unit_cost"?}]}

Unknown extra fields are ignored (so callers may carry metadata such as a requirement's
``"meta"`` object).  An offer of a type no requirement accepts is legal; it is simply
never used.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson

from .model import (
    AllocationTable,
    FloatArray,
    Problem,
    ProblemArrays,
    ProblemError,
    Result,
    build_arrays,
    number,
    show,
)

__all__ = [
    "ProblemError",
    "columns_of",
    "load_problem",
    "parse_problem_bytes",
    "problem_to_dict",
    "result_to_dict",
]

REQUIREMENT_FIELDS = ("id", "item_types", "quantity", "weight", "needed_by")
OFFER_FIELDS = ("id", "donor", "item_type", "quantity", "available_from")
TOP_FIELDS = ("periods", "lateness_penalty", "requirements", "offers")


def columns_of(items: Any, kind: str, fields: Sequence[str]) -> list[Sequence[Any]]:
    """Split a JSON list of objects into one column (list of values) per field.

    The happy path runs in C (one ``map(itemgetter(field))`` per field, which is faster
    than building row tuples and transposing them); only when something is missing do we
    walk the list to name the first bad element.
    """
    if not isinstance(items, list):
        raise ProblemError(f"{kind} must be a list, got {show(items)[:60]}")
    try:
        return [list(map(operator.itemgetter(name), items)) for name in fields]
    except (KeyError, TypeError, IndexError):
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise ProblemError(f"{kind}[{i}]: must be an object, got {show(item)[:60]}") from None
            for name in fields:
                if name not in item:
                    ident = item.get("id")
                    suffix = f" (id {show(ident)})" if isinstance(ident, str) else ""
                    raise ProblemError(f'{kind}[{i}]: missing field "{name}"{suffix}') from None
        raise


def load_problem(data: Any) -> Problem:
    """Validate a decoded JSON document and build a :class:`Problem`.

    Raises :class:`ProblemError` with a one-line message naming the element at fault.
    """
    if not isinstance(data, dict):
        raise ProblemError(f"problem must be a JSON object, got {show(data)[:60]}")
    for name in TOP_FIELDS:
        if name not in data:
            raise ProblemError(f'missing field "{name}"')
    r_ids, r_types, r_qty, r_weight, r_need = columns_of(
        data["requirements"], "requirements", REQUIREMENT_FIELDS
    )
    o_ids, o_donor, o_type, o_qty, o_avail = columns_of(data["offers"], "offers", OFFER_FIELDS)
    try:
        costs = list(map(operator.itemgetter("unit_cost"), data["offers"]))
    except KeyError:  # unit_cost is optional (default 0)
        costs = list(map(operator.methodcaller("get", "unit_cost", 0), data["offers"]))
    arrays = build_arrays(
        data["periods"],
        data["lateness_penalty"],
        r_ids,
        r_types,
        r_qty,
        r_weight,
        r_need,
        o_ids,
        o_donor,
        o_type,
        o_qty,
        o_avail,
        costs,
    )
    return Problem.from_arrays(arrays)


def parse_problem_bytes(raw: bytes | str) -> Problem:
    """Parse and validate a JSON problem document."""
    return load_problem(loads(raw))


def loads(raw: bytes | str) -> Any:
    """``orjson.loads`` with decoding errors turned into a one-line :class:`ProblemError`."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ProblemError("invalid JSON: " + " ".join(str(exc).split())) from None


def _numbers(values: FloatArray) -> list[Any]:
    # Integral columns are written as JSON integers so that "weight": 1000 round-trips
    # as 1000 rather than 1000.0.
    if values.size and np.all(values == np.rint(values)) and np.all(np.abs(values) < 2**53):
        return values.astype(np.int64).tolist()  # type: ignore[no-any-return]  # numpy types tolist() as Any
    return values.tolist()  # type: ignore[no-any-return]  # numpy types tolist() as Any


def _number(value: float) -> float:
    return int(value) if float(value).is_integer() else value


def problem_to_dict(problem: Problem) -> dict[str, Any]:
    """The JSON document of a problem (inverse of :func:`load_problem`)."""
    a: ProblemArrays = problem.arrays
    names = a.type_names
    flat = [names[t] for t in a.rt_type.tolist()]
    ptr = a.rt_ptr.tolist()
    types: list[Any] = [flat[ptr[i] : ptr[i + 1]] for i in range(a.n_requirements)]
    if a.rt_factor is not None:
        fac = [number(f) for f in a.rt_factor.tolist()]
        types = [dict(zip(t, fac[ptr[i] : ptr[i + 1]], strict=True)) for i, t in enumerate(types)]
    requirements = [
        {"id": r, "item_types": t, "quantity": q, "weight": w, "needed_by": n}
        for r, t, q, w, n in zip(
            a.req_ids, types, a.req_qty.tolist(), _numbers(a.req_weight), a.req_need.tolist(), strict=True
        )
    ]
    offers = [
        {"id": o, "donor": d, "item_type": names[t], "quantity": q, "available_from": f, "unit_cost": c}
        for o, d, t, q, f, c in zip(
            a.off_ids,
            a.off_donor,
            a.off_type.tolist(),
            a.off_qty.tolist(),
            a.off_avail.tolist(),
            _numbers(a.off_cost),
            strict=True,
        )
    ]
    return {
        "periods": a.periods,
        "lateness_penalty": _number(a.lateness_penalty),
        "requirements": requirements,
        "offers": offers,
    }


def result_to_dict(result: Result, *, timings: bool = False) -> dict[str, Any]:
    """The JSON document of a result.

    Exactly ``status``, ``objective``, ``bound``, ``gap`` (bound − objective, ``null`` without
    a bound), ``allocations`` (list of ``{"requirement", "offer", "quantity", "provides"}``,
    ``provides`` = quantity × factor in the requirement's units) and ``unmet`` (one
    ``{"requirement", "quantity"}`` per requirement, in input order, in the requirement's
    units); ``timings`` is
    added only on request because it differs from run to run.
    """
    allocs = result.allocations
    if isinstance(allocs, AllocationTable):
        rid, oid = allocs.req_ids, allocs.off_ids
        prov = (
            allocs.qty.tolist() if allocs.provides is None else [number(p) for p in allocs.provides.tolist()]
        )
        allocations = [
            {"requirement": rid[r], "offer": oid[o], "quantity": q, "provides": p}
            for r, o, q, p in zip(
                allocs.req.tolist(), allocs.off.tolist(), allocs.qty.tolist(), prov, strict=True
            )
        ]
    else:
        allocations = [
            {
                "requirement": a.requirement,
                "offer": a.offer,
                "quantity": a.quantity,
                "provides": number(a.provided),
            }
            for a in allocs
        ]
    out: dict[str, Any] = {
        "status": result.status,
        "objective": result.objective,
        "bound": result.bound,
        "gap": result.gap,
        "allocations": allocations,
        "unmet": [{"requirement": r, "quantity": q} for r, q in result.unmet.items()],
    }
    if timings:
        out["timings"] = {k: round(v, 4) for k, v in result.timings.items()}
    return out
