"""A requirement's page: its coverage, the allocations and deliveries behind it, its lifecycle, and
allocating a pledge to it. A pledges page (URL under /requirements/): it shows and writes pledges,
which sit above requirements."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from clearinghouse.core import clock
from clearinghouse.core.actors import Actor
from clearinghouse.core.pages import act, back_to
from clearinghouse.participants.permissions import is_coordination_cell, is_recipient_officer_of
from clearinghouse.pledges import policies
from clearinghouse.pledges import selectors as pledge_selectors
from clearinghouse.pledges import services as pledge_services
from clearinghouse.pledges.choices import ALLOCATABLE, PledgeKind, PledgeStatus
from clearinghouse.pledges.timeline import timeline
from clearinghouse.requirements import consumption, derived, selectors
from clearinghouse.requirements import coverage as coverage_rule
from clearinghouse.requirements.models import Requirement
from clearinghouse.requirements.value import Valuer, coverage_value
from clearinghouse.requirements.views import STATUS_BADGE


def _allocatable_pledges(user: Actor, requirement: Requirement) -> list[Any]:
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
    requirement = selectors.get_requirement(user=user, requirement_id=requirement_id)
    allocations = list(pledge_selectors.allocation_list(user=user, requirement=requirement.pk))
    deliveries = list(pledge_selectors.delivery_list(user=user, requirement=requirement.pk))
    is_owner = is_recipient_officer_of(user, requirement.owner_id)
    seen = coverage_rule.of(requirement, user)
    value = coverage_value(seen, Valuer(clock.today()).unit_value(requirement))
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
            "value": value,
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
            # A rate's months, where the viewer sees every allocation (their months tell their dates).
            "months": consumption.requirement_months(requirement)
            if seen.mode == coverage_rule.EXACT
            else None,
            "derived": derived.derived_from(requirement, user),
            "crumbs": [
                ("Requirements", reverse("requirement-list")),
                (
                    requirement.capability.name,
                    reverse("requirement-list") + f"?capability={requirement.capability.code}",
                ),
                (f"Requirement #{requirement.pk}", None),
            ],
            "may_offer": policies.may_enter(user)
            and not is_owner
            and not requirement.cancelled
            and (seen.outstanding is None or seen.outstanding > 0),
            "offers": [
                (p, p.status == PledgeStatus.OFFERED and policies.may_move(user, p, PledgeStatus.ACCEPTED))
                for p in pledge_selectors.pledge_list(user=user, offered_against=requirement.pk)[:200]
            ],
        },
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
        done=f"Pledge P{pledge} allocated to requirement R{requirement_id}.",
        default=reverse("requirement-detail", args=[requirement_id]),
    )
