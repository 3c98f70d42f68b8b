"""API routes of governance: bodies, meetings, decisions and positions, handovers."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from clearinghouse.core.schemas import ErrorOut
from clearinghouse.core.validation import Id
from clearinghouse.governance import selectors, services
from clearinghouse.governance.schemas import (
    DecisionIn,
    HandoverIn,
    MandateHandoverIn,
    MeetingIn,
    PositionIn,
    body_dict,
    decision_dict,
    handover_dict,
    meeting_dict,
)
from clearinghouse.participants.schemas import MandateOut

bodies_router = Router(tags=["governance"])
meetings_router = Router(tags=["governance"])
decisions_router = Router(tags=["governance"])
handovers_router = Router(tags=["governance"])
#: `POST /api/v1/mandates/handover`, mounted beside participants' `mandates` router.
mandate_handover_router = Router(tags=["mandates"])

ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@bodies_router.get("", response=dict[str, Any])
def list_bodies(request: HttpRequest) -> dict[str, Any]:
    """Bodies with today's members and lead nations: the council, the contact group, the coalitions."""
    items = [body_dict(b) for b in selectors.body_list(user=request.user)]
    return {"items": items, "count": len(items)}


@bodies_router.get("/{code}", response={200: dict[str, Any], 404: ErrorOut})
def get_body(request: HttpRequest, code: str) -> dict[str, Any]:
    """One body by its code."""
    return body_dict(selectors.get_body(user=request.user, code=code))


@meetings_router.get("", response=dict[str, Any])
def list_meetings(request: HttpRequest, body: str | None = None) -> dict[str, Any]:
    """Meetings, latest first (of one body with `?body=udcg`)."""
    items = [meeting_dict(m) for m in selectors.meeting_list(user=request.user, body=body)]
    return {"items": items, "count": len(items)}


@meetings_router.post("", response={201: dict[str, Any], **ERRORS})
def create_meeting(request: HttpRequest, payload: MeetingIn) -> Any:
    """Record a meeting (the secretariat)."""
    data = payload.dict()
    meeting = services.create_meeting(actor=request.user, data=data)
    return Status(201, meeting_dict(meeting))


@meetings_router.get("/{meeting_id}", response={200: dict[str, Any], 404: ErrorOut})
def get_meeting(request: HttpRequest, meeting_id: Id) -> dict[str, Any]:
    """One meeting: body, date, format, place, chairs, agenda, attendance, documents, minutes."""
    return meeting_dict(selectors.get_meeting(user=request.user, meeting_id=meeting_id))


@decisions_router.get("", response=dict[str, Any])
def list_decisions(
    request: HttpRequest, body: str | None = None, status: str | None = None
) -> dict[str, Any]:
    """Decisions, latest first."""
    items = [
        decision_dict(d, request.user)
        for d in selectors.decision_list(user=request.user, body=body, status=status)
    ]
    return {"items": items, "count": len(items)}


@decisions_router.post("", response={201: dict[str, Any], **ERRORS})
def propose_decision(request: HttpRequest, payload: DecisionIn) -> Any:
    """Open a decision of a body (the secretariat)."""
    data = {k: v for k, v in payload.dict().items() if v is not None}
    return Status(201, decision_dict(services.propose_decision(actor=request.user, data=data), request.user))


@decisions_router.get("/{decision_id}", response={200: dict[str, Any], 404: ErrorOut})
def get_decision(request: HttpRequest, decision_id: Id) -> dict[str, Any]:
    """One decision with its positions and the members it exempts."""
    return decision_dict(selectors.get_decision(user=request.user, decision_id=decision_id), request.user)


@decisions_router.post("/{decision_id}/positions", response={201: dict[str, Any], **ERRORS})
def record_position(request: HttpRequest, decision_id: Id, payload: PositionIn) -> Any:
    """Record a member's position (the secretariat, or the member's own officer)."""
    selectors.get_decision(user=request.user, decision_id=decision_id)
    services.record_position(
        actor=request.user,
        decision_id=decision_id,
        participant=payload.participant,
        position=payload.position,
        note=payload.note,
    )
    return Status(
        201, decision_dict(selectors.get_decision(user=request.user, decision_id=decision_id), request.user)
    )


@decisions_router.post("/{decision_id}/close", response={200: dict[str, Any], **ERRORS})
def close_decision(request: HttpRequest, decision_id: Id) -> dict[str, Any]:
    """Close under the procedure: `adopted` or `blocked` (409 while it cannot close yet)."""
    selectors.get_decision(user=request.user, decision_id=decision_id)
    return decision_dict(services.close_decision(actor=request.user, decision_id=decision_id), request.user)


@handovers_router.get("", response=dict[str, Any])
def list_handovers(request: HttpRequest) -> dict[str, Any]:
    """Handovers of the delivery coordination, decided and accepted or pending."""
    items = [handover_dict(h) for h in selectors.handover_list(user=request.user)]
    return {"items": items, "count": len(items)}


@handovers_router.post("", response={201: dict[str, Any], **ERRORS})
def propose_handover(request: HttpRequest, payload: HandoverIn) -> Any:
    """Open the body's decision to hand the coordination of deliveries over (the secretariat)."""
    handover = services.propose_handover(
        actor=request.user, body=payload.body, to=payload.to, effective=payload.effective, title=payload.title
    )
    return Status(201, handover_dict(handover))


@handovers_router.post("/{handover_id}/accept", response={200: dict[str, Any], **ERRORS})
def accept_handover(request: HttpRequest, handover_id: Id) -> dict[str, Any]:
    """The incoming participant accepts an adopted handover; the mandates change from its date."""
    services.accept_handover(actor=request.user, handover_id=handover_id)
    return handover_dict(selectors.handover_list(user=request.user).get(pk=handover_id))


@mandate_handover_router.post("/handover", response={201: MandateOut, **ERRORS})
def mandate_handover(request: HttpRequest, payload: MandateHandoverIn) -> Any:
    """The incoming participant's coordinator accepts an adopted handover decision (`decision`,
    with its `to` and `on`): 422 `decision` without one, 409 while it is not adopted."""
    mandate = services.hand_over(actor=request.user, to=payload.to, on=payload.on, decision=payload.decision)
    return Status(201, mandate)
