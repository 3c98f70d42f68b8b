"""Reads of core records for a user."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from clearinghouse.core.actors import Actor
from clearinghouse.core.models import ApiToken, AuditEvent, UserSession


def audit_event_list(
    *, user: Actor, object_type: str | None = None, object_id: str | None = None, actor: str | None = None
) -> QuerySet[AuditEvent]:
    """The audit chain as the user may read it (auditors only), optionally for one object or actor."""
    qs = AuditEvent.objects.restrict(user, "view")
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if actor:
        qs = qs.filter(actor=actor)
    return qs.order_by("sequence")


def object_history(*, object_type: str, object_id: Any) -> QuerySet[AuditEvent]:
    """Events of one object, for a timeline on a page the caller may already see (no restrict: the
    object's own visibility was checked by the caller's selector)."""
    return AuditEvent.objects.filter(object_type=object_type, object_id=str(object_id)).order_by("sequence")


def token_list(*, user: Actor) -> QuerySet[ApiToken]:
    """The user's own tokens (an admin's list holds everybody's)."""
    return ApiToken.objects.restrict(user, "view").order_by("-created_at")


def session_list(*, user: Actor) -> QuerySet[UserSession]:
    """The user's own browser sessions (an admin's list holds everybody's), newest first."""
    return UserSession.objects.restrict(user, "view").select_related("user").order_by("-created_at")
