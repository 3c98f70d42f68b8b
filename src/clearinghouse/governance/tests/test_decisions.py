"""Decisions under each procedure, positions and who records them, through services, API and CLI."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from typing import Any, cast

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from clearinghouse.core import clock
from clearinghouse.core.errors import Conflict, InvalidInput, PermissionDenied
from clearinghouse.core.models import AuditEvent
from clearinghouse.governance import services
from clearinghouse.governance.models import Body, BodyMembership, Decision

pytestmark = pytest.mark.django_db

TODAY = clock.today()


def _small_body(code: str = "trio", procedure: str = "consensus", kind: str = "council") -> Body:
    """A body of three members (USA, DEU, POL) so that consensus needs three positions."""
    from clearinghouse.participants.models import Participant

    body = Body.objects.create(code=code, name=code.title(), kind=kind, procedure=procedure)
    for code_ in ("USA", "DEU", "POL"):
        BodyMembership.objects.create(
            body=body,
            participant=Participant.objects.get(code=code_),
            start=dt.date(2020, 1, 1),
            source="test",
        )
    return body


def _propose(p: dict[str, Any], **data: Any) -> Decision:
    return services.propose_decision(actor=p["coordinator"], data={"body": "trio", "title": "T", **data})


def _positions(p: dict[str, Any], decision: Decision, **stances: str) -> None:
    for code, stance in stances.items():
        services.record_position(
            actor=p["coordinator"], decision_id=decision.pk, participant=code, position=stance
        )


def test_consensus_needs_every_member_and_any_objection_blocks(bodies: dict[str, Any]) -> None:
    _small_body()
    d = _propose(bodies, procedure="consensus")
    _positions(bodies, d, USA="agree", DEU="abstain")
    with pytest.raises(Conflict, match="missing: POL"):
        services.close_decision(actor=bodies["coordinator"], decision_id=d.pk)
    _positions(bodies, d, POL="exempt")
    assert services.close_decision(actor=bodies["coordinator"], decision_id=d.pk).status == "adopted"
    assert services.exempted(d) == ["POL"]
    d2 = _propose(bodies, procedure="consensus")
    _positions(bodies, d2, USA="agree", DEU="agree", POL="object")
    assert services.close_decision(actor=bodies["coordinator"], decision_id=d2.pk).status == "blocked"


def test_silence_closes_only_at_its_deadline_and_breaks_on_objection(bodies: dict[str, Any]) -> None:
    _small_body()
    with pytest.raises(InvalidInput) as exc:
        _propose(bodies, procedure="silence")
    assert exc.value.field == "deadline"
    later = _propose(bodies, procedure="silence", deadline=(TODAY + dt.timedelta(days=3)).isoformat())
    with pytest.raises(Conflict, match="cannot close before"):
        services.close_decision(actor=bodies["coordinator"], decision_id=later.pk)
    # At the deadline, no position at all is consent: adopted.
    quiet = _propose(bodies, procedure="silence", deadline=TODAY.isoformat())
    assert services.close_decision(actor=bodies["coordinator"], decision_id=quiet.pk).status == "adopted"
    broken = _propose(bodies, procedure="silence", deadline=TODAY.isoformat())
    _positions(bodies, broken, DEU="object")
    assert services.close_decision(actor=bodies["coordinator"], decision_id=broken.pk).status == "blocked"


def test_majority_only_for_coalitions_and_counts_agree_over_object(bodies: dict[str, Any]) -> None:
    _small_body()
    with pytest.raises(InvalidInput) as exc:
        _propose(bodies, procedure="majority")
    assert exc.value.field == "procedure"
    _small_body("steer", kind="coalition", procedure="majority")
    d = services.propose_decision(
        actor=bodies["coordinator"], data={"body": "steer", "title": "Roadmap 2025"}
    )
    assert d.procedure == "majority"  # the body's own procedure by default
    _positions(bodies, d, USA="agree", DEU="agree", POL="object")
    assert services.close_decision(actor=bodies["coordinator"], decision_id=d.pk).status == "adopted"
    tie = services.propose_decision(actor=bodies["coordinator"], data={"body": "steer", "title": "Tie"})
    _positions(bodies, tie, USA="agree", POL="object", DEU="abstain")
    assert services.close_decision(actor=bodies["coordinator"], decision_id=tie.pk).status == "blocked"


def test_positions_members_only_own_officer_or_secretariat_and_closed_is_immutable(
    bodies: dict[str, Any],
) -> None:
    _small_body()
    d = _propose(bodies)
    with pytest.raises(InvalidInput, match="FRA is not a member of trio") as exc:
        _positions(bodies, d, FRA="agree")
    assert exc.value.field == "participant"
    # A member's own officer records its own position; not another member's.
    services.record_position(actor=bodies["donor_deu"], decision_id=d.pk, participant="DEU", position="agree")
    with pytest.raises(PermissionDenied):
        services.record_position(
            actor=bodies["donor_deu"], decision_id=d.pk, participant="POL", position="agree"
        )
    # A member may restate its position while the decision is open; both are audited with who recorded.
    services.record_position(
        actor=bodies["coordinator"], decision_id=d.pk, participant="DEU", position="abstain"
    )
    events = AuditEvent.objects.filter(action="position").order_by("sequence")
    assert [e.actor for e in events] == ["donor_deu", "coordinator"]
    _positions(bodies, d, USA="agree", POL="agree")
    services.close_decision(actor=bodies["coordinator"], decision_id=d.pk)
    with pytest.raises(Conflict, match="closed"):
        _positions(bodies, d, USA="object")
    with pytest.raises(Conflict, match="closed"):
        services.close_decision(actor=bodies["coordinator"], decision_id=d.pk)
    with pytest.raises(PermissionDenied):
        services.propose_decision(actor=bodies["donor_usa"], data={"body": "trio", "title": "x"})


def test_api_contract(bodies: dict[str, Any], api_client: Any) -> None:
    _small_body()
    coord = api_client(bodies["coordinator"])
    r = coord.post(
        "/api/v1/decisions",
        {"body": "trio", "title": "Fund", "procedure": "consensus", "deadline": None},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "open" and isinstance(body["id"], int)
    did = body["id"]
    r = coord.post(
        f"/api/v1/decisions/{did}/positions",
        {"participant": "USA", "position": "agree", "note": "ok"},
        content_type="application/json",
    )
    assert r.status_code == 201
    r = coord.post(
        f"/api/v1/decisions/{did}/positions",
        {"participant": "FRA", "position": "agree"},
        content_type="application/json",
    )
    assert r.status_code == 422 and "FRA" in r.json()["detail"] and r.json()["field"] == "participant"
    r = coord.post(
        f"/api/v1/decisions/{did}/positions",
        {"participant": "DEU", "position": "maybe"},
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["field"] == "position"
    r = coord.post(f"/api/v1/decisions/{did}/close")
    assert r.status_code == 409 and "DEU" in r.json()["detail"] and "POL" in r.json()["detail"]
    coord.post(
        f"/api/v1/decisions/{did}/positions",
        {"participant": "DEU", "position": "exempt"},
        content_type="application/json",
    )
    coord.post(
        f"/api/v1/decisions/{did}/positions",
        {"participant": "POL", "position": "abstain"},
        content_type="application/json",
    )
    r = coord.post(f"/api/v1/decisions/{did}/close")
    assert r.status_code == 200 and r.json()["status"] == "adopted"
    r = api_client(bodies["analyst"]).get(f"/api/v1/decisions/{did}")
    got = r.json()
    assert got["status"] == "adopted" and got["procedure"] == "consensus" and got["exempt"] == ["DEU"]
    assert {(p["participant"], p["position"]) for p in got["positions"]} == {
        ("USA", "agree"),
        ("DEU", "exempt"),
        ("POL", "abstain"),
    }
    r = coord.post(
        f"/api/v1/decisions/{did}/positions",
        {"participant": "USA", "position": "object"},
        content_type="application/json",
    )
    assert r.status_code == 409
    assert api_client(bodies["donor_usa"]).post(f"/api/v1/decisions/{did}/close").status_code in (403, 409)
    silent = coord.post(
        "/api/v1/decisions",
        {
            "body": "trio",
            "title": "S",
            "procedure": "silence",
            "deadline": (TODAY + dt.timedelta(days=2)).isoformat(),
        },
        content_type="application/json",
    ).json()
    r = coord.post(f"/api/v1/decisions/{silent['id']}/close")
    assert r.status_code == 409
    assert api_client(bodies["coordinator"]).get("/api/v1/decisions/999999").status_code == 404


def test_cli_propose_position_close_show(bodies: dict[str, Any]) -> None:
    _small_body()

    def run(*args: str) -> dict[str, Any]:
        out = StringIO()
        call_command("decision", *args, "--format", "json", stdout=out)
        return cast("dict[str, Any]", json.loads(out.getvalue()))

    d = run("propose", "trio", "Opt-out of HUN", "--procedure", "consensus", "--as", "coordinator")
    assert d["status"] == "open"
    for code, stance in (("USA", "agree"), ("DEU", "agree")):
        run("position", str(d["id"]), code, stance, "--as", "coordinator")
    with pytest.raises(CommandError, match="POL"):
        run("close", str(d["id"]), "--as", "coordinator")
    with pytest.raises(CommandError, match="FRA is not a member"):
        run("position", str(d["id"]), "FRA", "agree", "--as", "coordinator")
    run("position", str(d["id"]), "POL", "object", "--as", "donor_pol")
    closed = run("close", str(d["id"]), "--as", "coordinator")
    assert closed["status"] == "blocked"
    shown = run("show", str(d["id"]))
    assert shown["positions"][-1] == {**shown["positions"][-1], "participant": "USA", "position": "agree"}
    assert {p["participant"]: p["recorded_by"] for p in shown["positions"]}["POL"] == "donor_pol"


def test_fund_opt_out_cites_the_adopted_decision_that_exempts_the_member(bodies: dict[str, Any]) -> None:
    from clearinghouse.funds import services as fund_services
    from clearinghouse.funds.tests.factories import trio_fund

    trio_fund(bodies["admin"])
    _small_body()
    with pytest.raises(InvalidInput, match="decision: required") as exc:  # no decision: refused
        fund_services.opt_out(actor=bodies["finance"], slug="trio", participant="POL", reason="abstains")
    assert exc.value.field == "decision"
    fund_decision = _propose(bodies, subject="fund", subject_ref="trio")
    _positions(bodies, fund_decision, USA="agree", DEU="agree", POL="exempt")
    other = _propose(bodies, subject="fund_opt_out", subject_ref="other-fund", subject_participant="POL")
    _positions(bodies, other, USA="agree", DEU="agree", POL="agree")
    services.close_decision(actor=bodies["coordinator"], decision_id=other.pk)
    with pytest.raises(InvalidInput, match="exempting POL from trio") as exc:  # another fund's opt-out
        fund_services.opt_out(actor=bodies["finance"], slug="trio", participant="POL", decision=other.pk)
    assert exc.value.field == "decision"
    with pytest.raises(InvalidInput, match="not an adopted decision") as exc:  # still open
        fund_services.opt_out(
            actor=bodies["finance"], slug="trio", participant="POL", decision=fund_decision.pk
        )
    assert exc.value.field == "decision"
    services.close_decision(actor=bodies["coordinator"], decision_id=fund_decision.pk)
    with pytest.raises(InvalidInput, match="exempting DEU"):  # DEU agreed: the decision grants it nothing
        fund_services.opt_out(
            actor=bodies["finance"], slug="trio", participant="DEU", decision=fund_decision.pk
        )
    out = fund_services.opt_out(
        actor=bodies["finance"], slug="trio", participant="POL", decision=fund_decision.pk
    )
    assert out.decision_id == fund_decision.pk


def test_pages_list_detail_record_and_close(bodies: dict[str, Any], page_client: Any) -> None:
    _small_body()
    d = _propose(bodies, procedure="consensus")
    officer = page_client(bodies["donor_deu"])
    html = officer.get(f"/governance/decisions/{d.pk}/").content.decode()
    # DEU's officer may record DEU's position only; no close button for it.
    assert 'value="DEU"' in html and 'value="POL"' not in html and "Close under" not in html
    r = officer.post(f"/governance/decisions/{d.pk}/position/", {"participant": "DEU", "position": "exempt"})
    assert r.status_code == 302
    coord = page_client(bodies["coordinator"])
    html = coord.get(f"/governance/decisions/{d.pk}/").content.decode()
    assert (
        "Exempted from the decision" in html
        and "donor_deu" in html
        and "No position yet from: POL, USA" in html
    )
    coord.post(f"/governance/decisions/{d.pk}/close/")
    assert Decision.objects.get(pk=d.pk).status == "open"  # refused: USA and POL are missing
    for code in ("USA", "POL"):
        coord.post(f"/governance/decisions/{d.pk}/position/", {"participant": code, "position": "agree"})
    coord.post(f"/governance/decisions/{d.pk}/close/")
    assert Decision.objects.get(pk=d.pk).status == "adopted"
    assert officer.post(f"/governance/decisions/{d.pk}/close/").status_code == 403
    listing = coord.get("/governance/decisions/?body=trio").content.decode()
    assert f"/governance/decisions/{d.pk}/" in listing
    assert coord.get("/governance/").status_code == 200
    assert "Lead nation" in coord.get("/governance/bodies/coalition-drones/").content.decode()
