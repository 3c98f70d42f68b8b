"""Pages of requirements: list with coverage bars, detail with allocations, deliveries and timeline,
forms with inline validation. A requirement's own page (its allocations, deliveries and timeline)
is in `pledges/views_requirement.py`: it shows pledges; the page helpers every app shares are in
`core.pages`.

Views are thin: they read through selectors and write through services; a record the user may not
see is a 404 (like a missing one), an action the user's role does not allow is a 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from clearinghouse.catalog import selectors as catalog_selectors
from clearinghouse.core import clock, lists
from clearinghouse.core.errors import DomainError, NotFound
from clearinghouse.core.etag import etag_for
from clearinghouse.core.humanize import count_of
from clearinghouse.core.pages import (
    Confirmation,
    confirmed_act,
    page_of,
    validation_response,
)
from clearinghouse.participants import selectors as participant_selectors
from clearinghouse.participants.permissions import (
    is_recipient_officer_of,
)
from clearinghouse.requirements import coverage as coverage_rule
from clearinghouse.requirements import policies, selectors, services
from clearinghouse.requirements.choices import Priority, RequirementStatus
from clearinghouse.requirements.forms import RequirementForm
from clearinghouse.requirements.models import Requirement

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


# --- requirement pages -----------------------------------------------------------------------------


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
    sort = lists.sort_of(request, REQUIREMENT_SORTS, ("priority_rank", "needed_by", "id"))
    page = page_of(request, qs.order_by(*sort.ordering))
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
            "may_enter": policies.may_enter(request.user),
            "coverage_note": coverage_rule.NOTE,
            "sort": sort,
            "totals": selectors.totals(qs, request.user, clock.today()),
            "chips": lists.chips(
                request,
                {"capability": "Capability", "priority": "Priority", "status": "Status", "q": "Search"},
                {
                    "priority": dict(Priority.choices),
                    "status": dict(STATUS_FILTERS),
                    "capability": {
                        c.code: c.name for c in catalog_selectors.capability_list(user=request.user)
                    },
                },
            ),
            "list_name": "requirement-list",
            "saved_views": participant_selectors.saved_views(user=request.user, list_name="requirement-list"),
        },
    )


# The columns a requirement list sorts by. Not coverage: an order by what is allocated would tell
# the allocations a viewer may not see (requirements/coverage.py).
REQUIREMENT_SORTS = {
    "id": "id",
    "external_ref": "external_ref",
    "capability": "capability__name",
    "quantity": "quantity",
    "priority": "priority_rank",
    "needed_by": "needed_by",
}


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
        except NotFound:
            raise  # the 404 page (core.middleware)
        except DomainError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, f"Requirement R{requirement.pk} saved.")
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
    if not policies.may_enter(request.user):
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
    if not policies.may_enter(request.user):
        raise DjangoPermissionDenied
    form = RequirementForm(request.POST, user=request.user)
    return validation_response(
        request, form, lambda: services.create_requirement(actor=request.user, data=form.for_service())
    )


def _editable(request: HttpRequest, requirement_id: int) -> Requirement:
    requirement = selectors.get_requirement(user=request.user, requirement_id=requirement_id)
    if not is_recipient_officer_of(request.user, requirement.owner_id):
        raise DjangoPermissionDenied("Only the owning recipient's officers change a requirement.")
    return requirement


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
        title=f"Edit requirement R{requirement.pk}",
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
        title=f"Cancel requirement R{requirement.pk}",
        question=f"Cancel requirement R{requirement.pk}"
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
        done=f"Requirement R{requirement.pk} cancelled.",
    )
