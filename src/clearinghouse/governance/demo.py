"""Demo governance: the bodies, four past meetings of the contact group (public dates and places),
the alliance's decided handover of the coordination to its command (NSATU) and the Council decision
on the Ukraine Fund with Hungary exempt (the fund's opt-out cites it). Idempotent."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from clearinghouse.core import audit, clock
from clearinghouse.core.actors import Actor, signed_in
from clearinghouse.governance import services
from clearinghouse.governance.choices import Subject
from clearinghouse.governance.models import Decision, Handover, Meeting
from clearinghouse.participants.models import CoordinationMandate, User

FUND = "ukraine-fund"

MEETINGS: list[dict[str, Any]] = [
    {
        "date": "2025-01-09",
        "title": "25th meeting of the Ukraine Defense Contact Group",
        "place": "Ramstein Air Base, Germany",
        "chairs": ["USA"],
        "agenda": ["Air defence", "Munitions", "Capability coalitions: progress", "Handover of coordination"],
        "source": "U.S. Department of Defense readout, 9 January 2025",
    },
    {
        "date": "2025-02-12",
        "title": "26th meeting of the Ukraine Defense Contact Group",
        "place": "NATO headquarters, Brussels",
        "chairs": ["GBR"],
        "agenda": ["Air defence", "Drones", "Support in 2025"],
        "source": "UK Ministry of Defence, 12 February 2025",
    },
    {
        "date": "2025-04-11",
        "title": "27th meeting of the Ukraine Defense Contact Group",
        "place": "NATO headquarters, Brussels",
        "chairs": ["GBR", "DEU"],
        "agenda": ["Air defence", "Artillery and munitions", "Capability coalitions: roadmaps"],
        "source": "UK Ministry of Defence and German Federal Ministry of Defence, 11 April 2025",
    },
    {
        "date": "2025-06-04",
        "title": "28th meeting of the Ukraine Defense Contact Group",
        "place": "NATO headquarters, Brussels",
        "chairs": ["GBR", "DEU"],
        "agenda": ["Air defence", "Drones", "Fund compliance"],
        "source": "UK Ministry of Defence, 4 June 2025",
    },
]


def seed(admin: Actor) -> None:
    services.load_bodies(actor=admin)
    for m in MEETINGS:
        if not Meeting.objects.filter(body__code="udcg", date=m["date"]).exists():
            services.create_meeting(
                actor=admin,
                data={
                    "body": "udcg",
                    "format": "in_person",
                    **m,
                    "minutes": "Demo: the pledges linked to this meeting are illustrative.",
                },
            )
    _fund_decision(admin)
    _handover(admin)


def _adopt(admin: Actor, decision: Decision, exempt: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    for membership in decision.body.members_on():
        code = membership.participant.code
        services.record_position(
            actor=admin,
            decision_id=decision.pk,
            participant=code,
            position="exempt" if code in exempt else "agree",
            note="Constructive abstention: not taking part in nor paying for the effort."
            if code in exempt
            else "",
        )
    services.close_decision(actor=admin, decision_id=decision.pk)


def _fund_decision(admin: Actor) -> None:
    if Decision.objects.filter(subject=Subject.FUND, subject_ref=FUND).exists():
        return
    decision = services.propose_decision(
        actor=admin,
        data={
            "body": "nac",
            "title": "Establish the Ukraine Fund (100 billion USD over five years, shared by GDP)",
            "procedure": "consensus",
            "subject": Subject.FUND,
            "subject_ref": FUND,
        },
    )
    _adopt(admin, decision, exempt={"HUN"})


def ensure_fund_decision(admin: Actor) -> int:
    """The Council's adopted decision on the fund (bodies loaded and the decision made if missing):
    what Hungary's opt-out cites, also when the funds demo is seeded on its own."""
    services.load_bodies(actor=admin)
    _fund_decision(admin)
    found = fund_decision_id()
    assert found is not None
    return found


def fund_decision_id() -> int | None:
    """The Council's decision on the fund (cited by Hungary's opt-out)."""
    found = Decision.objects.filter(subject=Subject.FUND, subject_ref=FUND, status="adopted").first()
    return found.pk if found else None


def _handover(admin: Actor) -> None:
    """The handover already in the mandates (to NATO on 2025-01-01), recorded with its decision."""
    mandate = CoordinationMandate.objects.filter(
        function="delivery_coordination", participant__code="NATO", start=dt.date(2025, 1, 1)
    ).first()
    if mandate is None or Handover.objects.filter(mandate=mandate).exists():
        return
    decision = services.propose_decision(
        actor=admin,
        data={
            "body": "nac",
            "title": "NSATU takes over the coordination of security assistance from 1 January 2025",
            "procedure": "consensus",
            "subject": Subject.HANDOVER,
            "subject_participant": "NATO",
        },
    )
    _adopt(admin, decision)
    accepted_by = User.objects.filter(participant__code="NATO", role="coordinator").first() or signed_in(
        admin
    )
    with transaction.atomic():
        handover = Handover.objects.create(
            decision=decision,
            to_participant=mandate.participant,
            effective=mandate.start,
            accepted_by=accepted_by,
            accepted_at=clock.now(),
            mandate=mandate,
        )
        decision.subject_ref = str(handover.pk)
        decision.save(update_fields=["subject_ref"])
        audit.record(actor=admin, action="create", obj=handover, after=audit.snapshot(handover))
