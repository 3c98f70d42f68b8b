"""Mandates that confer powers: a governed handover moves the coordination powers on its date."""

from __future__ import annotations

import datetime as dt
from io import StringIO
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


def test_the_direct_doors_need_an_adopted_decision_and_the_incoming_acceptance(
    bodies: dict[str, Any], api_client: Any
) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from clearinghouse.governance.tests.factories import adopted_handover, incoming_coordinator

    gbr = incoming_coordinator("GBR")
    nato = bodies["coordinator"]
    later = TODAY + dt.timedelta(days=10)
    url = "/api/v1/mandates/handover"
    # No decision: no handover, whoever asks (the coordination cell included).
    r = api_client(nato).post(url, {"to": "GBR", "on": later.isoformat()}, content_type="application/json")
    assert r.status_code == 422 and r.json()["field"] == "decision", r.content
    with pytest.raises(CommandError, match="decision: required"):
        call_command("mandate", "handover", "GBR", "--on", later.isoformat(), "--as", "coordinator")
    # A decision that is not a handover's.
    other = services.propose_decision(
        actor=nato, data={"body": "udcg", "title": "x", "procedure": "silence", "deadline": TODAY.isoformat()}
    )
    r = api_client(gbr).post(
        url, {"to": "GBR", "on": later.isoformat(), "decision": other.pk}, content_type="application/json"
    )
    assert r.status_code == 422 and r.json()["field"] == "decision"
    # A handover decision still open: 409.
    pending = services.propose_handover(actor=nato, body="nac", to="GBR", effective=later)
    body = {"to": "GBR", "on": later.isoformat(), "decision": pending.decision_id}
    r = api_client(gbr).post(url, body, content_type="application/json")
    assert r.status_code == 409 and "not adopted" in r.json()["detail"]
    # Adopted: the outgoing cell cannot accept for the incoming; the wrong `to` or `on` is a 422.
    handover = adopted_handover(nato, "FRA", later)
    body = {"to": "FRA", "on": later.isoformat(), "decision": handover.decision_id}
    assert api_client(nato).post(url, body, content_type="application/json").status_code == 403
    r = api_client(gbr).post(url, {**body, "to": "GBR"}, content_type="application/json")
    assert r.status_code == 422 and r.json()["field"] == "to"
    fra = incoming_coordinator("FRA")
    r = api_client(fra).post(url, {**body, "on": TODAY.isoformat()}, content_type="application/json")
    assert r.status_code == 422 and r.json()["field"] == "on"
    assert CoordinationMandate.objects.filter(participant__code="FRA").count() == 0
    out = StringIO()
    call_command(
        "mandate",
        "handover",
        "FRA",
        "--on",
        later.isoformat(),
        "--decision",
        str(handover.decision_id),
        "--as",
        "fra_coord",
        stdout=out,
    )
    assert "FRA leads the coordination from" in out.getvalue()
    assert is_coordination_cell(fra, on=later) and not is_coordination_cell(nato, on=later)
    assert is_coordination_cell(nato) and not is_coordination_cell(fra)
    # Accepted once: the API door now answers 409.
    assert api_client(fra).post(url, body, content_type="application/json").status_code == 409


def test_the_governance_page_proposes_a_handover_and_the_incoming_coordinator_accepts_it(
    bodies: dict[str, Any], page_client: Any
) -> None:
    from clearinghouse.governance.models import Handover

    gbr = create_user(actor=None, username="gbr_coord", participant="GBR", role="coordinator", password=None)
    # A donor officer sees no proposal form and may not post one.
    officer = page_client(bodies["donor_deu"])
    assert "handover-propose" not in officer.get("/governance/").content.decode()
    form = {"body": "nac", "to": "GBR", "effective": TODAY.isoformat()}
    assert officer.post("/governance/handovers/propose/", form).status_code == 403
    assert not Handover.objects.exists()
    coord = page_client(bodies["coordinator"])
    assert "/governance/handovers/propose/" in coord.get("/governance/").content.decode()
    # A bad date is a message on the page and changes nothing.
    bad = coord.post("/governance/handovers/propose/", {**form, "effective": "soon"}, follow=True)
    assert "effective" in bad.content.decode() and not Handover.objects.exists()
    coord.post("/governance/handovers/propose/", form)
    handover = Handover.objects.get()
    assert handover.to_participant.code == "GBR" and handover.decision.status == "open"
    incoming = page_client(gbr)
    accept = f"/governance/handovers/{handover.pk}/accept/"
    # Not adopted yet: no button, and a post is refused with the reason; nothing changes.
    assert accept not in incoming.get("/governance/").content.decode()
    refused = incoming.post(accept, follow=True)
    assert "not adopted" in refused.content.decode() and is_coordination_cell(bodies["coordinator"])
    _adopt(bodies, handover.decision_id)
    assert accept in incoming.get("/governance/").content.decode()
    assert accept not in coord.get("/governance/").content.decode()  # the outgoing cell has no button
    assert coord.post(accept).status_code == 403
    incoming.post(accept)
    handover.refresh_from_db()
    assert (
        handover.accepted_by == gbr
        and is_coordination_cell(gbr)
        and not is_coordination_cell(bodies["coordinator"])
    )


def test_the_command_line_proposes_a_handover(bodies: dict[str, Any]) -> None:
    import json

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command(
        "mandate", "propose", "GBR", "--body", "nac", "--effective", TODAY.isoformat(),
        "--format", "json", "--as", "coordinator", stdout=out,
    )  # fmt: skip
    data = json.loads(out.getvalue())
    assert data["to"] == "GBR" and data["effective"] == TODAY.isoformat() and data["decision"]
    with pytest.raises(CommandError, match="--effective"):
        call_command(
            "mandate", "propose", "GBR", "--body", "nac", "--effective", "soon", "--as", "coordinator",
        )  # fmt: skip
