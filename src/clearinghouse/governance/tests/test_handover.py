"""Mandates that confer powers: a governed handover moves the coordination powers on its date."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clearinghouse.clearing.models import ClearingRun
from clearinghouse.core import clock
from clearinghouse.core.errors import Conflict, PermissionDenied
from clearinghouse.governance import services
from clearinghouse.participants.models import CoordinationMandate
from clearinghouse.participants.permissions import is_coordination_cell
from clearinghouse.participants.services import create_user

pytestmark = pytest.mark.django_db

TODAY = clock.today()


def _adopt(p: dict[str, Any], decision_id: int) -> None:
    from clearinghouse.governance.models import Decision

    decision = Decision.objects.get(pk=decision_id)
    for m in decision.body.members_on():
        services.record_position(
            actor=p["coordinator"], decision_id=decision_id, participant=m.participant.code, position="agree"
        )
    assert services.close_decision(actor=p["coordinator"], decision_id=decision_id).status == "adopted"


def test_handover_needs_adoption_and_acceptance_then_moves_powers(
    bodies: dict[str, Any], api_client: Any
) -> None:
    gbr = create_user(actor=None, username="gbr_coord", participant="GBR", role="coordinator", password=None)
    nato = bodies["coordinator"]
    assert is_coordination_cell(nato) and not is_coordination_cell(gbr)
    handover = services.propose_handover(actor=nato, body="nac", to="GBR", effective=TODAY)
    # Not adopted yet: the incoming participant cannot accept.
    with pytest.raises(Conflict, match="not adopted"):
        services.accept_handover(actor=gbr, handover_id=handover.pk)
    _adopt(bodies, handover.decision_id)
    # Only the incoming participant accepts (not the outgoing's coordinators, not a donor).
    with pytest.raises(PermissionDenied):
        services.accept_handover(actor=nato, handover_id=handover.pk)
    mandate = services.accept_handover(actor=gbr, handover_id=handover.pk)
    assert mandate.participant.code == "GBR" and mandate.start == TODAY
    with pytest.raises(Conflict):
        services.accept_handover(actor=gbr, handover_id=handover.pk)
    # From the effective date the powers moved: the outgoing coordinators get 403.
    assert not is_coordination_cell(nato) and is_coordination_cell(gbr)
    assert is_coordination_cell(nato, on=TODAY - dt.timedelta(days=1))
    assert ClearingRun.write_q(nato, "change") is None and ClearingRun.write_q(gbr, "change") is not None
    r = api_client(nato).post("/api/v1/clearing/runs", {}, content_type="application/json")
    assert r.status_code == 403
    r = api_client(nato).post(
        "/api/v1/decisions",
        {"body": "nac", "title": "x", "procedure": "consensus"},
        content_type="application/json",
    )
    assert r.status_code == 403
    r = api_client(gbr).post(
        "/api/v1/decisions",
        {"body": "nac", "title": "x", "procedure": "consensus"},
        content_type="application/json",
    )
    assert r.status_code == 201
    # History stays: NATO's mandate ended on the date, USA's before it untouched.
    history = CoordinationMandate.objects.filter(function="delivery_coordination").order_by("start")
    assert [(m.participant.code, m.end) for m in history] == [
        ("USA", dt.date(2025, 1, 1)),
        ("NATO", TODAY),
        ("GBR", None),
    ]


def test_future_handover_keeps_powers_until_the_date(bodies: dict[str, Any], api_client: Any) -> None:
    gbr = create_user(actor=None, username="gbr_coord", participant="GBR", role="coordinator", password=None)
    later = TODAY + dt.timedelta(days=30)
    r = api_client(bodies["coordinator"]).post(
        "/api/v1/handovers",
        {"body": "nac", "to": "GBR", "effective": later.isoformat()},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    hid, did = r.json()["id"], r.json()["decision"]
    assert api_client(gbr).post(f"/api/v1/handovers/{hid}/accept").status_code == 409
    _adopt(bodies, did)
    r = api_client(gbr).post(f"/api/v1/handovers/{hid}/accept")
    assert r.status_code == 200 and r.json()["accepted_by"] == "gbr_coord"
    assert is_coordination_cell(bodies["coordinator"]) and not is_coordination_cell(gbr)
    assert is_coordination_cell(gbr, on=later) and not is_coordination_cell(bodies["coordinator"], on=later)
