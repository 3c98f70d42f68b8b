"""The lifecycle of a requirement or a pledge, with its allocations and deliveries, read from the
audit chain (the timeline of the requirement, pledge and clearing-run pages)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from clearinghouse.core import selectors as core_selectors
from clearinghouse.core.humanize import count_of
from clearinghouse.requirements.reasons import AUDIT_KEY as REASON_KEY

# Fields a timeline does not mention when they change: counters and values the services derive.
_QUIET = {
    "version",
    "updated_at",
    "created_at",
    "value_amount",
    "value_eur",
    "fx_rate",
    "fx_date",
    "allocated_quantity",
    "delivered_quantity",
}


def _changed(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    before, after = before or {}, after or {}
    names = []
    for key in sorted(set(before) | set(after)):
        if key in _QUIET or before.get(key) == after.get(key):
            continue
        names.append(key.removesuffix("_id"))
    return names


def _units(quantity: Any) -> str:
    return count_of(quantity, "unit") if isinstance(quantity, int) else f"{quantity} units"


def _entry(event: Any, *, on_requirement: bool) -> dict[str, Any]:
    """One audit event as a line of a record's lifecycle."""
    before, after = event.before or {}, event.after or {}
    kind, action, oid = event.object_type, event.action, event.object_id
    text, badge = f"{action} {kind} #{oid}", ""
    if kind == "pledges.pledge":
        if action == "create":
            text, badge = "Pledge entered: offered", "medium"
        elif action == "transition":
            reason = after.get("reason")
            text = f"{before.get('status', '?')} → {after.get('status', '?')}"
            if reason and reason != "requested":
                text += f" ({reason})"
            badge = "ok" if after.get("status") == "delivered" else ""
        elif action == "update":
            text = "Changed " + (", ".join(_changed(before, after)) or "nothing visible")
    elif kind == "requirements.requirement":
        if action == "create":
            text, badge = "Requirement entered", "medium"
        elif action == "transition" and after.get("cancelled"):
            text, badge = "Cancelled", "bad"
        elif action == "update":
            text = "Changed " + (", ".join(_changed(before, after)) or "nothing visible")
    elif kind == "pledges.allocation":
        if action == "create":
            other = (
                f"of pledge P{after.get('pledge_id')}"
                if on_requirement
                else f"to requirement R{after.get('requirement_id')}"
            )
            text, badge = f"Allocated {_units(after.get('quantity'))} {other} (allocation A{oid})", "medium"
        elif action == "update":
            text = f"Allocation A{oid}: {before.get('quantity')} → {_units(after.get('quantity'))}"
        elif action == "delete":
            text = f"Allocation A{oid} released ({_units(before.get('quantity'))})"
    elif kind == "pledges.delivery":
        if action == "create":
            text = (
                f"Delivered {_units(after.get('quantity'))} on {after.get('delivered_on')} (delivery D{oid})"
            )
            badge = "warn"
        elif action == "confirm":
            text, badge = f"Receipt of delivery D{oid} confirmed", "ok"
        elif action == "update":
            text = f"Delivery D{oid} corrected: " + ", ".join(_changed(before, after))
    return {
        "when": event.created_at,
        "actor": event.actor,
        "participant": event.actor_participant,
        "text": text,
        "badge": badge,
        "reason": after.get(REASON_KEY) or "",
    }


def timeline(
    objects: Iterable[tuple[str, Any]], *, on_requirement: bool = False, limit: int = 200
) -> tuple[list[dict[str, Any]], int]:
    """The lifecycle of a record and of its allocations and deliveries, from the audit chain, with
    how many earlier events were left out (the first one, the creation, always stays).

    Only for objects the page's own selectors returned (the user may see them). One query per
    few hundred objects: their histories are read as one UNION.
    """
    histories = [core_selectors.object_history(object_type=t, object_id=i).order_by() for t, i in objects]
    events: list[Any] = []
    for start in range(0, len(histories), _UNION_CHUNK):
        first, *rest = histories[start : start + _UNION_CHUNK]
        events.extend(first.union(*rest, all=True) if rest else first)
    events.sort(key=lambda e: e.sequence)
    omitted = max(0, len(events) - limit)
    if omitted:
        events = events[:1] + events[omitted + 1 :]
    return [_entry(e, on_requirement=on_requirement) for e in events], omitted


# SQLite allows at most 500 terms in one compound SELECT.
_UNION_CHUNK = 400
