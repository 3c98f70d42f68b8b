"""Reading a clearing run for review, shaped for people: proposals grouped by capability area and
priority, the run's impact on coverage ("critical 48 % → 74 %"), whether the data changed since the
run, the scenario in words and the engine's reason codes as sentences.

Reads only (a run is visible to the coordination cell, auditors and admins: they see every record).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from clearinghouse.clearing.choices import RUN_STATUS_LABELS, ProposalState
from clearinghouse.clearing.models import ClearingRun, Proposal
from clearinghouse.core import clock
from clearinghouse.core.actors import Actor
from clearinghouse.core.humanize import count_of
from clearinghouse.core.models import AuditEvent
from clearinghouse.requirements import selectors as requirement_selectors
from clearinghouse.requirements.choices import PRIORITY_RANK, Priority
from clearinghouse.requirements.value import Valuer, eur

# Why a requirement stays short (matching/explain.py), in one sentence each. Every code the engine
# can give has one (tests/test_clearing_review.py checks the engine's list against this one).
REASONS: dict[str, str] = {
    "no_compatible_offer": "No offer of an acceptable item type exists.",
    "taken_by_higher_weight": "The suitable units went to requirements of higher priority.",
    "taken_where_less_late": "The suitable units arrive too late for it, so they went where they arrive "
    "in time (or less late).",
    "tie": "The suitable units went to another requirement worth exactly as much; accepting it here "
    "instead would be as good.",
    "taken_by_lower_worth": "The suitable units went to requirements worth less to the plan (a "
    "heuristic result, not an optimal one).",
    "taken_by_others": "The suitable units went to other requirements, for different reasons (see the "
    "explanation).",
    "too_late": "Suitable offers exist, but they arrive too late or cost too much for its priority.",
    "insufficient_supply": "It already receives every suitable unit there is.",
    "unallocated_capacity": "Suitable units were left unused (a heuristic result, not an optimal one).",
    "whole_units": "Only a fraction of a unit is left short: offers come in whole units.",
}

TIMINGS = {"build_seconds": "built in", "solve_seconds": "solved in"}

# What a run is built from: a change to one of these after the run may make it stale.
WATCHED = {
    "requirements.requirement": "requirement",
    "pledges.pledge": "pledge",
    "pledges.allocation": "allocation",
    "pledges.delivery": "delivery",
}


def reason_text(code: str) -> str:
    """The sentence for a reason code (the code itself, humanised, if ever unknown)."""
    return REASONS.get(code, code.replace("_", " ").capitalize() + ".")


def status_text(status: str) -> str:
    return RUN_STATUS_LABELS.get(status, status.replace("_", " ").capitalize())


def timings_text(timings: dict[str, Any]) -> str:
    """`built in 0.12 s · solved in 0.40 s`."""
    return " · ".join(
        f"{TIMINGS.get(k, k.replace('_', ' '))} {v} s"
        for k, v in timings.items()
        if isinstance(v, int | float)
    )


@dataclass
class ProposalGroup:
    """The proposals of one capability area and one priority."""

    capability: str
    capability_name: str
    priority: str
    priority_label: str
    proposals: list[Proposal] = field(default_factory=list)

    @property
    def requirements(self) -> int:
        return len({p.requirement_id for p in self.proposals})

    @property
    def open(self) -> int:
        return sum(p.state == ProposalState.PROPOSED for p in self.proposals)


def proposal_groups(proposals: list[Proposal]) -> list[ProposalGroup]:
    """Proposals by capability area (catalog order) and priority (critical first), best worth first."""
    groups: dict[tuple[Any, ...], ProposalGroup] = {}
    for p in proposals:
        r = p.requirement
        rank = PRIORITY_RANK.get(Priority(r.priority), 9) if r.priority in Priority.values else 9
        key = (r.capability.sort_order, r.capability.code, rank, r.priority)
        group = groups.get(key)
        if group is None:
            group = groups[key] = ProposalGroup(
                capability=r.capability.code,
                capability_name=r.capability.name,
                priority=r.priority,
                priority_label=str(Priority(r.priority).label)
                if r.priority in Priority.values
                else r.priority,
            )
        group.proposals.append(p)
    return [groups[k] for k in sorted(groups)]


def _pct(part: Decimal, whole: Decimal) -> Decimal | None:
    return (100 * part / whole) if whole else None


def coverage_impact(*, user: Actor, run: ClearingRun, proposals: Iterable[Proposal]) -> dict[str, Any]:
    """Coverage now and with the run's open (proposed, not yet accepted or refused) proposals, by
    priority and overall, in EUR at today's reference prices (requirements/value.py), as the shortfall
    report counts it. Accepted proposals are already allocations, so they are in "now".

    Each requirement counts at most its quantity; a requirement without a reference price is not in
    the EUR figures and is counted in `unpriced`. Within the run's scope (a coalition's capability
    areas) when it has one."""
    valuer = Valuer(clock.today())
    adding: dict[int, Decimal] = defaultdict(Decimal)
    for p in proposals:
        if p.state == ProposalState.PROPOSED:
            adding[p.requirement_id] += p.provides
    qs = requirement_selectors.requirement_list(user=user).filter(cancelled=False)
    scope = (run.parameters or {}).get("scope") or {}
    if scope.get("capabilities"):
        qs = qs.filter(capability__code__in=scope["capabilities"])
    rows: dict[str, dict[str, Any]] = {
        p: {
            "priority": p,
            "label": Priority(p).label,
            "required": Decimal(0),
            "now": Decimal(0),
            "after": Decimal(0),
        }
        for p in Priority.values
    }
    unpriced = 0
    for r in qs.select_related("capability").prefetch_related("item_types"):
        value = valuer.unit_value(r)
        if value is None:
            unpriced += 1
            continue
        quantity = Decimal(r.quantity)
        now = min(r.allocated_provides, quantity)
        after = min(r.allocated_provides + adding.get(r.pk, Decimal(0)), quantity)
        row = rows[r.priority]
        row["required"] += eur(quantity, value) or 0
        row["now"] += eur(now, value) or 0
        row["after"] += eur(after, value) or 0
    total = {
        "priority": "",
        "label": "All priorities",
        "required": Decimal(0),
        "now": Decimal(0),
        "after": Decimal(0),
    }
    out = []
    for row in rows.values():
        for k in ("required", "now", "after"):
            total[k] += row[k]
        if row["required"]:
            out.append(_finish(row))
    return {"rows": out, "total": _finish(total), "unpriced": unpriced, "open": len(adding)}


def _row(priority: str, label: str) -> dict[str, Any]:
    return {"priority": priority, "label": label, **{k: Decimal(0) for k in ("required", "now", "after")}}


def _finish(row: dict[str, Any]) -> dict[str, Any]:
    row["now_pct"] = _pct(row["now"], row["required"])
    row["after_pct"] = _pct(row["after"], row["required"])
    row["gain"] = row["after"] - row["now"]
    return row


def changes_since(run: ClearingRun) -> dict[str, Any]:
    """What changed in the data a run was built from since it ran: requirements, pledges, allocations
    and deliveries written after it (from the audit chain), leaving out what accepting this run's own
    proposals wrote. `count` 0: the run still matches the data."""
    run_events = AuditEvent.objects.filter(object_type="clearing.clearingrun", object_id=str(run.pk))
    created = run_events.filter(action="create").values_list("sequence", flat=True).first() or 0
    # After the run's own audit event in the chain (times there are to the second, the order exact).
    events = AuditEvent.objects.filter(object_type__in=list(WATCHED), sequence__gt=created)
    if not created:
        events = events.filter(created_at__gt=run.created_at)
    own: set[int] = set()
    for accept, request_id in run_events.filter(action="accept").values_list("sequence", "request_id"):
        # An acceptance writes in one transaction, so its events are the chain's links just before its
        # `accept` event that carry the same request id.
        block = AuditEvent.objects.filter(sequence__gt=created, sequence__lte=accept).order_by("-sequence")
        for sequence, rid in block.values_list("sequence", "request_id").iterator():
            if rid != request_id:
                break
            own.add(sequence)
    events = events.exclude(sequence__in=own)
    kinds: dict[str, int] = defaultdict(int)
    latest = None
    for object_type, created_at in events.values_list("object_type", "created_at"):
        kinds[WATCHED[object_type]] += 1
        latest = created_at if latest is None or created_at > latest else latest
    parts = [count_of(n, kind) for kind, n in sorted(kinds.items())]
    return {"count": sum(kinds.values()), "latest": latest, "what": ", ".join(parts)}


def _codes(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} by {v} months" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def scenario_sentences(scenario: dict[str, Any] | None) -> list[str]:
    """A scenario document (clearing/scenario_input.py) in words, one sentence per change."""
    if not isinstance(scenario, dict):
        return []
    out = []
    if scenario.get("exclude_donors"):
        out.append(f"Without the offers of {_codes(scenario['exclude_donors'])}.")
    if scenario.get("delay_donors"):
        out.append(f"Offers delayed: {_codes(scenario['delay_donors'])}.")
    if isinstance(scenario.get("scale_donors"), dict) and scenario["scale_donors"]:
        scaled = ", ".join(f"{k} × {v}" for k, v in scenario["scale_donors"].items())
        out.append(f"Offered quantities scaled: {scaled}.")
    out.extend(
        f"A hypothetical offer: {offer.get('quantity')} × {offer.get('item_type')} from "
        f"{offer.get('donor')}, available from {offer.get('available_from') or 'now'}."
        for offer in scenario.get("add_offers") or []
        if isinstance(offer, dict)
    )
    if scenario.get("stall_packages"):
        out.append(f"Packages stalled: {_codes(scenario['stall_packages'])}.")
    if scenario.get("delay_packages"):
        out.append(f"Packages delayed: {_codes(scenario['delay_packages'])}.")
    if scenario.get("baseline"):
        out.append(f"Compared with run {scenario['baseline']}.")
    return out


def label_comparison(view: dict[str, Any], capability_names: dict[str, str]) -> dict[str, Any]:
    """A scenario's comparison (selectors.comparison_view) with names instead of codes: capability
    areas by name, priorities by label, each group titled in words."""
    if not view:
        return view
    titles = {"capability": "capability area", "priority": "priority"}

    def name(group: str, key: str) -> str:
        if group == "priority" and key in Priority.values:
            return str(Priority(key).label)
        if group == "capability":
            return capability_names.get(key, key)
        return key

    groups = [
        (titles.get(g, g.replace("_", " ")), [{**row, "label": name(g, row["key"])} for row in rows])
        for g, rows in view.get("groups", [])
    ]
    changes = [
        {
            **c,
            "capability_name": capability_names.get(c.get("capability", ""), c.get("capability", "")),
            "priority_label": str(Priority(c["priority"]).label)
            if c.get("priority") in Priority.values
            else c.get("priority", ""),
        }
        for c in view.get("changes", [])
    ]
    return {**view, "groups": groups, "changes": changes}
