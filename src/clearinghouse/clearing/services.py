"""Clearing house services: build the matching problem from the database, run it (or a what-if
scenario of it), store the run, and accept its proposals as allocations.

Priorities become weights by this table (worth per unit served on time). The lateness penalty is
the worth lost per unit for every month an offer arrives after the requirement's needed-by month;
early arrival costs nothing. With the defaults a critical need is still worth serving up to 9
months late, a high one up to 3, a medium one 1, and a low one only on time.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import time
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from typing import Any

import orjson
from django.db import connection, transaction
from django.db.models import Q

from clearinghouse.catalog.models import CapabilityArea
from clearinghouse.clearing import pipeline
from clearinghouse.clearing.choices import ProposalState, RunKind
from clearinghouse.clearing.models import ClearingRun, Proposal, RoadmapTarget
from clearinghouse.clearing.scenario_input import Horizon, clean_scenario
from clearinghouse.core import audit, cleaning, clock
from clearinghouse.core.actors import Actor, signed_in
from clearinghouse.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from clearinghouse.core.humanize import count_of
from clearinghouse.core.metrics import observe_solve
from clearinghouse.governance.choices import BodyKind
from clearinghouse.governance.models import Body
from clearinghouse.matching import explain as engine_explain
from clearinghouse.matching import scenario as engine_scenario
from clearinghouse.matching.engine import solve
from clearinghouse.matching.io import load_problem, result_to_dict
from clearinghouse.matching.model import ProblemError
from clearinghouse.participants.permissions import is_coordination_cell
from clearinghouse.pledges import services as pledge_services
from clearinghouse.pledges.models import Pledge
from clearinghouse.requirements import consumption
from clearinghouse.requirements.equivalence import format_factor
from clearinghouse.requirements.models import Requirement, from_milli
from clearinghouse.requirements.reasons import stated_reason, with_reason

PRIORITY_WEIGHTS: dict[str, int] = {"critical": 1000, "high": 400, "medium": 150, "low": 50}
DEFAULT_LATENESS_PENALTY = 100
MAX_PERIODS = 120
# Pledges the clearing house may still place: not yet allocated in full, not ended.
MATCHABLE_PLEDGE_STATUSES = ("offered", "accepted", "committed")


def month_index(origin: dt.date, day: dt.date) -> int:
    """Whole months from the origin's month to the day's month (negative in the past)."""
    return (day.year - origin.year) * 12 + (day.month - origin.month)


def _require_cell(actor: Actor) -> None:
    if ClearingRun.write_q(actor, "change") is None:
        raise PermissionDenied(
            "Only the coordination cell runs the clearing house and accepts its proposals."
        )


def req_key(pk: int) -> str:
    return f"R{pk}"


def offer_key(pk: int) -> str:
    return f"P{pk}"


@dataclass
class BuiltProblem:
    """The engine input built from the database, and what each element stood for then."""

    problem: dict[str, Any]
    requirements: dict[str, dict[str, Any]]
    offers: dict[str, dict[str, Any]]
    origin: dt.date
    digest: str = field(default="")


@dataclass(frozen=True)
class Scope:
    """A coalition's scope: requirements in its capability areas, pledges of its members."""

    coalition: str
    capabilities: tuple[str, ...]
    donors: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "coalition": self.coalition,
            "capabilities": list(self.capabilities),
            "donors": list(self.donors),
        }


def coalition_scope(code: str) -> Scope:
    """The scope of coalition `code`: its roadmap's capability areas and today's members."""
    body = Body.objects.filter(code=str(code).lower(), kind=BodyKind.COALITION).first()
    if body is None:
        raise InvalidInput(f"coalition: unknown coalition {code!r}", field="coalition")
    capabilities = tuple(
        sorted(set(RoadmapTarget.objects.filter(body=body).values_list("capability__code", flat=True)))
    )
    if not capabilities:
        raise InvalidInput(f"coalition: {body.code} has no roadmap yet", field="coalition")
    donors = tuple(sorted(m.participant.code for m in body.members_on()))
    return Scope(coalition=body.code, capabilities=capabilities, donors=donors)


def build_problem(
    *,
    on: dt.date | None = None,
    lateness_penalty: float = DEFAULT_LATENESS_PENALTY,
    scope: Scope | None = None,
) -> BuiltProblem:
    """Open requirement residuals and unallocated units of in-kind pledges, as an engine problem.

    Periods are calendar months from the month of `on` (period 0); a needed-by date in the past
    counts as period 0, and the horizon is capped at MAX_PERIODS months.
    """
    on = on or clock.today()
    origin = on.replace(day=1)
    requirements = Requirement.objects.filter(cancelled=False)
    pledges = Pledge.objects.filter(
        kind="in_kind", status__in=MATCHABLE_PLEDGE_STATUSES, item_type__isnull=False
    )
    if scope is not None:
        requirements = requirements.filter(capability__code__in=scope.capabilities)
        pledges = pledges.filter(
            owner__code__in=scope.donors, item_type__capability__code__in=scope.capabilities
        )
    reqs = _requirement_elements(requirements)
    offers = _offer_elements(pledges)
    months = [
        month_index(origin, dt.date.fromisoformat(v["needed_by"])) for v in reqs.values() if v["needed_by"]
    ]
    months += [month_index(origin, dt.date.fromisoformat(v["available_from"])) for v in offers.values()]
    periods = min(MAX_PERIODS, max([0, *months]) + 1)

    def period(day: str | None) -> int:
        if day is None:
            return periods - 1
        return min(periods - 1, max(0, month_index(origin, dt.date.fromisoformat(day))))

    problem = {
        "periods": periods,
        "lateness_penalty": lateness_penalty,
        "requirements": [
            {
                "id": key,
                "item_types": _engine_item_types(v["factors"]),
                "quantity": v["quantity"],
                "weight": PRIORITY_WEIGHTS[v["priority"]],
                "needed_by": period(v["needed_by"]),
                "meta": {"capability": v["capability"], "priority": v["priority"]},
            }
            for key, v in reqs.items()
        ],
        "offers": [
            {
                "id": key,
                "donor": v["donor"],
                "item_type": v["item_type"],
                "quantity": v["quantity"],
                "available_from": period(v["available_from"]),
            }
            for key, v in offers.items()
        ],
    }
    built = BuiltProblem(problem=problem, requirements=reqs, offers=offers, origin=origin)
    built.digest = hashlib.sha256(orjson.dumps(problem, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return built


def _factors_by_requirement(requirements: Any) -> dict[int, list[tuple[str, Decimal]]]:
    """(code, catalog default factor) of every acceptable item type, by requirement, in one query."""
    through = Requirement.item_types.through
    out: dict[int, list[tuple[str, Decimal]]] = {}
    rows = through.objects.filter(requirement__in=requirements.values("pk")).values_list(
        "requirement_id", "itemtype__code", "itemtype__default_factor"
    )
    for pk, code, factor in rows:
        out.setdefault(pk, []).append((code, factor))
    return out


def _requirement_elements(requirements: Any) -> dict[str, dict[str, Any]]:
    """The open residual of every requirement as engine elements, read as values (no model objects:
    at 50,000 records building objects cost seconds); a consumption requirement (few) is read as an
    object and becomes one element per month (`_month_elements`)."""
    defaults = _factors_by_requirement(requirements)
    out: dict[str, dict[str, Any]] = {}
    rates: list[int] = []
    rows = requirements.order_by("pk").values_list(
        "pk",
        "quantity",
        "allocated_milli",
        "priority",
        "needed_by",
        "capability__code",
        "item_factors",
        "rate_per_month",
    )
    for pk, quantity, allocated_milli, priority, needed_by, capability, overrides, rate in rows:
        # What is still to cover, in the requirement's units; the engine counts whole units, so a
        # fraction left by earlier allocations at factors below 1 (8.5 of 10) is rounded down.
        residual = int(quantity - from_milli(allocated_milli))
        if residual <= 0:
            continue
        if rate is not None:
            rates.append(pk)
            continue
        overrides = overrides or {}
        factors = {
            code: Decimal(overrides[code]) if code in overrides else default
            for code, default in sorted(defaults.get(pk, []))
        }
        out[req_key(pk)] = {
            "pk": pk,
            "item_types": sorted(factors),
            "factors": {code: format_factor(f) for code, f in factors.items()},
            "quantity": residual,
            "priority": priority,
            # No needed-by date means no deadline: such a need is never served late.
            "needed_by": needed_by.isoformat() if needed_by else None,
            "capability": capability,
        }
    if rates:
        for r in Requirement.objects.filter(pk__in=rates).select_related("capability").order_by("pk"):
            out.update(_month_elements(r, r.factors()))
        out = dict(sorted(out.items(), key=lambda kv: (kv[1]["pk"], kv[0])))
    return out


def _offer_elements(pledges: Any) -> dict[str, dict[str, Any]]:
    """The unallocated units of every matchable in-kind pledge as engine offers, read as values."""
    offers: dict[str, dict[str, Any]] = {}
    rows = pledges.order_by("pk").values_list(
        "pk", "owner__code", "item_type__code", "quantity", "allocated_quantity", "available_from", "status"
    )
    for pk, donor, code, quantity, allocated, available_from, status in rows:
        residual = (quantity or 0) - allocated
        if residual <= 0 or code is None:
            continue
        offers[offer_key(pk)] = {
            "pk": pk,
            "donor": donor,
            "item_type": code,
            "quantity": residual,
            "available_from": available_from.isoformat(),
            "status": status,
        }
    return offers


def month_key(pk: int, month: dt.date) -> str:
    """The engine id of one month of a consumption requirement: ``R12@2027-03``."""
    return f"{req_key(pk)}@{consumption.month_text(month)}"


def _month_elements(r: Requirement, factors: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A consumption requirement as one engine requirement per month still short (quantity: what is
    short of the rate that month, needed by the month's first day); every element names its parent
    requirement (`pk`), so that results fold back to it. Months covered follow
    `requirements.consumption` (allocations fill months from their pledge's available month on)."""
    rows = consumption.month_table(
        rate=r.rate_per_month or 0,
        first=r.from_month or r.needed_by or clock.today(),
        last=r.to_month or r.from_month or clock.today(),
        allocations=[
            (a.pledge.available_from, int(a.provides)) for a in r.allocations.select_related("pledge")
        ],
    )
    return {
        month_key(r.pk, row.month): {
            "pk": r.pk,
            "item_types": sorted(factors),
            "factors": {code: format_factor(f) for code, f in factors.items()},
            "quantity": row.short,
            "priority": r.priority,
            "needed_by": row.month.isoformat(),
            "capability": r.capability.code,
            "month": row.label,
            "rate": _rate_of(r),
        }
        for row in rows
        if row.short > 0
    }


def _rate_of(r: Requirement) -> dict[str, Any]:
    return {"per_month": r.rate_per_month, "from": r.from_month_text, "to": r.to_month_text}


def _engine_item_types(factors: dict[str, str]) -> list[str] | dict[str, float]:
    """The engine's `item_types`: today's list where every factor is 1 (the exact min-cost flow, the
    same input digest as before factors), else {code: factor}."""
    if all(Decimal(f) == 1 for f in factors.values()):
        return sorted(factors)
    return {code: float(f) for code, f in sorted(factors.items())}


def _solve(problem_doc: dict[str, Any]) -> tuple[Any, Any, dict[str, Any], float]:
    started = time.perf_counter()
    try:
        problem = load_problem(problem_doc)
    except ProblemError as exc:
        raise InvalidInput(f"scenario: {exc}", field="scenario") from exc
    result = solve(problem)
    seconds = time.perf_counter() - started
    observe_solve(seconds)
    return problem, result, result_to_dict(result), seconds


def _meta(built: BuiltProblem) -> dict[str, dict[str, Any]]:
    return {
        k: {"capability": v["capability"], "priority": v["priority"]} for k, v in built.requirements.items()
    }


def run_matching(
    *,
    actor: Actor,
    lateness_penalty: float = DEFAULT_LATENESS_PENALTY,
    name: str = "",
    on: dt.date | None = None,
    coalition: str | None = None,
) -> ClearingRun:
    """Solve the matching of current offers to current needs and store the run with its proposals;
    with `coalition`, over that coalition's scope only (its members' pledges, its capability areas)."""
    _require_cell(actor)
    if lateness_penalty < 0:
        raise InvalidInput("The lateness penalty cannot be negative.", field="lateness_penalty")
    scope = coalition_scope(coalition) if coalition else None
    built_at = time.perf_counter()
    built = build_problem(on=on, lateness_penalty=lateness_penalty, scope=scope)
    build_seconds = time.perf_counter() - built_at
    problem, result, result_doc, solve_seconds = _solve(built.problem)
    explanations = engine_explain.explain(problem, result)
    displaced = {
        (e["requirement"], e["offer"]): e.get("sentence", "")
        for e in explanations.get("allocations", [])
        if e.get("displaced")
    }
    # The problem was built and solved outside any transaction (nothing locked meanwhile): the
    # run, its proposals and its audit event are written in one short transaction.
    with transaction.atomic():
        run = ClearingRun.objects.create(
            kind=RunKind.BASELINE,
            name=name or f"Run of {clock.now():%Y-%m-%d %H:%M}",
            created_by=signed_in(actor),
            origin=built.origin,
            parameters={
                "lateness_penalty": lateness_penalty,
                "weights": PRIORITY_WEIGHTS,
                "periods": built.problem["periods"],
                # What review and acceptance read back: every requirement (the page's shortfalls),
                # and the offers the run proposes (not all 50,000 pledges: the problem keeps those).
                "elements": {
                    "requirements": built.requirements,
                    "offers": _proposed_offers(built, result_doc),
                },
                **({"scope": scope.as_json()} if scope else {}),
            },
            input_digest=built.digest,
            problem=built.problem,
            status=result_doc["status"],
            objective=result_doc["objective"],
            bound=result_doc["bound"],
            result=result_doc,
            explanations=explanations,
            timings={"build_seconds": round(build_seconds, 4), "solve_seconds": round(solve_seconds, 4)},
        )
        insert_proposals(run, _folded_proposals(built, result_doc, displaced))
        audit.record(
            actor=actor,
            action="create",
            obj=run,
            after={
                "kind": run.kind,
                "input_digest": run.input_digest,
                "status": run.status,
                "objective": run.objective,
                "proposals": len(result_doc["allocations"]),
                "lateness_penalty": lateness_penalty,
                **({"coalition": scope.coalition} if scope else {}),
            },
        )
    return run


def _proposed_offers(built: BuiltProblem, result_doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The offers the run's allocations draw on, as they stood when the problem was built."""
    used = {a["offer"] for a in result_doc["allocations"]}
    return {key: v for key, v in built.offers.items() if key in used}


PROPOSAL_COLUMNS = ("requirement_id", "pledge_id", "quantity", "provides", "worth_per_unit", "displaced")


def insert_proposals(run: ClearingRun, rows: list[dict[str, Any]], *, batch_size: int = 5000) -> int:
    """Insert a run's proposals in a few statements (executemany of prepared values): at 50,000
    pledges a run proposes some 20,000 allocations, and building a model object per row and a
    statement per 90 rows (`bulk_create` on SQLite) cost seconds. Values are converted to each
    column's type (the exact decimal through its field's `get_db_prep_save`), so what is stored is
    what `bulk_create` would store."""
    meta = Proposal._meta
    field = meta.get_field("provides")
    prepared: dict[Decimal, Any] = {}

    def provides(value: Decimal) -> Any:
        if value not in prepared:
            prepared[value] = field.get_db_prep_save(value, connection)
        return prepared[value]

    columns = [
        str(getattr(meta.get_field(n), "column", n)) for n in ("run", *PROPOSAL_COLUMNS, "state", "reason")
    ]
    # Names from the model's own metadata, quoted; values as parameters.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        connection.ops.quote_name(meta.db_table),
        ", ".join(connection.ops.quote_name(c) for c in columns),
        ", ".join(["%s"] * len(columns)),
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            cursor.executemany(
                sql,
                [
                    (
                        run.pk,
                        int(row["requirement_id"]),
                        int(row["pledge_id"]),
                        int(row["quantity"]),
                        provides(row["provides"]),
                        float(row["worth_per_unit"]),
                        str(row["displaced"]),
                        ProposalState.PROPOSED.value,
                        "",
                    )
                    for row in rows[start : start + batch_size]
                ],
            )
    return len(rows)


def _folded_proposals(
    built: BuiltProblem, result_doc: dict[str, Any], displaced: dict[tuple[str, str], str]
) -> list[dict[str, Any]]:
    """The run's allocations as proposals, one per requirement and pledge: the months of a
    consumption requirement fold back into their requirement (quantities added, the worth per unit
    their weighted mean, the displacement sentences joined)."""
    worth = _worth_table(built.problem)
    folded: dict[tuple[int, int], dict[str, Any]] = {}
    for a in result_doc["allocations"]:
        key = (built.requirements[a["requirement"]]["pk"], built.offers[a["offer"]]["pk"])
        entry = folded.setdefault(
            key,
            {
                "requirement_id": key[0],
                "pledge_id": key[1],
                "quantity": 0,
                "provides": Decimal(0),
                "worth": 0.0,
                "displaced": [],
            },
        )
        entry["quantity"] += a["quantity"]
        entry["provides"] += Decimal(str(a["provides"]))
        entry["worth"] += worth(a["requirement"], a["offer"]) * a["quantity"]
        sentence = displaced.get((a["requirement"], a["offer"]), "")
        if sentence:
            entry["displaced"].append(sentence)
    return [
        {
            "requirement_id": e["requirement_id"],
            "pledge_id": e["pledge_id"],
            "quantity": e["quantity"],
            "provides": e["provides"],
            "worth_per_unit": e["worth"] / e["quantity"],
            "displaced": " ".join(e["displaced"]),
        }
        for e in folded.values()
    ]


def _worth_table(problem: dict[str, Any]) -> Any:
    """Worth of one offer unit to a requirement: f × (weight − λ × lateness) − unit cost."""
    reqs = {r["id"]: r for r in problem["requirements"]}
    offers = {o["id"]: o for o in problem["offers"]}
    lam = problem["lateness_penalty"]

    def worth(r: str, o: str) -> float:
        late = max(0, offers[o]["available_from"] - reqs[r]["needed_by"])
        types = reqs[r]["item_types"]
        f = float(types.get(offers[o]["item_type"], 1)) if isinstance(types, dict) else 1.0
        return float(f * (reqs[r]["weight"] - lam * late) - offers[o].get("unit_cost", 0))

    return worth


def run_scenario(
    *,
    actor: Actor,
    scenario: dict[str, Any],
    lateness_penalty: float = DEFAULT_LATENESS_PENALTY,
    on: dt.date | None = None,
) -> ClearingRun:
    """Solve a what-if scenario (donors excluded, delayed, scaled; packages stalled or delayed;
    hypothetical offers) against the current baseline, and store it with the comparison of coverage,
    of what becomes short, and of the pipeline taken back (`comparison["pipeline"]`, see
    `clearing.pipeline`)."""
    _require_cell(actor)
    built = build_problem(on=on, lateness_penalty=lateness_penalty)
    engine_sc, scenario = clean_scenario(
        scenario,
        horizon=Horizon(origin=built.origin, periods=built.problem["periods"]),
        pending_donors={o["donor"] for o in built.offers.values()},
    )
    base_problem, base_result, base_doc, base_seconds = _solve(built.problem)
    added = engine_sc.get("add_offers", [])
    # The whole pipeline: allocated but undelivered units of stalled or delayed donors and packages
    # are taken back (and, for a delay, offered again later) before the engine applies the scenario.
    disruption = pipeline.disruption_of(scenario)
    sc_base = base_problem
    if disruption or disruption.package_stalled or disruption.package_delay:
        sc_doc = pipeline.adjust_problem(
            built.problem, disruption, origin=built.origin, weights=PRIORITY_WEIGHTS
        )
        offered = {o["donor"] for o in sc_doc["offers"]}
        for key in ("exclude_donors", "delay_donors"):
            if key in scenario:
                wanted = scenario[key]
                engine_sc[key] = (
                    [c for c in wanted if c in offered]
                    if isinstance(wanted, list)
                    else {c: m for c, m in wanted.items() if c in offered}
                )
        sc_base = load_problem(sc_doc)
    try:
        sc_problem = engine_scenario.apply_scenario(
            sc_base,
            engine_sc,
            donors={o["donor"] for o in added},
            item_types={o["item_type"] for o in added},
        )
    except ProblemError as exc:
        raise InvalidInput(f"scenario: {exc}", field="scenario") from exc
    started = time.perf_counter()
    sc_result = solve(sc_problem)
    sc_seconds = time.perf_counter() - started
    observe_solve(sc_seconds)
    comparison = engine_scenario.compare(
        base_problem, base_result, sc_problem, sc_result, requirement_meta=_meta(built)
    )
    comparison = _dated_comparison(comparison, built)
    comparison["pipeline"] = pipeline.report(disruption, origin=built.origin)
    with transaction.atomic():  # built and solved outside; the run written in one short transaction
        run = ClearingRun.objects.create(
            kind=RunKind.SCENARIO,
            name=str(scenario.get("name") or "Scenario"),
            created_by=signed_in(actor),
            origin=built.origin,
            parameters={
                "lateness_penalty": lateness_penalty,
                "weights": PRIORITY_WEIGHTS,
                "periods": built.problem["periods"],
                "elements": {"requirements": built.requirements, "offers": built.offers},
                "baseline_objective": base_doc["objective"],
            },
            scenario=scenario,
            input_digest=built.digest,
            problem=built.problem,
            status=str(sc_result.status),
            objective=float(sc_result.objective),
            bound=float(sc_result.bound if sc_result.bound is not None else sc_result.objective),
            result=result_to_dict(sc_result),
            explanations=engine_explain.explain(sc_problem, sc_result),
            comparison=comparison,
            timings={"baseline_seconds": round(base_seconds, 4), "scenario_seconds": round(sc_seconds, 4)},
        )
        audit.record(
            actor=actor,
            action="create",
            obj=run,
            after={
                "kind": run.kind,
                "scenario": scenario,
                "input_digest": run.input_digest,
                "objective": run.objective,
            },
        )
    return run


def _dated_comparison(comparison: dict[str, Any], built: BuiltProblem) -> dict[str, Any]:
    """Add the real needed-by date and requirement pk to every requirement the comparison names."""

    def enrich(items: Any) -> Any:
        if isinstance(items, list):
            return [enrich(i) for i in items]
        if isinstance(items, dict):
            out = {k: enrich(v) for k, v in items.items()}
            rid = items.get("requirement")
            if isinstance(rid, str) and rid in built.requirements:
                info = built.requirements[rid]
                out["requirement_pk"] = info["pk"]
                out["needed_by_date"] = info["needed_by"]
                out["capability"] = info["capability"]
                out["priority"] = info["priority"]
            return out
        return items

    return enrich(comparison)  # type: ignore[no-any-return]  # enrich() walks JSON (Any)


@dataclass(frozen=True)
class AcceptOutcome:
    """Which proposals became allocations, and which were refused and why."""

    accepted: list[Proposal]
    refused: list[Proposal]


def _changed_since_run(proposal: Proposal, run: ClearingRun) -> str:
    """Why the data behind a proposal no longer matches the run ('' when it still does)."""
    elements = run.parameters.get("elements", {})
    then_r = _element_of(elements.get("requirements", {}), proposal.requirement_id)
    then_o = elements.get("offers", {}).get(offer_key(proposal.pledge_id))
    r = Requirement.objects.prefetch_related("item_types").get(pk=proposal.requirement_id)
    p = Pledge.objects.select_related("item_type").get(pk=proposal.pledge_id)
    if then_r is None or then_o is None:
        return "the run does not describe this pledge or requirement"
    if r.cancelled:
        return f"requirement {r.pk} was cancelled"
    if "rate" in then_r:
        if not r.is_rate or _rate_of(r) != then_r["rate"] or r.priority != then_r["priority"]:
            return f"requirement {r.pk} changed its rate, its months or its priority"
    elif (r.needed_by.isoformat() if r.needed_by else None) != then_r["needed_by"] or r.priority != then_r[
        "priority"
    ]:
        return f"requirement {r.pk} changed its needed-by date or priority"
    factors = r.factors()
    if sorted(factors) != then_r["item_types"]:
        return f"requirement {r.pk} changed its acceptable item types"
    if {c: format_factor(f) for c, f in factors.items()} != then_r.get(
        "factors", dict.fromkeys(then_r["item_types"], "1")
    ):
        return f"requirement {r.pk} changed its equivalence factors"
    if r.quantity - r.allocated_provides < proposal.provides:
        left = r.quantity - r.allocated_provides
        return f"requirement {r.pk} has only {left} {r.unit or 'units'} left to cover"
    if p.status not in (*MATCHABLE_PLEDGE_STATUSES, "in_delivery"):
        return f"pledge {p.pk} is now {p.status}"
    if p.item_type is None or p.item_type.code != then_o["item_type"]:
        return f"pledge {p.pk} changed its item type"
    if p.available_from.isoformat() != then_o["available_from"]:
        return f"pledge {p.pk} changed its available-from date"
    if (p.quantity or 0) - p.allocated_quantity < proposal.quantity:
        left = (p.quantity or 0) - p.allocated_quantity
        return f"pledge {p.pk} has only {count_of(left, 'unit')} left unallocated"
    return ""


def _element_of(elements: dict[str, Any], pk: int) -> dict[str, Any] | None:
    """What the run knew of requirement `pk`: its element, or the first of its months (a rate)."""
    found = elements.get(req_key(pk))
    if found is not None:
        return found  # type: ignore[no-any-return]  # run parameters are JSON
    prefix = req_key(pk) + "@"
    return next((v for k, v in elements.items() if k.startswith(prefix)), None)


def accept_proposals(
    *, actor: Actor, run_id: int, proposal_ids: list[int] | None = None, reason: Any = ""
) -> AcceptOutcome:
    """Turn all (or the chosen) proposals of a run into allocations, each re-checked against current
    data; a proposal whose pledge or requirement changed since the run is refused with the reason.

    A stated reason (optional) is kept in every audit event of the acceptance and in one `accept`
    event of the run that sums it up.
    """
    _require_cell(actor)
    stated = stated_reason(reason)
    run = ClearingRun.objects.restrict(actor, "view").filter(pk=run_id).first()
    if run is None:
        raise NotFound("Clearing run not found.")
    if run.kind != RunKind.BASELINE:
        raise InvalidInput(
            "Only a baseline run's proposals can be accepted; a scenario is a what-if.", field="run"
        )
    qs = run.proposals.filter(state=ProposalState.PROPOSED).order_by("-worth_per_unit", "pk")
    if proposal_ids is not None:
        chosen = set(proposal_ids)
        unknown = chosen - set(run.proposals.values_list("pk", flat=True))
        if unknown:
            raise InvalidInput(
                f"Proposals {sorted(unknown)} do not belong to run {run.pk}.", field="proposals"
            )
        qs = qs.filter(pk__in=chosen)
    accepted: list[Proposal] = []
    refused: list[Proposal] = []
    for proposal in list(qs):
        with transaction.atomic():
            # Lock the pledge and the requirement first: the checks and the allocation must see the
            # same state even if somebody else allocates from the same pledge at this moment.
            list(Pledge.objects.select_for_update().filter(pk=proposal.pledge_id))
            list(Requirement.objects.select_for_update().filter(pk=proposal.requirement_id))
            before = audit.snapshot(proposal)
            reason = _changed_since_run(proposal, run)
            if not reason:
                try:
                    with transaction.atomic():
                        pledge = Pledge.objects.get(pk=proposal.pledge_id)
                        if pledge.status == "offered":
                            pledge_services.transition_pledge(
                                actor=actor, pledge_id=pledge.pk, to="accepted", reason=stated
                            )
                        allocation = pledge_services.allocate(
                            actor=actor,
                            pledge_id=proposal.pledge_id,
                            requirement_id=proposal.requirement_id,
                            quantity=proposal.quantity,
                            source=f"clearing:{run.pk}",
                            reason=stated,
                        )
                except DomainError as exc:
                    reason = exc.message
                else:
                    proposal.state = ProposalState.ACCEPTED
                    proposal.allocation = allocation
                    accepted.append(proposal)
            if reason:
                proposal.state = ProposalState.REFUSED
                proposal.reason = reason
                refused.append(proposal)
            proposal.save(update_fields=["state", "reason", "allocation"])
            audit.record(
                actor=actor,
                action="update",
                obj=proposal,
                before=before,
                after=with_reason(audit.snapshot(proposal), stated),
            )
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="accept",
            obj=run,
            after=with_reason(
                {
                    "proposals": "all" if proposal_ids is None else sorted(set(proposal_ids)),
                    "accepted": [p.pk for p in accepted],
                    "refused": [p.pk for p in refused],
                },
                stated,
            ),
        )
    return AcceptOutcome(accepted=accepted, refused=refused)


# --- capability coalitions: roadmaps ----------------------------------------------------------


def set_roadmap_target(
    *,
    actor: Any,
    coalition: str,
    capability: str,
    year: Any,
    quantity: Any,
    notes: str = "",
    source: str = "",
) -> RoadmapTarget:
    """Set a coalition's target for a capability area and year (the secretariat, or a coordinator or
    donor officer of one of the coalition's lead nations)."""
    body = Body.objects.filter(code=str(coalition).lower(), kind=BodyKind.COALITION).first()
    if body is None:
        raise NotFound("Coalition not found.")
    leads = {m.participant_id for m in body.members_on() if m.role == "lead"}
    lead_officer = bool(
        getattr(actor, "is_authenticated", False)
        and actor.role in ("coordinator", "donor_officer")
        and actor.participant_id in leads
    )
    if not (is_coordination_cell(actor) or lead_officer):
        raise PermissionDenied(f"Only the secretariat or {body.code}'s lead nations set its roadmap.")
    area = CapabilityArea.objects.filter(code=cleaning.text(capability, "capability", max_length=40)).first()
    if area is None:
        raise InvalidInput(f"capability: unknown capability area {capability!r}", field="capability")
    clean_year = cleaning.integer(year, "year", minimum=2022, maximum=2100)
    clean_quantity = cleaning.integer(quantity, "quantity", minimum=0, maximum=2_000_000_000)
    with transaction.atomic():
        target = RoadmapTarget.objects.filter(body=body, capability=area, year=clean_year).first()
        before = audit.snapshot(target) if target else None
        if target is None:
            target = RoadmapTarget(body=body, capability=area, year=clean_year, quantity=0)
        target.quantity = clean_quantity
        target.notes = cleaning.text(notes, "notes", max_length=2000)
        target.source = cleaning.text(source, "source", max_length=300)
        target.save()
        audit.record(
            actor=actor,
            action="update" if before else "create",
            obj=target,
            before=before,
            after=audit.snapshot(target),
        )
    return target


def load_roadmap_targets(*, actor: Actor | None = None) -> dict[str, int]:
    """Create the shipped coalition roadmap targets (`clearing/data/roadmap_targets.csv`: coalition,
    capability, year, quantity, source, rationale); idempotent. A target already set (same coalition,
    area and year) is left as it is: the secretariat's later figure wins. Rows naming a coalition or
    area not loaded are skipped."""
    text = (
        resources.files("clearinghouse.clearing").joinpath("data", "roadmap_targets.csv").read_text("utf-8")
    )
    created = 0
    with transaction.atomic():
        for row in csv.DictReader(text.splitlines()):
            body = Body.objects.filter(code=row["coalition"], kind=BodyKind.COALITION).first()
            area = CapabilityArea.objects.filter(code=row["capability"]).first()
            if body is None or area is None:
                continue
            year = int(row["year"])
            if RoadmapTarget.objects.filter(body=body, capability=area, year=year).exists():
                continue
            target = RoadmapTarget.objects.create(
                body=body,
                capability=area,
                year=year,
                quantity=int(row["quantity"]),
                notes=row["rationale"],
                source=row["source"][:300],
            )
            audit.record(actor=actor, action="create", obj=target, after=audit.snapshot(target))
            created += 1
    return {"created": created}


# A run older than this many days is removed by housekeeping unless it is kept (see `prune_runs`).
RUN_RETENTION_DAYS = 90
RUN_KEEP_LATEST = 20


def prunable_runs(
    *, now: dt.datetime, days: int = RUN_RETENTION_DAYS, keep_latest: int = RUN_KEEP_LATEST
) -> list[int]:
    """The runs the retention rule lets go: older than `days`, not among the `keep_latest` newest,
    with no proposal accepted or turned into an allocation (an adopted run is kept, it explains
    allocations), and not the baseline of another run."""
    cutoff = now - dt.timedelta(days=days)
    newest = list(
        ClearingRun.objects.order_by("-created_at", "-id").values_list("pk", flat=True)[:keep_latest]
    )
    adopted = Proposal.objects.filter(Q(state=ProposalState.ACCEPTED) | Q(allocation__isnull=False))
    referenced = ClearingRun.objects.filter(baseline__isnull=False).values("baseline_id")
    return list(
        ClearingRun.objects.filter(created_at__lt=cutoff)
        .exclude(pk__in=newest)
        .exclude(pk__in=adopted.values("run_id"))
        .exclude(pk__in=referenced)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def prune_runs(
    *,
    actor: Actor | None,
    now: dt.datetime,
    days: int = RUN_RETENTION_DAYS,
    keep_latest: int = RUN_KEEP_LATEST,
) -> list[int]:
    """Remove the runs the retention rule lets go (`prunable_runs`) with their proposals, in short
    transactions of at most 50 runs, each audited (one event per run: what it was). The ids removed."""
    removed: list[int] = []
    ids = prunable_runs(now=now, days=days, keep_latest=keep_latest)
    for start in range(0, len(ids), 50):
        chunk = ids[start : start + 50]
        with transaction.atomic():
            runs = list(
                ClearingRun.objects.filter(pk__in=chunk).values(
                    "pk", "kind", "name", "created_at", "input_digest", "status", "objective"
                )
            )
            for run in runs:
                audit.record(
                    actor=actor,
                    action="delete",
                    object_type="clearing.clearingrun",
                    object_id=run["pk"],
                    before={k: v for k, v in run.items() if k != "pk"},
                    after={"retention_days": days, "reason": "housekeeping: past retention, never adopted"},
                )
            Proposal.objects.filter(run_id__in=[r["pk"] for r in runs]).delete()
            ClearingRun.objects.filter(pk__in=[r["pk"] for r in runs]).delete()
            removed += [r["pk"] for r in runs]
    return removed
