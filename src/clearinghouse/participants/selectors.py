"""Reads of participants and mandates for a user; every query starts from `restrict`."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import Q, QuerySet

from clearinghouse.core.actors import Actor
from clearinghouse.core.errors import NotFound
from clearinghouse.participants.models import CoordinationMandate, Participant, SavedView


def participant_list(*, user: Actor, kind: str | None = None, q: str | None = None) -> QuerySet[Participant]:
    """Participants the user may see, optionally by kind or by a name/code search."""
    qs = Participant.objects.restrict(user, "view")
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__iexact=q))
    return qs.order_by("kind", "name")


def mandate_list(*, user: Actor) -> QuerySet[CoordinationMandate]:
    """Coordination mandates, oldest first."""
    return CoordinationMandate.objects.restrict(user, "view").select_related("participant").order_by("start")


def get_participant(*, user: Actor, code: str) -> Participant:
    """One participant by code, or NotFound."""
    p = Participant.objects.restrict(user, "view").filter(code=code.upper()).first()
    if p is None:
        raise NotFound("Participant not found.")
    return cast("Participant", p)


def user_list(*, user: Actor) -> QuerySet[Any]:
    """Accounts the user may see (admins, auditors and the coordination cell: all; others: their own
    participant's), by username."""
    from clearinghouse.participants.models import User

    return User.objects.restrict(user, "view").select_related("participant").order_by("username")


def saved_views(*, user: Actor, list_name: str) -> list[SavedView]:
    """The user's own saved views of one list, by name."""
    return list(SavedView.objects.restrict(user, "view").filter(list_name=list_name).order_by("name"))
