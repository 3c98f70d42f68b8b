"""Pages of offers against needs: the offers waiting for the recipient (or the cell) to accept,
several at once, or decline; and the open requirements a donor could serve."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from clearinghouse.core.errors import DomainError, RowErrors
from clearinghouse.core.pages import ACCESS_ERRORS, back_to
from clearinghouse.participants import selectors as participant_selectors
from clearinghouse.participants.permissions import is_admin, is_coordination_cell
from clearinghouse.pledges import offers, policies, selectors, services
from clearinghouse.pledges.choices import PledgeStatus


@login_required
def offer_list(request: HttpRequest) -> HttpResponse:
    """Offers made against requirements that you decide on: accept several at once, or decline one
    with a reason."""
    rows = [
        {"p": p, "may_decide": policies.may_move(request.user, p, PledgeStatus.ACCEPTED)}
        for p in selectors.offer_list(user=request.user)[:500]
    ]
    return render(
        request,
        "pledges/offer_list.html",
        {"rows": rows, "may_decide": any(r["may_decide"] for r in rows)},
    )


@login_required
@require_POST
def offer_accept(request: HttpRequest) -> HttpResponse:
    """Accept the ticked offers, all or none: a refused one is named with its reason and none is accepted."""
    ids = request.POST.getlist("pledge")
    try:
        accepted = services.accept_pledges(
            actor=request.user, pledge_ids=ids, reason=request.POST.get("reason", "")
        )
    except RowErrors as exc:
        for index, error in exc.errors:
            messages.error(request, f"Pledge #{ids[index]}: {error.message}")
        messages.error(request, "Nothing was accepted.")
    except ACCESS_ERRORS:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Accepted {len(accepted)}: " + ", ".join(f"#{p.pk}" for p in accepted) + "."
        )
    return redirect(back_to(request, reverse("offer-list")))


@login_required
def servable_list(request: HttpRequest) -> HttpResponse:
    """Requirements you could serve: open requirements accepting item types you have pledged, most
    urgent first (priority, then the largest shortfall), each with an "Offer" link."""
    user = request.user
    cell = is_coordination_cell(user) or is_admin(user)
    code = (request.GET.get("donor") or "").upper()
    if not cell and not policies.may_enter(user):
        raise DjangoPermissionDenied("Only donor officers and the coordination cell see this page.")
    donor = None
    rows = []
    if code or not cell:
        try:
            donor = offers.donor_for_view(user, code or None)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            rows = selectors.servable_requirements(user=user, donor=donor.pk)
    return render(
        request,
        "pledges/servable_list.html",
        {
            "rows": rows,
            "donor": donor,
            "cell": cell,
            "may_offer": policies.may_enter(user) and not cell,
            "donors": participant_selectors.participant_list(user=user).exclude(kind="recipient")
            if cell
            else [],
        },
    )
