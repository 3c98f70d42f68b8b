"""Who may use governance's API operations and pages (merged into tests/access.py).

Everyone signed in reads bodies, meetings, decisions and handovers. The secretariat (the coordinators
of the participant holding the delivery coordination, and admins) records meetings, proposes and
closes decisions and proposes handovers; a member's own officer records its own position; the
incoming participant's coordinator (here: only admins, no persona acts for GBR) accepts a handover.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.access_rules import ALL, COORDINATION, Rule
from tests.snapshot import Step

from clearinghouse.core import clock


def _load_bodies() -> None:
    from clearinghouse.governance.services import load_bodies

    load_bodies()


# Built through the services once per test process, restored from its rows for every later persona
# and row (tests/snapshot.py): each matrix row sets the bodies up again for each of its personas.
BODIES = Step(_load_bodies)


def _bodies(p: dict[str, Any]) -> dict[str, Any]:
    BODIES.run()
    return {}


def _meeting(p: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.governance.services import create_meeting

    _bodies(p)
    m = create_meeting(actor=p["admin"], data={"body": "udcg", "date": "2025-04-11", "title": "UDCG 27"})
    return {"meeting_id": m.pk}


def _decision(p: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.governance.services import propose_decision

    _bodies(p)
    d = propose_decision(
        actor=p["admin"],
        data={"body": "udcg", "title": "T", "procedure": "silence", "deadline": clock.today().isoformat()},
    )
    return {"decision_id": d.pk}


def _adopted_handover(p: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.governance.services import propose_handover

    _bodies(p)
    h = propose_handover(actor=p["admin"], body="nac", to="GBR", effective=dt.date(2027, 1, 1))
    type(h.decision).objects.filter(pk=h.decision_id).update(status="adopted")
    return {"handover_id": h.pk}


def _catalog(p: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.pledges.tests.factories import ensure_catalog

    ensure_catalog()
    return _bodies(p)


def _only(setup: Any, p: dict[str, Any]) -> dict[str, Any]:
    """Set up the records, but the page takes no path value."""
    setup(p)
    return {}


API: dict[tuple[str, str], Rule] = {
    ("GET", "/api/v1/clearing/coalitions/{code}"): Rule(
        ALL, setup=lambda p: {**_bodies(p), "code": "coalition-drones"}
    ),
    # The secretariat or the coalition's lead nations (USA leads the artillery coalition).
    ("POST", "/api/v1/clearing/coalitions/{code}/roadmap"): Rule(
        COORDINATION | {"donor_usa"},
        setup=lambda p: {**_catalog(p), "code": "coalition-artillery"},
        body=lambda p: {"capability": "ammunition", "year": 2026, "quantity": 10},
        denied=(403,),
    ),
    ("GET", "/api/v1/bodies"): Rule(ALL, setup=_bodies),
    ("GET", "/api/v1/bodies/{code}"): Rule(ALL, setup=lambda p: {**_bodies(p), "code": "udcg"}),
    ("GET", "/api/v1/meetings"): Rule(ALL, setup=_meeting),
    ("POST", "/api/v1/meetings"): Rule(
        COORDINATION,
        ok=(201,),
        setup=_bodies,
        body=lambda p: {"body": "udcg", "date": "2025-04-11", "title": "UDCG 27", "format": "in_person"},
        denied=(403,),
    ),
    ("GET", "/api/v1/meetings/{meeting_id}"): Rule(ALL, setup=_meeting),
    ("GET", "/api/v1/decisions"): Rule(ALL, setup=_decision),
    ("POST", "/api/v1/decisions"): Rule(
        COORDINATION,
        ok=(201,),
        setup=_bodies,
        body=lambda p: {"body": "nac", "title": "T", "procedure": "consensus"},
        denied=(403,),
    ),
    ("GET", "/api/v1/decisions/{decision_id}"): Rule(ALL, setup=_decision),
    # The secretariat for any member; a member's own officer for itself (USA's donor officer here).
    ("POST", "/api/v1/decisions/{decision_id}/positions"): Rule(
        COORDINATION | {"donor_usa"},
        ok=(201,),
        setup=_decision,
        body=lambda p: {"participant": "USA", "position": "agree", "note": ""},
        denied=(403,),
    ),
    ("POST", "/api/v1/decisions/{decision_id}/close"): Rule(COORDINATION, setup=_decision, denied=(403,)),
    ("GET", "/api/v1/handovers"): Rule(ALL, setup=_adopted_handover),
    ("POST", "/api/v1/handovers"): Rule(
        COORDINATION,
        ok=(201,),
        setup=_bodies,
        body=lambda p: {"body": "nac", "to": "GBR", "effective": "2027-01-01"},
        denied=(403,),
    ),
    ("POST", "/api/v1/handovers/{handover_id}/accept"): Rule(
        frozenset({"admin"}), setup=_adopted_handover, denied=(403,)
    ),
}

PAGES: dict[str, Rule] = {
    "coalition-detail": Rule(ALL, setup=lambda p: {**_bodies(p), "code": "coalition-drones"}),
    "governance-home": Rule(ALL, setup=_bodies),
    "body-detail": Rule(ALL, setup=lambda p: {**_bodies(p), "code": "udcg"}),
    "decision-list": Rule(ALL, setup=lambda p: _only(_decision, p)),
    "decision-detail": Rule(ALL, setup=_decision),
    "meeting-list": Rule(ALL, setup=lambda p: _only(_meeting, p)),
    # The form to record a meeting: the secretariat only.
    "meeting-create": Rule(COORDINATION, setup=_bodies, denied=(403,)),
    "meeting-detail": Rule(ALL, setup=_meeting),
    "meeting-briefing": Rule(ALL, setup=_meeting),
}
