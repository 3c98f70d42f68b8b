"""API shapes of governance: bodies, meetings, decisions, handovers (inputs as schemas, outputs as dicts)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from clearinghouse.core.actors import Actor
from clearinghouse.core.validation import Date, Id
from clearinghouse.governance import services, subjects
from clearinghouse.governance.choices import MembershipRole
from clearinghouse.governance.models import Body, Decision, Handover, Meeting


class DecisionIn(Schema):
    body: str
    title: str
    procedure: str | None = None
    deadline: Date | None = None
    subject: str | None = None
    subject_ref: str | None = None
    subject_participant: str | None = None
    meeting: Id | None = None
    requirements: list[Id] | None = Field(
        None,
        description="Ids of the requirements to endorse (subject `requirements`): they become endorsed "
        "when the decision is closed adopted; nothing changes when it is blocked.",
    )


class PositionIn(Schema):
    participant: str
    position: str
    note: str = ""


class DocumentIn(Schema):
    title: str
    url: str = ""


class MeetingIn(Schema):
    body: str
    date: Date
    title: str
    format: str | None = None
    agenda: list[str] = Field(default_factory=list)
    place: str = ""
    chairs: list[str] = Field(default_factory=list)
    attendance: list[str] = Field(default_factory=list)
    documents: list[DocumentIn] = Field(default_factory=list)
    minutes: str = ""
    source: str = ""


class HandoverIn(Schema):
    body: str
    to: str
    effective: Date
    title: str = ""


class MandateHandoverIn(Schema):
    to: str = Field(description="Code of the participant that takes over the delivery coordination.")
    on: Date = Field(description="First day of its mandate: the handover decision's effective date.")
    decision: Id | None = Field(
        None,
        description="Required: the adopted handover decision (POST /api/v1/handovers) this accepts.",
    )


def body_dict(body: Body, on: dt.date | None = None) -> dict[str, Any]:
    members = list(body.members_on(on).order_by("participant__code"))
    return {
        "code": body.code,
        "name": body.name,
        "kind": body.kind,
        "procedure": body.procedure,
        "members": [m.participant.code for m in members],
        "leads": [m.participant.code for m in members if m.role == MembershipRole.LEAD],
        "source": body.source,
    }


def _requirement_ids(decision: Decision, reader: Actor | None) -> list[int]:
    if reader is None or not decision.requirements:
        return list(decision.requirements)
    return [r["id"] for r in subjects.requirements().describe(reader, decision)]


def decision_dict(decision: Decision, reader: Actor | None = None) -> dict[str, Any]:
    """A decision; with `reader`, the requirements it endorses are those the reader may see."""
    positions = list(decision.positions.select_related("participant", "recorded_by"))
    return {
        "id": decision.pk,
        "body": decision.body.code,
        "title": decision.title,
        "procedure": decision.procedure,
        "deadline": decision.deadline.isoformat() if decision.deadline else None,
        "status": decision.status,
        "subject": decision.subject,
        "subject_ref": decision.subject_ref,
        "subject_participant": decision.subject_participant.code if decision.subject_participant else None,
        "meeting": decision.meeting_id,
        "requirements": _requirement_ids(decision, reader),
        "positions": [
            {
                "participant": p.participant.code,
                "position": p.position,
                "note": p.note,
                "recorded_by": p.recorded_by.get_username(),
            }
            for p in positions
        ],
        "exempt": services.exempted(decision),
        "created_at": decision.created_at.isoformat(),
        "closed_at": decision.closed_at.isoformat() if decision.closed_at else None,
    }


def meeting_dict(meeting: Meeting) -> dict[str, Any]:
    return {
        "id": meeting.pk,
        "body": meeting.body.code,
        "date": meeting.date.isoformat(),
        "title": meeting.title,
        "format": meeting.format,
        "place": meeting.place,
        "chairs": sorted(p.code for p in meeting.chairs.all()),
        "agenda": list(meeting.agenda),
        "attendance": sorted(p.code for p in meeting.attendance.all()),
        "documents": list(meeting.documents),
        "minutes": meeting.minutes,
        "source": meeting.source,
        "decisions": [d.pk for d in meeting.decisions.all()],
    }


def handover_dict(handover: Handover) -> dict[str, Any]:
    return {
        "id": handover.pk,
        "decision": handover.decision_id,
        "decision_status": handover.decision.status,
        "to": handover.to_participant.code,
        "effective": handover.effective.isoformat(),
        "accepted_by": handover.accepted_by.get_username() if handover.accepted_by else None,
        "accepted_at": handover.accepted_at.isoformat() if handover.accepted_at else None,
    }
