"""Pages: home, participant list and detail."""

from __future__ import annotations

from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from clearinghouse.clearing import selectors as clearing_selectors
from clearinghouse.core.errors import NotFound
from clearinghouse.participants import selectors
from clearinghouse.participants.choices import ParticipantKind
from clearinghouse.participants.services import current_mandate
from clearinghouse.pledges import selectors as pledge_selectors
from clearinghouse.pledges.choices import PledgeStatus
from clearinghouse.requirements import selectors as requirement_selectors
from clearinghouse.requirements.choices import Priority


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Who leads the coordination, open requirements by priority, the pledge pipeline, shortfalls,
    and who takes part."""
    participants = list(selectors.participant_list(user=request.user))
    by_kind = [
        (ParticipantKind(kind).label, list(items))
        for kind, items in groupby(participants, key=lambda p: p.kind)
    ]
    pipeline = pledge_selectors.pipeline(user=request.user)
    context = {
        "by_kind": by_kind,
        "mandate": current_mandate(),
        "mandates": selectors.mandate_list(user=request.user),
        "open_by_priority": [
            (Priority(p).label, p, n)
            for p, n in requirement_selectors.open_by_priority(user=request.user).items()
        ],
        "pipeline": [(PledgeStatus(s).label, s, v) for s, v in pipeline.items()],
        "shortfall": clearing_selectors.shortfalls(user=request.user),
    }
    return render(request, "participants/home.html", context)


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
    try:
        participant = selectors.get_participant(user=request.user, code=code)
    except NotFound as exc:
        raise Http404 from exc
    return render(
        request,
        "participants/participant_detail.html",
        {
            "participant": participant,
            "groups": participant.groups.all(),
            "mandates": selectors.mandate_list(user=request.user).filter(participant=participant),
        },
    )
