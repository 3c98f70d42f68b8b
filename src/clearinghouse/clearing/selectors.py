"""Reads for the clearing house: runs, proposals, and the shortfall report."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import F, QuerySet

from clearinghouse.clearing.models import ClearingRun, Proposal, RoadmapTarget
from clearinghouse.core import selectors as core_selectors
from clearinghouse.core.actors import Actor
from clearinghouse.core.errors import NotFound
from clearinghouse.core.humanize import count_of
from clearinghouse.core.releasability import sees_everything
from clearinghouse.governance import selectors as governance_selectors
from clearinghouse.pledges import selectors as pledge_selectors
from clearinghouse.requirements import coverage
from clearinghouse.requirements import selectors as requirement_selectors
from clearinghouse.requirements.reasons import AUDIT_KEY as REASON_KEY


def run_list(*, user: Actor, kind: str | None = None) -> QuerySet[ClearingRun]:
    """Clearing runs the user may see (the coordination cell, auditors, admins), newest first."""
    qs = ClearingRun.objects.restrict(user, "view").select_related("created_by")
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-created_at", "-pk")


def get_run(*, user: Actor, run_id: int) -> ClearingRun:
    """One run, or NotFound."""
    run = run_list(user=user).filter(pk=run_id).first()
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


def shortfalls(*, user: Actor) -> dict[str, Any]:
    """Required against allocated against delivered, by capability area and needed-by month.

    Quantities are summed within a capability area, so a row mixes the units of its item types;
    the coverage percentages are what compares across rows. Only requirements the user may see
    count, each with its coverage as the user may know it (requirements/coverage.py): where a
    requirement's coverage is coarsened to a band, its row gives a range (`allocated` to
    `allocated_max`, `short_min` to `short`, ...) and says `coarsened`.
    """
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    by_capability: dict[str, dict[str, Any]] = defaultdict(_empty)
    qs = (
        requirement_selectors.requirement_list(user=user)
        .filter(cancelled=False)
        .order_by("capability__sort_order", F("needed_by").asc(nulls_last=True), "id")
    )
    for r in qs:
        month = r.needed_by.strftime("%Y-%m") if r.needed_by else "no date"
        key = (r.capability.code, month)
        row = rows.setdefault(
            key,
            {
                "capability": r.capability.code,
                "capability_name": r.capability.name,
                "month": month,
                **_empty(),
            },
        )
        seen = coverage.of(r, user)
        allocated, delivered = seen.allocated_range, seen.delivered_range
        for target in (row, by_capability[r.capability.code]):
            target["required"] += r.quantity
            target["allocated"] += allocated[0]
            target["allocated_max"] += allocated[1]
            target["delivered"] += delivered[0]
            target["delivered_max"] += delivered[1]
            target["coarsened"] = target["coarsened"] or seen.mode == coverage.COARSE
        by_capability[r.capability.code]["capability_name"] = r.capability.name

    def pct(units: int, req: int) -> float:
        return round(100 * units / req, 1) if req else 0.0

    def finish(d: dict[str, Any]) -> dict[str, Any]:
        req = d["required"]
        d["short"] = max(0, req - d["allocated"])
        d["short_min"] = max(0, req - d["allocated_max"])
        d["allocated_pct"] = pct(d["allocated"], req)
        d["allocated_pct_max"] = pct(d["allocated_max"], req)
        d["delivered_pct"] = pct(d["delivered"], req)
        d["delivered_pct_max"] = pct(d["delivered_max"], req)
        return d

    return {
        "rows": [finish(v) for v in rows.values()],
        "capabilities": [finish({"capability": k, **v}) for k, v in by_capability.items()],
        "note": "" if sees_everything(user) else coverage.NOTE,
    }


def _empty() -> dict[str, Any]:
    return {
        "required": 0,
        "allocated": 0,
        "allocated_max": 0,
        "delivered": 0,
        "delivered_max": 0,
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
