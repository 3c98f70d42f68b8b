"""Endorsing a list of requirements by a body's decision: adopted endorses them, blocked changes nothing."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any, cast

import pytest
from django.core.management import call_command

from clearinghouse.core.errors import InvalidInput
from clearinghouse.core.models import AuditEvent
from clearinghouse.governance import services
from clearinghouse.governance.tests.test_decisions import _positions, _small_body
from clearinghouse.pledges.tests.factories import requirement
from clearinghouse.requirements import services as requirement_services
from clearinghouse.requirements.models import Requirement

pytestmark = pytest.mark.django_db


def _endorsed(*ids: int) -> list[int | None]:
    return [Requirement.objects.get(pk=i).endorsed_by_id for i in ids]


def test_adopted_decision_endorses_its_requirements_and_blocked_changes_nothing(
    bodies: dict[str, Any], api_client: Any
) -> None:
    _small_body()
    first, second = requirement(bodies), requirement(bodies, quantity=50, external_ref="R-2")
    coord = api_client(bodies["coordinator"])
    r = coord.post(
        "/api/v1/decisions",
        {"body": "trio", "title": "Endorse the spring list", "requirements": [first.pk, second.pk]},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    blocked_id = r.json()["id"]
    assert r.json()["subject"] == "requirements" and r.json()["requirements"] == [first.pk, second.pk]
    _positions(bodies, _get(blocked_id), USA="agree", DEU="agree", POL="object")
    assert coord.post(f"/api/v1/decisions/{blocked_id}/close").json()["status"] == "blocked"
    assert _endorsed(first.pk, second.pk) == [None, None]
    assert not AuditEvent.objects.filter(action="endorse").exists()
    version = Requirement.objects.get(pk=first.pk).version

    adopted = services.propose_decision(
        actor=bodies["coordinator"],
        data={
            "body": "trio",
            "title": "Endorse again",
            "subject": "requirements",
            "requirements": [first.pk],
        },
    )
    _positions(bodies, adopted, USA="agree", DEU="abstain", POL="agree")
    assert coord.post(f"/api/v1/decisions/{adopted.pk}/close").json()["status"] == "adopted"
    assert _endorsed(first.pk, second.pk) == [adopted.pk, None]
    endorsed = Requirement.objects.get(pk=first.pk)
    assert endorsed.endorsed_at is not None and endorsed.version == version + 1
    event = AuditEvent.objects.get(action="endorse")
    assert event.actor == "coordinator" and (event.after or {})["endorsed_by_id"] == adopted.pk
    # The requirement's API says by which decision; the decision page lists it.
    got = api_client(bodies["recipient"]).get(f"/api/v1/requirements/{first.pk}").json()
    assert got["endorsed_by"] == adopted.pk


def _get(decision_id: int) -> Any:
    from clearinghouse.governance.models import Decision

    return Decision.objects.get(pk=decision_id)


def test_the_link_is_checked_when_proposed(bodies: dict[str, Any]) -> None:
    _small_body()
    live = requirement(bodies)
    gone = requirement(bodies, external_ref="R-gone")
    requirement_services.cancel_requirement(
        actor=bodies["recipient"], requirement_id=gone.pk, reason="no longer needed"
    )
    propose = services.propose_decision
    cases: list[tuple[dict[str, Any], str]] = [
        ({"subject": "requirements"}, "requirements"),  # no list
        ({"requirements": [live.pk, 999999]}, "requirements.1"),  # unknown
        ({"requirements": [gone.pk]}, "requirements.0"),  # cancelled
        ({"subject": "fund", "requirements": [live.pk]}, "requirements"),  # another subject
    ]
    for extra, field in cases:
        with pytest.raises(InvalidInput) as exc:
            propose(actor=bodies["coordinator"], data={"body": "trio", "title": "T", **extra})
        assert exc.value.field == field, extra


def test_cli_and_page_show_the_link(bodies: dict[str, Any], page_client: Any) -> None:
    _small_body()
    req = requirement(bodies, external_ref="R-CLI")
    out = StringIO()
    call_command(
        "decision",
        "propose",
        "trio",
        "Endorse R-CLI",
        "--requirements",
        str(req.pk),
        "--as",
        "coordinator",
        "--format",
        "json",
        stdout=out,
    )
    data = cast("dict[str, Any]", json.loads(out.getvalue()))
    assert data["subject"] == "requirements" and data["requirements"] == [req.pk]
    html = page_client(bodies["coordinator"]).get(f"/governance/decisions/{data['id']}/").content.decode()
    assert (
        "Requirements to endorse" in html
        and "UKR R-CLI" in html
        and "Endorsed when the decision is adopted" in html
    )
    _positions(bodies, _get(data["id"]), USA="agree", DEU="agree", POL="agree")
    call_command("decision", "close", str(data["id"]), "--as", "coordinator", stdout=StringIO())
    html = page_client(bodies["coordinator"]).get(f"/governance/decisions/{data['id']}/").content.decode()
    assert "these requirements are endorsed by this decision" in html and ">endorsed<" in html
    assert _endorsed(req.pk) == [data["id"]]
