"""Reads of bodies, meetings and decisions for a user; every query starts from `restrict`."""

from __future__ import annotations

from typing import cast

from django.db.models import QuerySet

from clearinghouse.core.actors import Actor
from clearinghouse.core.errors import NotFound
from clearinghouse.governance.models import Body, Decision, Handover, Meeting


def body_list(*, user: Actor) -> QuerySet[Body]:
    return Body.objects.restrict(user, "view").order_by("kind", "code")


def get_body(*, user: Actor, code: str) -> Body:
    body = body_list(user=user).filter(code=code.lower()).first()
    if body is None:
        raise NotFound("Body not found.")
    return body


def meeting_list(*, user: Actor, body: str | None = None) -> QuerySet[Meeting]:
    qs = Meeting.objects.restrict(user, "view").select_related("body").prefetch_related("chairs")
    if body:
        qs = qs.filter(body__code=body.lower())
    return qs.order_by("-date", "-id")


def get_meeting(*, user: Actor, meeting_id: int) -> Meeting:
    meeting = (
        Meeting.objects.restrict(user, "view")
        .select_related("body")
        .prefetch_related("chairs", "attendance")
        .filter(pk=meeting_id)
        .first()
    )
    if meeting is None:
        raise NotFound("Meeting not found.")
    return cast("Meeting", meeting)


def decision_list(*, user: Actor, body: str | None = None, status: str | None = None) -> QuerySet[Decision]:
    qs = Decision.objects.restrict(user, "view").select_related("body", "subject_participant")
    if body:
        qs = qs.filter(body__code=body.lower())
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def get_decision(*, user: Actor, decision_id: int) -> Decision:
    decision = decision_list(user=user).filter(pk=decision_id).first()
    if decision is None:
        raise NotFound("Decision not found.")
    return decision


def handover_list(*, user: Actor) -> QuerySet[Handover]:
    return (
        Handover.objects.restrict(user, "view")
        .select_related("decision", "decision__body", "to_participant", "accepted_by")
        .order_by("effective")
    )
