"""The one visibility rule: who may see a record with a releasability marking.

public: everyone, anonymous included; contact_group: the signed-in users of the contact group's
members (`in_contact_group`: the coordinating body, the recipient, the EU and every participant
taking part; not donors outside it); coordination: the owning participant's users, the
coordinating body's users, the recipient's users and auditors; owner: the owning participant's
users, the coordinating body's users and auditors. `releasable_to` adds the users of the named
participants. Lists (`visibility_q`) and single objects (`can_see`) apply the same rule, and both
ask `in_contact_group` whether a user's participant is a member.

Within `membership_cache()` (every request, opened by `core.middleware.RequestIdMiddleware`) each
participant's membership is looked up once: a page or list that applies the rule to many records
asks the database once, not once per record. A write of a membership or a participant inside the
scope empties it (`forget_memberships`, connected to their saves and deletes), so the answer never
lags behind what the request itself changed.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db.models import Q

from clearinghouse.core import clock
from clearinghouse.core.actors import Actor, is_signed_in
from clearinghouse.core.choices import Releasability

_memberships: ContextVar[dict[tuple[int, dt.date], bool] | None] = ContextVar(
    "clearinghouse_memberships", default=None
)


@contextmanager
def membership_cache() -> Iterator[None]:
    """Remember each participant's membership of the contact group until the block ends."""
    token = _memberships.set({})
    try:
        yield
    finally:
        _memberships.reset(token)


def forget_memberships(**_: Any) -> None:
    """Empty the current scope's memberships (a membership or a participant was written)."""
    cache = _memberships.get()
    if cache is not None:
        cache.clear()


def sees_everything(user: Actor | None) -> bool:
    """Auditors, admins and the coordinating body's users see every marking."""
    if not is_signed_in(user):
        return False
    return bool(user.is_superuser or user.role in ("auditor", "admin") or user.is_coordination)


def in_contact_group(user: Actor | None) -> bool:
    """Whether `user` acts for a member of the contact group: the one membership test of this rule.

    The participant's membership of the contact group body `udcg` today (its dated membership,
    governance; the `in_contact_group` flag until the bodies are loaded): the coordinating body and
    the recipient are members whatever it says.
    """
    if not is_signed_in(user):
        return False
    participant = getattr(user, "participant", None)
    if participant is None:
        return False
    if user.is_coordination or user.is_recipient:
        return True
    cache = _memberships.get()
    if cache is None:
        return bool(participant.is_contact_group_member())
    key = (participant.pk, clock.today())
    if key not in cache:
        cache[key] = bool(participant.is_contact_group_member(key[1]))
    return cache[key]


def visibility_q(user: Actor | None, *, prefix: str = "", model: Any = None) -> Q:
    """A filter selecting the records `user` may see; `prefix` reaches a releasable related object.

    `releasable_to` is tested by a subquery on its link table (`pk IN (SELECT ...)`, a semi-join),
    not by a join: a join can repeat a row, and the DISTINCT over every column that repeats then
    needed cost PostgreSQL most of a list's time at 50,000 pledges (issue 18). The releasable model
    is `model`, or the one the prefix's last step names (`allocation__pledge__`: the pledge); when
    neither names one, the join is kept (and `restrict` adds DISTINCT)."""
    p = prefix
    if not is_signed_in(user):
        return Q(**{f"{p}releasability": Releasability.PUBLIC})
    if sees_everything(user):
        return Q()
    shared = [Releasability.PUBLIC]
    if in_contact_group(user):
        shared.append(Releasability.CONTACT_GROUP)
    q = Q(**{f"{p}releasability__in": shared})
    q |= Q(**{f"{p}owner_id": user.participant_id})
    if user.is_recipient:
        q |= Q(**{f"{p}releasability": Releasability.COORDINATION})
    q |= releasable_to_q(user.participant_id, prefix=p, model=model)
    return q


def releasable_to_q(participant_id: int, *, prefix: str = "", model: Any = None) -> Q:
    """Records released by name to the participant: a semi-join on the link table, or a join when
    the releasable model is not known (see `visibility_q`)."""
    target = model or _releasable_models().get(prefix.removesuffix("__").rpartition("__")[2])
    if target is None:
        return Q(**{f"{prefix}releasable_to": participant_id})
    field = target._meta.get_field("releasable_to")
    released = field.remote_field.through.objects.filter(
        **{f"{field.m2m_reverse_field_name()}_id": participant_id}
    ).values(f"{field.m2m_field_name()}_id")
    return Q(**{f"{prefix}pk__in": released})


@functools.cache
def _releasable_models() -> dict[str, Any]:
    """Models with a `releasable_to` list, by model name (`pledge`, `package`, ...)."""
    from django.apps import apps

    out: dict[str, Any] = {}
    for m in apps.get_models():
        if getattr(m, "uses_releasable_to", False) and any(
            f.name == "releasable_to" for f in m._meta.get_fields()
        ):
            out[str(m._meta.model_name)] = m
    return out


def can_see(user: Actor | None, obj: Any) -> bool:
    """The same rule for one object already in memory (used where a query would be wasteful)."""
    if obj.releasability == Releasability.PUBLIC:
        return True
    if not is_signed_in(user):
        return False
    if sees_everything(user):
        return True
    if obj.releasability == Releasability.CONTACT_GROUP and in_contact_group(user):
        return True
    if obj.owner_id == user.participant_id:
        return True
    if obj.releasability == Releasability.COORDINATION and user.is_recipient:
        return True
    if "releasable_to" in getattr(obj, "_prefetched_objects_cache", {}):  # a list read them already
        return any(p.pk == user.participant_id for p in obj.releasable_to.all())
    return bool(obj.releasable_to.filter(pk=user.participant_id).exists())
