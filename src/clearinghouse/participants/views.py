"""Pages: participant list and detail."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from clearinghouse.core.errors import DomainError
from clearinghouse.participants import selectors, services
from clearinghouse.participants.choices import ParticipantKind


@login_required
def participant_list(request: HttpRequest) -> HttpResponse:
    """All participants, filterable by kind and name."""
    kind = request.GET.get("kind") or None
    if kind not in (None, *ParticipantKind.values):
        kind = None
    qs = selectors.participant_list(user=request.user, kind=kind, q=request.GET.get("q") or None)
    return render(
        request,
        "participants/participant_list.html",
        {"participants": qs.prefetch_related("groups"), "kinds": ParticipantKind.choices, "kind": kind},
    )


@login_required
def participant_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One participant: kind, groups, mandates it held, its people (if visible)."""
    participant = selectors.get_participant(user=request.user, code=code)
    return render(
        request,
        "participants/participant_detail.html",
        {
            "participant": participant,
            "groups": participant.groups.all(),
            "mandates": selectors.mandate_list(user=request.user).filter(participant=participant),
        },
    )


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("home")


@login_required
@require_POST
def saved_view_save(request: HttpRequest) -> HttpResponse:
    """Save the list's current filters and order under a name (the list's "Saved views")."""
    try:
        view = services.save_view(
            actor=request.user,
            list_name=request.POST.get("list"),
            name=request.POST.get("name"),
            query=request.POST.get("query"),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(_back(request))
    messages.success(request, f"Saved the view “{view.name}”.")
    return redirect(_back(request))


@login_required
@require_POST
def saved_view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    """Delete one of your saved views (another user's is not found)."""
    services.delete_view(actor=request.user, view_id=view_id)  # NotFound: the 404 page
    messages.success(request, "Saved view deleted.")
    return redirect(_back(request))
