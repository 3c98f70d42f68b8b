"""Pages: participant list and detail."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from clearinghouse.participants import selectors
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
