"""Pages of requirements: list with coverage bars, detail with allocations, deliveries and timeline,
forms with inline validation. Also what the pledge pages share: the timeline and the coverage bars
(the page helpers every app shares are in `core.pages`).

Views are thin: they read through selectors and write through services; a record the user may not
see is a 404 (like a missing one), an action the user's role does not allow is a 403.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from clearinghouse.catalog import selectors as catalog_selectors
from clearinghouse.core import selectors as core_selectors
from clearinghouse.core.errors import DomainError, NotFound
from clearinghouse.core.etag import etag_for
from clearinghouse.core.humanize import count_of
from clearinghouse.core.pages import (
    Confirmation,
    act,
    back_to,
    confirmed_act,
    page_of,
    validation_response,
    visible_or_404,
)
from clearinghouse.participants.permissions import (
    is_admin,
    is_coordination_cell,
    is_recipient_officer_of,
)
from clearinghouse.pledges import selectors as pledge_selectors
from clearinghouse.pledges import services as pledge_services
from clearinghouse.pledges.choices import ALLOCATABLE, PledgeKind
from clearinghouse.requirements import coverage as coverage_rule
from clearinghouse.requirements import selectors, services
from clearinghouse.requirements.choices import Priority, RequirementStatus
from clearinghouse.requirements.forms import RequirementForm
from clearinghouse.requirements.models import Requirement
from clearinghouse.requirements.reasons import AUDIT_KEY as REASON_KEY

PAGE_SIZE = 50
# The list's status filter. "open" is what the home page counts as open: nothing or only part
# allocated yet (the API's status=open is the narrower "nothing allocated").
STATUS_FILTERS = [
    ("open", "Open (not fully covered)"),
    ("unallocated", "Nothing allocated"),
    (RequirementStatus.PARTLY_COVERED, "Partly covered"),
    (coverage_rule.MOSTLY_COVERED, coverage_rule.MOSTLY_COVERED_LABEL),
    (RequirementStatus.COVERED, "Covered"),
    (RequirementStatus.DELIVERED, "Delivered"),
    (RequirementStatus.CANCELLED, "Cancelled"),
]
STATUS_BADGE: dict[str, str] = {
    RequirementStatus.OPEN: "bad",
    RequirementStatus.PARTLY_COVERED: "warn",
    coverage_rule.MOSTLY_COVERED: "medium",
    RequirementStatus.COVERED: "medium",
    RequirementStatus.DELIVERED: "ok",
    RequirementStatus.CANCELLED: "",
}


# --- shared with the pledge pages: the lifecycle from the audit chain, coverage bars ----------------


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
                f"of pledge #{after.get('pledge_id')}"
                if on_requirement
                else f"to requirement #{after.get('requirement_id')}"
            )
            text, badge = f"Allocated {_units(after.get('quantity'))} {other} (allocation #{oid})", "medium"
        elif action == "update":
            text = f"Allocation #{oid}: {before.get('quantity')} → {_units(after.get('quantity'))}"
        elif action == "delete":
            text = f"Allocation #{oid} released ({_units(before.get('quantity'))})"
    elif kind == "pledges.delivery":
        if action == "create":
            text = (
                f"Delivered {_units(after.get('quantity'))} on {after.get('delivered_on')} (delivery #{oid})"
            )
            badge = "warn"
        elif action == "confirm":
            text, badge = f"Receipt of delivery #{oid} confirmed", "ok"
        elif action == "update":
            text = f"Delivery #{oid} corrected: " + ", ".join(_changed(before, after))
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


def coverage(allocated: int, delivered: int, total: int | None) -> tuple[str, str]:
    """Widths of a coverage bar (allocated, delivered) as CSS percentages."""
    if not total:
        return "0", "0"
    return (f"{min(100.0, 100 * allocated / total):.1f}", f"{min(100.0, 100 * delivered / total):.1f}")


# --- requirement pages -----------------------------------------------------------------------------


def _may_enter(user: Any) -> bool:
    return is_admin(user) or is_recipient_officer_of(user, user.participant_id)


def _filtered(request: HttpRequest) -> tuple[Any, dict[str, str]]:
    get = request.GET
    priority, status = get.get("priority") or "", get.get("status") or ""
    chosen = {
        "capability": get.get("capability") or "",
        "priority": priority if priority in Priority.values else "",
        "status": status if status in dict(STATUS_FILTERS) else "",
        "q": (get.get("q") or "").strip(),
    }
    # Statuses as the user may know them (coverage.py): filtering reveals no more than the list.
    status = {"open": coverage_rule.NOT_FULLY_COVERED, "unallocated": RequirementStatus.OPEN}.get(
        chosen["status"], chosen["status"]
    )
    qs = selectors.requirement_list(
        user=request.user,
        capability=chosen["capability"] or None,
        priority=chosen["priority"] or None,
        status=status or None,
        q=chosen["q"] or None,
    )
    return qs, chosen


@login_required
def requirement_list(request: HttpRequest) -> HttpResponse:
    """Requirements you may see, most urgent first, with coverage bars; filters and exports."""
    qs, chosen = _filtered(request)
    page = page_of(request, qs)
    rows = []
    for r in page.object_list:
        seen = coverage_rule.of(r, request.user)
        rows.append(
            {
                "r": r,
                "cov": seen,
                "badge": STATUS_BADGE.get(seen.status, ""),
                "status_label": seen.status_label,
                "bar": seen.bar,
            }
        )
    return render(
        request,
        "requirements/requirement_list.html",
        {
            "page": page,
            "rows": rows,
            "chosen": chosen,
            "capabilities": catalog_selectors.capability_list(user=request.user),
            "priorities": Priority.choices,
            "statuses": STATUS_FILTERS,
            "may_enter": _may_enter(request.user),
            "coverage_note": coverage_rule.NOTE,
        },
    )


def _allocatable_pledges(user: Any, requirement: Requirement) -> list[Any]:
    """In-kind pledges the cell may still allocate to this requirement (accepted type, units left)."""
    return list(
        pledge_selectors.pledge_list(user=user, kind=PledgeKind.IN_KIND)
        .filter(
            status__in=ALLOCATABLE,
            item_type__in=[t.pk for t in requirement.item_types.all()],
            allocated_quantity__lt=F("quantity"),
        )
        .order_by("available_from", "id")[:200]
    )


@login_required
def requirement_detail(request: HttpRequest, requirement_id: int) -> HttpResponse:
    """One requirement: coverage, allocations, deliveries (confirm receipt), lifecycle, actions."""
    user = request.user
    requirement = visible_or_404(lambda: selectors.get_requirement(user=user, requirement_id=requirement_id))
    allocations = list(pledge_selectors.allocation_list(user=user, requirement=requirement.pk))
    deliveries = list(pledge_selectors.delivery_list(user=user, requirement=requirement.pk))
    is_owner = is_recipient_officer_of(user, requirement.owner_id)
    seen = coverage_rule.of(requirement, user)
    may_allocate = is_coordination_cell(user) and requirement.outstanding_quantity > 0
    events, omitted = timeline(
        [("requirements.requirement", requirement.pk)]
        + [("pledges.allocation", a.pk) for a in allocations]
        + [("pledges.delivery", d.pk) for d in deliveries],
        on_requirement=True,
    )
    return render(
        request,
        "requirements/requirement_detail.html",
        {
            "requirement": requirement,
            "cov": seen,
            "coverage_note": coverage_rule.NOTE,
            "badge": STATUS_BADGE.get(seen.status, ""),
            "status_label": seen.status_label,
            "bar": seen.bar,
            "allocations": allocations,
            "deliveries": deliveries,
            "timeline": events,
            "timeline_omitted": omitted,
            "may_edit": is_owner and not requirement.cancelled,
            # Offered only when the owner can tell it is allowed (else the service says why).
            "may_cancel": is_owner
            and not requirement.cancelled
            and seen.allocated is not None
            and seen.allocated == seen.delivered,
            "may_confirm": is_owner,
            "may_allocate": may_allocate,
            "may_manage": is_coordination_cell(user),
            "pledges": _allocatable_pledges(user, requirement) if may_allocate else [],
        },
    )


def _form_page(
    request: HttpRequest,
    *,
    form: RequirementForm,
    save: Callable[[], Any],
    title: str,
    validate_url: str,
    cancel_url: str,
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            requirement = save()
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except DomainError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, f"Requirement #{requirement.pk} saved.")
            return redirect("requirement-detail", requirement_id=requirement.pk)
    return render(
        request,
        "requirements/requirement_form.html",
        {"form": form, "title": title, "validate_url": validate_url, "cancel_url": cancel_url},
    )


@login_required
@require_http_methods(["GET", "POST"])
def requirement_create(request: HttpRequest) -> HttpResponse:
    """Enter a requirement (the recipient's officers)."""
    if not _may_enter(request.user):
        raise DjangoPermissionDenied("Only the recipient's officers enter requirements.")
    validate_url = reverse("requirement-validate")
    form = RequirementForm(request.POST or None, user=request.user, validate_url=validate_url)
    return _form_page(
        request,
        form=form,
        save=lambda: services.create_requirement(actor=request.user, data=form.for_service()),
        title="New requirement",
        validate_url=validate_url,
        cancel_url=reverse("requirement-list"),
    )


@login_required
@require_POST
def requirement_validate(request: HttpRequest) -> HttpResponse:
    """Inline validation of the new-requirement form (HTMX): a dry run of the create."""
    if not _may_enter(request.user):
        raise DjangoPermissionDenied
    form = RequirementForm(request.POST, user=request.user)
    return validation_response(
        request, form, lambda: services.create_requirement(actor=request.user, data=form.for_service())
    )


def _editable(request: HttpRequest, requirement_id: int) -> Requirement:
    requirement = visible_or_404(
        lambda: selectors.get_requirement(user=request.user, requirement_id=requirement_id)
    )
    if not is_recipient_officer_of(request.user, requirement.owner_id):
        raise DjangoPermissionDenied("Only the owning recipient's officers change a requirement.")
    return requirement  # type: ignore[no-any-return]


def _update(request: HttpRequest, requirement_id: int, form: RequirementForm) -> Any:
    return services.update_requirement(
        actor=request.user,
        requirement_id=requirement_id,
        changes=form.for_service(),
        if_match=form.cleaned_data.get("etag") or None,
    )


@login_required
@require_http_methods(["GET", "POST"])
def requirement_edit(request: HttpRequest, requirement_id: int) -> HttpResponse:
    """Change a requirement (the owning recipient's officers); a concurrent change is refused."""
    requirement = _editable(request, requirement_id)
    validate_url = reverse("requirement-edit-validate", args=[requirement.pk])
    initial = {**RequirementForm.initial_from(requirement), "etag": etag_for(requirement)}
    form = RequirementForm(
        request.POST or None, user=request.user, initial=initial, validate_url=validate_url
    )
    return _form_page(
        request,
        form=form,
        save=lambda: _update(request, requirement.pk, form),
        title=f"Edit requirement #{requirement.pk}",
        validate_url=validate_url,
        cancel_url=reverse("requirement-detail", args=[requirement.pk]),
    )


@login_required
@require_POST
def requirement_edit_validate(request: HttpRequest, requirement_id: int) -> HttpResponse:
    """Inline validation of the edit form (HTMX): a dry run of the update."""
    requirement = _editable(request, requirement_id)
    form = RequirementForm(request.POST, user=request.user)
    return validation_response(request, form, lambda: _update(request, requirement.pk, form))


@login_required
@require_POST
def requirement_cancel(request: HttpRequest, requirement_id: int) -> HttpResponse:
    """Cancel a requirement (the owning recipient's officers), after a confirmation with a reason."""
    requirement = _editable(request, requirement_id)
    detail = reverse("requirement-detail", args=[requirement.pk])
    confirmation = Confirmation(
        title=f"Cancel requirement #{requirement.pk}",
        question=f"Cancel requirement #{requirement.pk}"
        + (f" ({requirement.external_ref})" if requirement.external_ref else "")
        + f": {requirement.quantity} {requirement.unit} of {requirement.capability.name}?",
        consequences=[
            "A cancelled requirement leaves the clearing house and cannot be reopened.",
            f"{count_of(requirement.delivered_quantity, 'unit')} "
            f"{'was' if requirement.delivered_quantity == 1 else 'were'} delivered against it; "
            "they stay recorded.",
        ],
        action=reverse("requirement-cancel", args=[requirement.pk]),
        cancel_url=detail,
        button="Cancel the requirement",
        reason_required=True,
    )
    return confirmed_act(
        request,
        confirmation,
        lambda reason: services.cancel_requirement(
            actor=request.user, requirement_id=requirement.pk, reason=reason
        ),
        done=f"Requirement #{requirement.pk} cancelled.",
    )


@login_required
@require_POST
def requirement_allocate(request: HttpRequest, requirement_id: int) -> HttpResponse:
    """Allocate units of a pledge to this requirement (the coordination cell)."""
    if not is_coordination_cell(request.user):
        raise DjangoPermissionDenied("Only the coordination cell allocates pledges to requirements.")
    pledge = request.POST.get("pledge") or ""
    if not pledge.isdigit():
        messages.error(request, "Choose a pledge to allocate.")
        return redirect(back_to(request, reverse("requirement-detail", args=[requirement_id])))
    return act(
        request,
        lambda: pledge_services.allocate(
            actor=request.user,
            pledge_id=int(pledge),
            requirement_id=requirement_id,
            quantity=request.POST.get("quantity"),
            notes=request.POST.get("notes", ""),
        ),
        done=f"Pledge #{pledge} allocated to requirement #{requirement_id}.",
        default=reverse("requirement-detail", args=[requirement_id]),
    )
