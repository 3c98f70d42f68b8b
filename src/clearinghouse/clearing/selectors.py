"""Reads for the clearing house: runs, proposals, and the shortfall report."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import F, QuerySet

from clearinghouse.clearing.models import ClearingRun, Proposal, RoadmapTarget
from clearinghouse.core import clock
from clearinghouse.core import selectors as core_selectors
from clearinghouse.core.actors import Actor
from clearinghouse.core.errors import InvalidInput, NotFound, PermissionDenied
from clearinghouse.core.humanize import count_of
from clearinghouse.core.models import AuditEvent
from clearinghouse.core.releasability import sees_everything
from clearinghouse.governance import selectors as governance_selectors
from clearinghouse.logistics import selectors as logistics_selectors
from clearinghouse.pledges import selectors as pledge_selectors
from clearinghouse.requirements import consumption, coverage
from clearinghouse.requirements import selectors as requirement_selectors
from clearinghouse.requirements.reasons import AUDIT_KEY as REASON_KEY
from clearinghouse.requirements.value import CENT, Valuer, eur, eur_text


def run_list(*, user: Actor, kind: str | None = None) -> QuerySet[ClearingRun]:
    """Clearing runs the user may see (the coordination cell, auditors, admins), newest first."""
    qs = ClearingRun.objects.restrict(user, "view").select_related("created_by")
    if kind:
        qs = qs.filter(kind=kind)
    # A list shows no run's JSON (megabytes each at 50,000 pledges): read it only for one run.
    return qs.defer(*RUN_DOCUMENTS).order_by("-created_at", "-pk")


RUN_DOCUMENTS = ("problem", "result", "explanations", "parameters", "scenario", "comparison")


def get_run(*, user: Actor, run_id: int, page: bool = False) -> ClearingRun:
    """One run, or NotFound; `page`: without the engine's input and result (the run page shows
    neither, and they are the largest part of a run)."""
    qs = run_list(user=user).defer(None)
    run = (qs.defer("problem", "result") if page else qs).filter(pk=run_id).first()
    if run is None:
        raise NotFound("Clearing run not found.")
    return run


def proposal_list(*, user: Actor, run: ClearingRun) -> QuerySet[Proposal]:
    """The proposals of a run, best worth first, each with `package_ref`: the package it draws on."""
    proposals: QuerySet[Proposal] = (
        Proposal.objects.restrict(user, "view")
        .filter(run=run)
        .select_related(
            "requirement", "requirement__capability", "pledge", "pledge__owner", "pledge__item_type"
        )
        # The package whose delivery schedule the pledge backs (None for any other pledge).
        .annotate(package_ref=F("pledge__package_line__contract__package_id"))
        .order_by("-worth_per_unit", "pk")
    )
    return proposals


def run_history(*, run: ClearingRun) -> list[dict[str, Any]]:
    """What was decided on a run the caller may already see: its creation and every acceptance, with
    who, when, how many proposals became allocations and the reason stated."""
    out = []
    for event in core_selectors.object_history(object_type="clearing.clearingrun", object_id=run.pk):
        after = event.after or {}
        if event.action == "create":
            text = "Run created"
        elif event.action == "accept":
            chosen = after.get("proposals")
            accepted, refused = len(after.get("accepted", [])), len(after.get("refused", []))
            text = (
                "All proposals" if chosen == "all" else f"{count_of(len(chosen or []), 'proposal')} ticked"
            ) + f": {accepted} accepted, {refused} refused"
        else:
            text = event.action
        out.append(
            {
                "when": event.created_at,
                "actor": event.actor,
                "participant": event.actor_participant,
                "text": text,
                "badge": "",
                "reason": after.get(REASON_KEY) or "",
            }
        )
    return out


def shortfalls(*, user: Actor, on: dt.date | None = None) -> dict[str, Any]:
    """Required against allocated against delivered, by capability area and needed-by month, in EUR.

    Requirements count in their own units (a Patriot-equivalent fire unit, a 155 mm round), which
    never add up across requirements; a row sums their value in EUR at catalog reference prices
    (requirements/value.py: one requirement unit is worth its cheapest acceptable way to provide it)
    and lists each requirement in its own units (`items`). Coverage percentages are of that value.
    Only requirements the user may see count, each with its coverage as the user may know it
    (requirements/coverage.py): where a requirement's coverage is coarsened to a band, its row gives
    a range (`allocated_eur` to `allocated_eur_max`, `short_eur_min` to `short_eur`, ...) and says
    `coarsened`. A requirement without any reference price is counted in `unpriced`, not in EUR.
    """
    valuer = Valuer(on or clock.today())
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    by_capability: dict[str, dict[str, Any]] = defaultdict(_empty)
    qs = (
        requirement_selectors.requirement_list(user=user)
        .filter(cancelled=False)
        .order_by("capability__sort_order", F("needed_by").asc(nulls_last=True), "id")
    )
    requirements = list(qs)
    moving = logistics_selectors.units_by_requirement(user=user, requirement_ids=[r.pk for r in requirements])
    for r in requirements:
        seen = coverage.of(r, user)
        unit_value = valuer.unit_value(r)
        for n, (month, quantity, allocated, delivered) in enumerate(_months_of(r, seen)):
            _add_shortfall(
                rows, by_capability, r, seen, unit_value, month, quantity, allocated, delivered, first=n == 0
            )
            if n == 0:
                _add_shipments(
                    rows[(r.capability.code, month)],
                    by_capability[r.capability.code],
                    moving.get(r.pk),
                    unit_value,
                )
        by_capability[r.capability.code]["capability_name"] = r.capability.name

    return {
        "rows": [_finish(v) for v in rows.values()],
        "capabilities": [_finish({"capability": k, **v}) for k, v in by_capability.items()],
        "note": "" if sees_everything(user) else coverage.NOTE,
        "valued_on": valuer.on.isoformat(),
    }


Range = tuple[Any, Any]


def _months_of(r: Any, seen: Any) -> list[tuple[str, Any, Range, Range]]:
    """The months a requirement counts in: its needed-by month; a consumption requirement (a rate per
    month) in each month of its range, with what allocations cover there (requirements/consumption.py)
    where the reader knows its coverage exactly, else whole in its first month. Delivered units are
    not dated by month: they count in the months in order, as far as each month's allocation goes."""
    if not r.is_rate or seen.mode != coverage.EXACT:
        month = r.needed_by.strftime("%Y-%m") if r.needed_by else "no date"
        return [(month, r.quantity, seen.allocated_range, seen.delivered_range)]
    left = seen.delivered_range[0]
    out = []
    for m in consumption.requirement_months(r):
        done = min(left, m.allocated)
        left -= done
        out.append((m.label, m.required, (m.allocated, m.allocated), (done, done)))
    return out


def _add_shortfall(
    rows: dict[tuple[str, str], dict[str, Any]],
    by_capability: dict[str, dict[str, Any]],
    r: Any,
    seen: Any,
    unit_value: Decimal | None,
    month: str,
    quantity: Any,
    allocated: Range,
    delivered: Range,
    *,
    first: bool,
) -> None:
    """One requirement (or one month of a rate) into its row by capability and month and its area."""
    key = (r.capability.code, month)
    row = rows.setdefault(
        key,
        {
            "capability": r.capability.code,
            "capability_name": r.capability.name,
            "month": month,
            **_empty(),
            "items": [],
        },
    )
    short = (quantity - allocated[1], quantity - allocated[0])
    row["items"].append(
        {
            "requirement": r.pk,
            "external_ref": r.external_ref,
            "unit": r.unit,
            "required": quantity,
            "allocated": coverage.as_number(allocated[0]),
            "allocated_max": coverage.as_number(allocated[1]),
            "short": coverage.as_number(short[1]),
            "short_min": coverage.as_number(short[0]),
            "coarsened": seen.mode == coverage.COARSE,
            "unit_value_eur": eur_text(unit_value.quantize(CENT) if unit_value is not None else None),
            "short_eur": eur_text(eur(short[1], unit_value)),
        }
    )
    for target in (row, by_capability[r.capability.code]):
        # A rate counts in each of its months' rows, once in its area.
        target["requirements"] += 1 if target is row or first else 0
        target["coarsened"] = target["coarsened"] or seen.mode == coverage.COARSE
        if unit_value is None:
            target["unpriced"] += 1
            continue
        target["required_eur"] += eur(quantity, unit_value) or 0
        target["allocated_eur"] += eur(allocated[0], unit_value) or 0
        target["allocated_eur_max"] += eur(allocated[1], unit_value) or 0
        target["delivered_eur"] += eur(delivered[0], unit_value) or 0
        target["delivered_eur_max"] += eur(delivered[1], unit_value) or 0


SHIPMENT_KEYS = ("shipped", "in_transit", "received")


def _add_shipments(
    row: dict[str, Any], area: dict[str, Any], units: dict[str, Decimal] | None, unit_value: Decimal | None
) -> None:
    """What the shipments of a requirement carry (logistics: shipped, in transit, received), on the
    requirement's item of its (first) row, and in EUR on the row and its area. Only shipments the
    viewer may see count: they belong to allocations it sees, and reveal no hidden one."""
    item = row["items"][-1]
    for key in SHIPMENT_KEYS:
        value = (units or {}).get(key, Decimal(0))
        item[key] = coverage.as_number(value)
        if unit_value is not None:
            for target in (row, area):
                target[f"{key}_eur"] += eur(value, unit_value) or 0


EUR_KEYS = ("required_eur", "allocated_eur", "allocated_eur_max", "delivered_eur", "delivered_eur_max")


def _pct(part: Decimal, whole: Decimal) -> float:
    return float(round(100 * part / whole, 1)) if whole else 0.0


def _finish(d: dict[str, Any]) -> dict[str, Any]:
    req = d["required_eur"]
    d["short_eur"] = max(Decimal(0), req - d["allocated_eur"])
    d["short_eur_min"] = max(Decimal(0), req - d["allocated_eur_max"])
    d["allocated_pct"] = _pct(d["allocated_eur"], req)
    d["allocated_pct_max"] = _pct(d["allocated_eur_max"], req)
    d["delivered_pct"] = _pct(d["delivered_eur"], req)
    d["delivered_pct_max"] = _pct(d["delivered_eur_max"], req)
    return d


def shortfalls_json(data: dict[str, Any]) -> dict[str, Any]:
    """The shortfall report with every EUR figure as a decimal string (API and CLI)."""

    def text(d: dict[str, Any]) -> dict[str, Any]:
        return {k: eur_text(v) if k.endswith(("_eur", "_eur_max", "_eur_min")) else v for k, v in d.items()}

    return {
        **data,
        "rows": [text(r) for r in data["rows"]],
        "capabilities": [text(r) for r in data["capabilities"]],
    }


def _empty() -> dict[str, Any]:
    return {
        "requirements": 0,
        "unpriced": 0,
        **{k: Decimal(0) for k in EUR_KEYS},
        **{f"{k}_eur": Decimal(0) for k in SHIPMENT_KEYS},
        "coarsened": False,
    }


def comparison_view(comparison: dict[str, Any] | None) -> dict[str, Any]:
    """A scenario's comparison with the baseline, shaped for people: coverage in percent by
    capability and by priority, and the requirements that become (more) short, latest need last."""
    if not comparison:
        return {}

    def pct(row: dict[str, Any]) -> dict[str, Any]:
        return {
            "required": row.get("required", 0),
            "baseline_pct": 100 * float(row.get("baseline_coverage", 0)),
            "scenario_pct": 100 * float(row.get("scenario_coverage", 0)),
            "change_pct": 100 * float(row.get("change", 0)),
        }

    coverage = comparison.get("coverage", {})
    priority_order = {p: i for i, p in enumerate(("critical", "high", "medium", "low"))}
    groups = [
        (
            name,
            [
                {"key": key, **pct(row)}
                for key, row in sorted(rows.items(), key=lambda kv: (priority_order.get(kv[0], 9), kv[0]))
            ],
        )
        for name, rows in coverage.get("by", {}).items()
    ]
    changes = sorted(
        (r for r in comparison.get("requirements", []) if r.get("change", 0) > 0),
        key=lambda r: (r.get("needed_by_date") or "9999", -r.get("change", 0)),
    )
    return {
        "objective": comparison.get("objective", {}),
        "summary": comparison.get("summary", {}),
        "overall": pct(coverage.get("overall", {})),
        "groups": groups,
        "changes": changes,
        "pipeline": comparison.get("pipeline") or {},
    }


def coalition_view(*, user: Any, code: str) -> dict[str, Any]:
    """A capability coalition at work: its roadmap (targets by capability and year), the requirements
    in its capability areas with coverage as the reader may know it, and its members' pledges there."""
    body = governance_selectors.get_body(user=user, code=code)
    if body.kind != "coalition":
        raise NotFound("Coalition not found.")
    members = list(body.members_on().order_by("participant__code"))
    roadmap = list(
        RoadmapTarget.objects.restrict(user, "view")
        .filter(body=body)
        .select_related("capability")
        .order_by("year")
    )
    capabilities = sorted({t.capability.code for t in roadmap})
    requirements = list(
        requirement_selectors.requirement_list(user=user)
        .filter(cancelled=False, capability__code__in=capabilities)
        .select_related("capability")
        .order_by("capability__sort_order", "id")
    )
    pledges = list(
        pledge_selectors.pledge_list(user=user).filter(
            owner__code__in=[m.participant.code for m in members],
            item_type__capability__code__in=capabilities,
        )
    )
    return {
        "body": body,
        "members": [m.participant.code for m in members],
        "leads": [m.participant.code for m in members if m.role == "lead"],
        "roadmap": roadmap,
        "capabilities": capabilities,
        "requirements": requirements,
        "pledges": pledges,
    }


# --- coverage trend -------------------------------------------------------------------------------

TREND_MONTHS = 12


def month_ends(today: dt.date, months: int) -> list[dt.date]:
    """The last `months` month-ends before `today`, oldest first."""
    ends = []
    first = today.replace(day=1)
    for _ in range(months):
        end = first - dt.timedelta(days=1)
        ends.append(end)
        first = end.replace(day=1)
    return ends[::-1]


def _end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)


def coverage_trend(*, user: Actor, months: int = TREND_MONTHS) -> dict[str, Any]:
    """Coverage at each past month-end by capability area, in EUR, replayed from the audit history.

    The audit chain holds every allocation as it was created, changed and released (its `after`
    snapshot: requirement, quantity, factor; a release deletes it), and every requirement's quantity
    and cancellation; replaying the events up to a month-end gives what was allocated then. It is
    there for every past month from the first event on, tamper-evident, and needs no job to take
    snapshots (docs/clearing.md says why this over monthly snapshots). Deliveries count at their
    `delivered_on` date. Values use today's reference prices (requirements/value.py), so the trend
    shows coverage moving, not prices. Only those who see every allocation (the coordination cell,
    auditors, admins) get the trend: a month-to-month difference must not isolate an allocation
    a reader may not see (docs/confidentiality.md).
    """
    if not sees_everything(user):
        raise PermissionDenied("The coverage trend is for the coordination cell, auditors and admins.")
    if not 1 <= months <= 120:
        raise InvalidInput("months: between 1 and 120", field="months")
    today = clock.today()
    ends = month_ends(today, months)
    valuer = Valuer(today)
    requirements = {
        r.pk: r for r in requirement_selectors.requirement_list(user=user).select_related("capability")
    }
    values = {pk: valuer.unit_value(r) for pk, r in requirements.items()}
    events = list(
        AuditEvent.objects.filter(
            object_type__in=("pledges.allocation", "requirements.requirement"),
            created_at__lt=_end_of(ends[-1]),
        )
        .order_by("sequence")
        .values_list("created_at", "object_type", "object_id", "action", "after")
    )
    deliveries = list(
        pledge_selectors.delivery_list(user=user)
        .filter(delivered_on__lte=ends[-1])
        .values_list("delivered_on", "quantity", "allocation__factor", "allocation__requirement_id")
    )
    points = []
    allocations: dict[str, tuple[int, Decimal]] = {}  # allocation id -> (requirement, provides)
    state: dict[int, tuple[int, bool]] = {}  # requirement -> (quantity, cancelled) as audited
    i = 0
    for end in ends:
        limit = _end_of(end)
        while i < len(events) and events[i][0] < limit:
            _at, kind, oid, action, after = events[i]
            i += 1
            if kind == "pledges.allocation":
                if action == "delete" or not isinstance(after, dict) or "quantity" not in after:
                    allocations.pop(oid, None)
                else:
                    provides = Decimal(int(after["quantity"])) * Decimal(str(after.get("factor", "1")))
                    allocations[oid] = (int(after["requirement_id"]), provides)
            elif isinstance(after, dict) and "quantity" in after and oid.isdigit():
                state[int(oid)] = (int(after["quantity"]), bool(after.get("cancelled", False)))
        allocated: dict[int, Decimal] = defaultdict(Decimal)
        for req, provides in allocations.values():
            allocated[req] += provides
        delivered: dict[int, Decimal] = defaultdict(Decimal)
        for day, quantity, factor, req in deliveries:
            if day <= end:
                delivered[req] += quantity * factor
        by_capability: dict[str, dict[str, Any]] = {}
        for pk, r in requirements.items():
            if r.created_at >= limit or values[pk] is None:
                continue
            quantity, cancelled = state.get(pk, (r.quantity, r.cancelled))
            if cancelled:
                continue
            row = by_capability.setdefault(
                r.capability.code,
                {"capability": r.capability.code, "capability_name": r.capability.name, **_trend_empty()},
            )
            a = min(allocated[pk], Decimal(quantity))
            row["required_eur"] += eur(quantity, values[pk]) or 0
            row["allocated_eur"] += eur(a, values[pk]) or 0
            row["delivered_eur"] += eur(min(delivered[pk], a), values[pk]) or 0
        rows = sorted(by_capability.values(), key=lambda row: str(row["capability"]))
        total = _trend_empty()
        for row in rows:
            for k in ("required_eur", "allocated_eur", "delivered_eur"):
                total[k] += row[k]
        points.append(
            {
                "month_end": end.isoformat(),
                "capabilities": [_trend_finish(r) for r in rows],
                **_trend_finish(total),
            }
        )
    return {"valued_on": today.isoformat(), "months": points}


def _trend_empty() -> dict[str, Any]:
    return {"required_eur": Decimal(0), "allocated_eur": Decimal(0), "delivered_eur": Decimal(0)}


def _trend_finish(d: dict[str, Any]) -> dict[str, Any]:
    d["short_eur"] = max(Decimal(0), d["required_eur"] - d["allocated_eur"])
    d["allocated_pct"] = _pct(d["allocated_eur"], d["required_eur"])
    d["delivered_pct"] = _pct(d["delivered_eur"], d["required_eur"])
    return d


def trend_json(data: dict[str, Any]) -> dict[str, Any]:
    """The trend with every EUR figure as a decimal string (API and CLI)."""

    def text(d: dict[str, Any]) -> dict[str, Any]:
        out = {k: eur_text(v) if k.endswith("_eur") else v for k, v in d.items()}
        if "capabilities" in d:
            out["capabilities"] = [text(c) for c in d["capabilities"]]
        return out

    return {**data, "months": [text(m) for m in data["months"]]}
