"""Small builders shared by tests of other apps: a governed handover (decision, adoption, acceptance)."""

from __future__ import annotations

import datetime as dt
from typing import Any


def adopted_handover(secretariat: Any, to: str, effective: dt.date) -> Any:
    """A handover of the delivery coordination to `to` on `effective`, decided and adopted (not yet
    accepted) by a council of no members (consensus with nobody to object: adopted on closing)."""
    from clearinghouse.governance import services
    from clearinghouse.governance.models import Body

    Body.objects.get_or_create(
        code="handover-council",
        defaults={"name": "Handover council", "kind": "council", "procedure": "consensus"},
    )
    handover = services.propose_handover(
        actor=secretariat, body="handover-council", to=to, effective=effective
    )
    closed = services.close_decision(actor=secretariat, decision_id=handover.decision_id)
    assert closed.status == "adopted"
    return handover


def incoming_coordinator(participant: str) -> Any:
    """A coordinator account of `participant` (the one who accepts a handover to it)."""
    from clearinghouse.participants.models import User
    from clearinghouse.participants.services import create_user

    username = f"{participant.lower()}_coord"
    found = User.objects.filter(username=username).first()
    return found or create_user(
        actor=None, username=username, participant=participant, role="coordinator", password=None
    )


def governed_handover(secretariat: Any, to: str, effective: dt.date, *, accept_as: Any = None) -> Any:
    """Decide, adopt and accept a handover (by `accept_as`, the incoming participant's coordinator by
    default); returns the new mandate."""
    from clearinghouse.governance import services

    handover = adopted_handover(secretariat, to, effective)
    return services.accept_handover(actor=accept_as or incoming_coordinator(to), handover_id=handover.pk)
