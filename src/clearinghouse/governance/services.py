"""Governance services: reference bodies, decisions and positions, meetings, handovers. The only writers."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from importlib import resources
from typing import Any, cast

from django.db import transaction

from clearinghouse.core import audit, cleaning, clock
from clearinghouse.core.actors import Actor, signed_in
from clearinghouse.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from clearinghouse.governance import policies, subjects
from clearinghouse.governance.choices import (
    BodyKind,
    DecisionStatus,
    MeetingFormat,
    MembershipRole,
    Position,
    Procedure,
    Subject,
)
from clearinghouse.governance.models import (
    Body,
    BodyMembership,
    Decision,
    DecisionPosition,
    Handover,
    Meeting,
)
from clearinghouse.participants import cleaning as participant_cleaning
from clearinghouse.participants import services as participant_services
from clearinghouse.participants.models import CoordinationMandate, Participant


def _data_rows(name: str) -> list[dict[str, str]]:
    text = resources.files("clearinghouse.governance").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def today() -> dt.date:
    return clock.today()


# --- reference data ---------------------------------------------------------------------------


@transaction.atomic
def load_bodies(*, actor: Actor | None = None) -> dict[str, int]:
    """Create the shipped bodies and their memberships (bodies.csv, memberships.csv); idempotent.

    A membership already present (same body, participant, start) is left as it is: later changes
    are made by ending a membership and opening another, so the history stays."""
    created = 0
    bodies: dict[str, Body] = {}
    for row in _data_rows("bodies.csv"):
        body = Body.objects.filter(code=row["code"]).first()
        if body is None:
            body = Body.objects.create(
                code=row["code"],
                name=row["name"],
                kind=BodyKind(row["kind"]),
                procedure=Procedure(row["procedure"]),
                source=row["source"],
            )
            audit.record(actor=actor, action="create", obj=body, after=audit.snapshot(body))
            created += 1
        bodies[body.code] = body
    participants = {p.code: p for p in Participant.objects.all()}
    for row in _data_rows("memberships.csv"):
        participant = participants.get(row["participant"])
        if participant is None:
            continue  # a participant not loaded (reference data of an older version)
        start = dt.date.fromisoformat(row["start"])
        body = bodies[row["body"]]
        if BodyMembership.objects.filter(body=body, participant=participant, start=start).exists():
            continue
        membership = BodyMembership.objects.create(
            body=body,
            participant=participant,
            role=MembershipRole(row["role"]),
            start=start,
            end=dt.date.fromisoformat(row["end"]) if row["end"] else None,
            source=row["source"],
        )
        audit.record(actor=actor, action="create", obj=membership, after=audit.snapshot(membership))
        created += 1
    return {"created": created}


def _body(code: Any, field: str = "body") -> Body:
    value = cleaning.text(code, field, max_length=40).lower()
    if not value:
        raise InvalidInput(f"{field}: required (a body code such as nac)", field=field)
    body = Body.objects.filter(code=value).first()
    if body is None:
        raise InvalidInput(f"{field}: unknown body {value!r}", field=field)
    return cast("Body", body)


def is_member(body: Body, participant: Participant, on: dt.date | None = None) -> bool:
    return body.members_on(on).filter(participant=participant).exists()


@transaction.atomic
def add_member(
    *, actor: Actor, body: str, participant: str, start: dt.date, role: str = "member", source: str
) -> BodyMembership:
    """Open a membership of a body from `start` (the secretariat)."""
    if not policies.may_manage(actor):
        raise PermissionDenied("Only the secretariat records a body's membership.")
    found = _body(body)
    member = participant_cleaning.participant(participant, "participant")
    if BodyMembership.objects.filter(body=found, participant=member, end__isnull=True).exists():
        raise Conflict(f"{member.code} is already a member of {found.code}.")
    membership = BodyMembership.objects.create(
        body=found,
        participant=member,
        role=cleaning.choice(role, "role", MembershipRole),
        start=start,
        source=cleaning.text(source, "source", max_length=300),
    )
    audit.record(actor=actor, action="create", obj=membership, after=audit.snapshot(membership))
    return membership


@transaction.atomic
def end_membership(*, actor: Actor, body: str, participant: str, end: dt.date) -> BodyMembership:
    """End a participant's open membership on `end` (exclusive); the row stays as history."""
    if not policies.may_manage(actor):
        raise PermissionDenied("Only the secretariat records a body's membership.")
    found = _body(body)
    member = participant_cleaning.participant(participant, "participant")
    membership = (
        BodyMembership.objects.select_for_update()
        .filter(body=found, participant=member, end__isnull=True)
        .first()
    )
    if membership is None:
        raise Conflict(f"{member.code} has no open membership of {found.code}.")
    if end <= membership.start:
        raise InvalidInput(f"end: must be after the membership's start {membership.start}", field="end")
    before = audit.snapshot(membership)
    membership.end = end
    membership.save(update_fields=["end"])
    audit.record(
        actor=actor, action="update", obj=membership, before=before, after=audit.snapshot(membership)
    )
    return cast("BodyMembership", membership)


# --- decisions --------------------------------------------------------------------------------

DECISION_FIELDS = (
    "body",
    "title",
    "procedure",
    "deadline",
    "subject",
    "subject_ref",
    "subject_participant",
    "meeting",
    "requirements",
)


def _open_decision(decision_id: int, *, lock: bool = True) -> Decision:
    qs = Decision.objects.select_related("body")
    if lock:
        qs = qs.select_for_update()
    decision = qs.filter(pk=decision_id).first()
    if decision is None:
        raise NotFound("Decision not found.")
    if decision.status != DecisionStatus.OPEN:
        raise Conflict(f"Decision {decision.pk} is closed ({decision.status}): it cannot change.")
    return cast("Decision", decision)


def propose_decision(*, actor: Actor, data: dict[str, Any]) -> Decision:
    """Open a decision of a body (the secretariat); `procedure` defaults to the body's own."""
    if not policies.may_manage(actor):
        raise PermissionDenied(
            "Only the secretariat (the coordinating participant's coordinators) proposes decisions."
        )
    cleaning.check_fields(data, DECISION_FIELDS)
    body = _body(data.get("body"))
    title = cleaning.text(data.get("title"), "title", max_length=300)
    if not title:
        raise InvalidInput("title: required", field="title")
    procedure = cleaning.choice(data.get("procedure"), "procedure", Procedure, default=body.procedure)
    if procedure == Procedure.MAJORITY and body.kind != BodyKind.COALITION:
        raise InvalidInput(
            f"procedure: {body.code} decides by consensus or silence; majority is for coalitions",
            field="procedure",
        )
    deadline = cleaning.date(data.get("deadline"), "deadline", required=procedure == Procedure.SILENCE)
    subject = cleaning.choice(data.get("subject"), "subject", Subject, default=Subject.GENERAL)
    subject_participant = None
    if not cleaning.blank(data.get("subject_participant")):
        subject_participant = participant_cleaning.participant(
            data["subject_participant"], "subject_participant"
        )
    requirement_ids: list[int] = []
    if not cleaning.blank(data.get("requirements")):
        if cleaning.blank(data.get("subject")):
            subject = Subject.REQUIREMENTS
        if subject != Subject.REQUIREMENTS:
            raise InvalidInput(
                "requirements: only a decision on `requirements` endorses requirements", field="requirements"
            )
        raw = data["requirements"]
        if not isinstance(raw, list):
            raw = [part for part in str(raw).replace(",", " ").split() if part]
        requirement_ids = subjects.requirements().check(actor, raw)
    if subject == Subject.REQUIREMENTS and not requirement_ids:
        raise InvalidInput(
            "requirements: required (the ids of the requirements to endorse)", field="requirements"
        )
    meeting = None
    if not cleaning.blank(data.get("meeting")):
        meeting_id = cleaning.integer(data["meeting"], "meeting", minimum=1)
        meeting = Meeting.objects.filter(pk=meeting_id, body=body).first()
        if meeting is None:
            raise InvalidInput(f"meeting: no meeting {meeting_id} of {body.code}", field="meeting")
    with transaction.atomic():
        decision = Decision.objects.create(
            body=body,
            title=title,
            procedure=procedure,
            deadline=deadline,
            subject=subject,
            subject_ref=cleaning.text(data.get("subject_ref"), "subject_ref", max_length=100),
            subject_participant=subject_participant,
            meeting=meeting,
            requirements=requirement_ids,
            created_by=signed_in(actor),
        )
        audit.record(actor=actor, action="create", obj=decision, after=audit.snapshot(decision))
    return decision


def record_position(
    *, actor: Actor, decision_id: int, participant: Any, position: Any, note: Any = ""
) -> DecisionPosition:
    """Record (or restate, while open) a member's position; the secretariat or the member's own officer."""
    member = participant_cleaning.participant(participant, "participant")
    stance = cleaning.choice(position, "position", Position)
    text = cleaning.text(note, "note", max_length=2000, multiline=True)
    with transaction.atomic():
        decision = _open_decision(decision_id)
        if not is_member(decision.body, member):
            raise InvalidInput(
                f"participant: {member.code} is not a member of {decision.body.code}", field="participant"
            )
        if not policies.may_record_position(actor, member.pk):
            raise PermissionDenied(
                f"Only the secretariat or {member.code}'s own officers record {member.code}'s position."
            )
        row = DecisionPosition.objects.filter(decision=decision, participant=member).first()
        before = audit.snapshot(row) if row is not None else None
        if row is None:
            row = DecisionPosition(decision=decision, participant=member)
        row.position = stance
        row.note = text
        row.recorded_by = signed_in(actor)
        row.save()
        audit.record(
            actor=actor,
            action="position",
            obj=row,
            before=before,
            after=audit.snapshot(row, exclude=("recorded_at",)),
        )
    return row


def outcome(decision: Decision, positions: Iterable[DecisionPosition], members: set[str], on: dt.date) -> str:
    """Adopted or blocked under the decision's procedure; raises Conflict when it cannot close yet."""
    stated = {p.participant.code: p.position for p in positions}
    objections = sorted(c for c, pos in stated.items() if pos == Position.OBJECT)
    if decision.procedure == Procedure.CONSENSUS:
        missing = sorted(members - set(stated))
        if missing:
            raise Conflict(f"Consensus needs every member's position; missing: {', '.join(missing)}.")
        return DecisionStatus.BLOCKED if objections else DecisionStatus.ADOPTED
    if decision.procedure == Procedure.SILENCE:
        if decision.deadline is None or on < decision.deadline:
            raise Conflict(f"The silence procedure runs until {decision.deadline}: it cannot close before.")
        return DecisionStatus.BLOCKED if objections else DecisionStatus.ADOPTED
    agree = sum(1 for pos in stated.values() if pos == Position.AGREE)
    return DecisionStatus.ADOPTED if agree > len(objections) else DecisionStatus.BLOCKED


def close_decision(*, actor: Actor, decision_id: int) -> Decision:
    """Close a decision under its procedure (the secretariat); a closed decision is immutable."""
    if not policies.may_manage(actor):
        raise PermissionDenied("Only the secretariat closes decisions.")
    with transaction.atomic():
        decision = _open_decision(decision_id)
        on = today()
        members = {m.participant.code for m in decision.body.members_on(on)}
        positions = list(decision.positions.select_related("participant"))
        before = audit.snapshot(decision)
        decision.status = outcome(decision, positions, members, on)
        decision.closed_by = signed_in(actor)
        decision.closed_at = clock.now()
        decision.save(update_fields=["status", "closed_by", "closed_at"])
        audit.record(actor=actor, action="close", obj=decision, before=before, after=audit.snapshot(decision))
        if decision.status == DecisionStatus.ADOPTED and decision.subject == Subject.REQUIREMENTS:
            # Adopted: the listed requirements become endorsed (blocked: nothing changes).
            subjects.requirements().endorse(actor, decision)
    return decision


def exempted(decision: Decision) -> list[str]:
    """Members exempted from the decision's obligations (position `exempt`)."""
    return sorted(
        decision.positions.filter(position=Position.EXEMPT).values_list("participant__code", flat=True)
    )


def grants_opt_out(decision: Decision, *, participant: Participant, fund_slug: str) -> bool:
    """Whether an adopted `decision` exempts `participant` from the fund `fund_slug`: the fund's
    decision on which the member took the position `exempt`, or a decision on this opt-out naming it."""
    if decision.status != DecisionStatus.ADOPTED:
        return False
    if decision.subject == Subject.FUND_OPT_OUT:
        return decision.subject_participant_id == participant.pk and decision.subject_ref == fund_slug
    return (
        decision.subject == Subject.FUND
        and decision.subject_ref == fund_slug
        and decision.positions.filter(participant=participant, position=Position.EXEMPT).exists()
    )


# --- meetings ---------------------------------------------------------------------------------

MEETING_FIELDS = (
    "body",
    "date",
    "title",
    "format",
    "place",
    "chairs",
    "attendance",
    "agenda",
    "documents",
    "minutes",
    "source",
)


def _agenda(value: Any) -> list[str]:
    if cleaning.blank(value):
        return []
    items = value.splitlines() if isinstance(value, str) else value
    if not isinstance(items, list):
        raise InvalidInput("agenda: a list of items", field="agenda")
    out = []
    for n, item in enumerate(items):
        text = cleaning.text(item, f"agenda.{n}", max_length=300)
        if text:
            out.append(text)
    return out


def _documents(value: Any) -> list[dict[str, str]]:
    if cleaning.blank(value):
        return []
    if not isinstance(value, list):
        raise InvalidInput("documents: a list of {title, url}", field="documents")
    out = []
    for n, doc in enumerate(value):
        if not isinstance(doc, dict):
            raise InvalidInput(f"documents.{n}: an object with title and url", field=f"documents.{n}")
        out.append(
            {
                "title": cleaning.text(doc.get("title"), f"documents.{n}.title", max_length=200),
                "url": cleaning.text(doc.get("url"), f"documents.{n}.url", max_length=500),
            }
        )
    return out


def create_meeting(*, actor: Actor, data: dict[str, Any]) -> Meeting:
    """Record a meeting of a body (the secretariat)."""
    if not policies.may_manage(actor):
        raise PermissionDenied("Only the secretariat records meetings.")
    cleaning.check_fields(data, MEETING_FIELDS)
    body = _body(data.get("body"))
    title = cleaning.text(data.get("title"), "title", max_length=200)
    if not title:
        raise InvalidInput("title: required", field="title")
    date = cleaning.date(data.get("date"), "date")
    chairs = participant_cleaning.participants(data.get("chairs") or [], "chairs")
    attendance = participant_cleaning.participants(data.get("attendance") or [], "attendance")
    with transaction.atomic():
        meeting = Meeting.objects.create(
            body=body,
            date=date,
            title=title,
            format=cleaning.choice(
                data.get("format"), "format", MeetingFormat, default=MeetingFormat.IN_PERSON
            ),
            place=cleaning.text(data.get("place"), "place", max_length=200),
            agenda=_agenda(data.get("agenda")),
            documents=_documents(data.get("documents")),
            minutes=cleaning.text(data.get("minutes"), "minutes", max_length=20000, multiline=True),
            source=cleaning.text(data.get("source"), "source", max_length=300),
        )
        meeting.chairs.set(chairs)
        meeting.attendance.set(attendance)
        after = audit.snapshot(meeting)
        after.update(chairs=[p.code for p in chairs], attendance=[p.code for p in attendance])
        audit.record(actor=actor, action="create", obj=meeting, after=after)
    return meeting


# --- handovers --------------------------------------------------------------------------------


def propose_handover(*, actor: Actor, body: str, to: str, effective: dt.date, title: str = "") -> Handover:
    """Open a decision of `body` to hand the delivery coordination to `to` from `effective`."""
    successor = participant_cleaning.participant(to, "to")
    current = participant_services.current_mandate(effective)
    if current is not None and current.participant_id == successor.pk:
        raise Conflict(f"{successor.code} already holds the delivery coordination on {effective}.")
    with transaction.atomic():
        decision = propose_decision(
            actor=actor,
            data={
                "body": body,
                "title": title or f"Hand the coordination of deliveries to {successor.code} from {effective}",
                "procedure": Procedure.CONSENSUS,
                "subject": Subject.HANDOVER,
                "subject_participant": successor.code,
            },
        )
        handover = Handover.objects.create(decision=decision, to_participant=successor, effective=effective)
        decision.subject_ref = str(handover.pk)
        decision.save(update_fields=["subject_ref"])
        audit.record(actor=actor, action="create", obj=handover, after=audit.snapshot(handover))
    return handover


def accept_handover(*, actor: Actor, handover_id: int) -> CoordinationMandate:
    """The incoming participant accepts an adopted handover: the mandates change from its date."""
    with transaction.atomic():
        handover = (
            Handover.objects.select_for_update()
            .select_related("decision", "to_participant")
            .filter(pk=handover_id)
            .first()
        )
        if handover is None:
            raise NotFound("Handover not found.")
        if not policies.may_accept_handover(actor, handover.to_participant_id):
            raise PermissionDenied(
                f"Only {handover.to_participant.code}'s coordinators accept this handover."
            )
        if handover.decision.status != DecisionStatus.ADOPTED:
            raise Conflict(
                f"The handover's decision {handover.decision.pk} is {handover.decision.status}, not adopted."
            )
        if handover.mandate_id is not None:
            raise Conflict("This handover has already been accepted.")
        before = audit.snapshot(handover)
        mandate = participant_services.transfer_coordination(
            actor=actor,
            to=handover.to_participant.code,
            on=handover.effective,
            notes=f"Handover decided by decision {handover.decision.pk} ({handover.decision.body.code}).",
            source=f"Decision {handover.decision.pk}",
        )
        handover.accepted_by = signed_in(actor)
        handover.accepted_at = clock.now()
        handover.mandate = mandate
        handover.save(update_fields=["accepted_by", "accepted_at", "mandate"])
        audit.record(
            actor=actor, action="accept", obj=handover, before=before, after=audit.snapshot(handover)
        )
    return mandate


def hand_over(*, actor: Actor, to: str, on: dt.date, decision: Any) -> CoordinationMandate:
    """The direct handover doors (`POST /api/v1/mandates/handover`, `mandate handover`): the incoming
    participant's acceptance of a governed handover, named by its decision, which must match `to`
    and `on`. Without an adopted decision of a body there is no handover (422 `decision`)."""
    if cleaning.blank(decision):
        raise InvalidInput(
            "decision: required — a handover needs an adopted decision of a body (propose it with "
            "POST /api/v1/handovers) and the incoming participant's acceptance",
            field="decision",
        )
    decision_id = cleaning.integer(decision, "decision", minimum=1)
    handover = Handover.objects.select_related("to_participant").filter(decision_id=decision_id).first()
    if handover is None:
        raise InvalidInput(
            f"decision: decision {decision_id} is not a handover decision (propose one with POST "
            "/api/v1/handovers)",
            field="decision",
        )
    successor = participant_cleaning.participant(to, "to")
    if successor.pk != handover.to_participant_id:
        raise InvalidInput(
            f"to: decision {decision_id} hands the coordination to {handover.to_participant.code}, "
            f"not {successor.code}",
            field="to",
        )
    if on != handover.effective:
        raise InvalidInput(
            f"on: decision {decision_id} hands the coordination over on {handover.effective}, not {on}",
            field="on",
        )
    return accept_handover(actor=actor, handover_id=handover.pk)
