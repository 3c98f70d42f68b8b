"""Project pages that draw on several apps: the home dashboard.

They sit above every app (like `urls.py` and `api.py`), so no app imports another one above it to
show its figures.
"""

from __future__ import annotations

from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from clearinghouse.clearing import selectors as clearing_selectors
from clearinghouse.participants import selectors as participant_selectors
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
    participants = list(participant_selectors.participant_list(user=request.user))
    by_kind = [
        (ParticipantKind(kind).label, list(items))
        for kind, items in groupby(participants, key=lambda p: p.kind)
    ]
    pipeline = pledge_selectors.pipeline(user=request.user)
    context = {
        "by_kind": by_kind,
        "mandate": current_mandate(),
        "mandates": participant_selectors.mandate_list(user=request.user),
        "open_by_priority": [
            (Priority(p).label, p, n)
            for p, n in requirement_selectors.open_by_priority(user=request.user).items()
        ],
        "pipeline": [(PledgeStatus(s).label, s, v) for s, v in pipeline.items()],
        "shortfall": clearing_selectors.shortfalls(user=request.user),
    }
    return render(request, "home.html", context)
