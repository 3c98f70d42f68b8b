"""The writes of the inbox: notifications made from what the services record, read marks, and each
user's choice of channel.

Notifications follow the audit chain (`core.signals.audit_recorded`, sent inside the writing
service's transaction): a notification commits or rolls back with the change that caused it, and
its e-mail leaves only once that transaction has committed. The apps that write pledges and
allocations know nothing of this app (the layers of import-linter).

A notification is plumbing, like a job row: it is not an audit event itself (the change it tells of
is). A user's change of preferences is audited.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from clearinghouse.core import audit, clock
from clearinghouse.core.actors import Actor, account_or_none, signed_in
from clearinghouse.core.errors import NotFound
from clearinghouse.core.models import AuditEvent
from clearinghouse.inbox.choices import NotificationKind
from clearinghouse.inbox.models import Notification, NotificationPreference
from clearinghouse.participants.choices import Role
from clearinghouse.participants.models import User
from clearinghouse.pledges.choices import PledgeStatus
from clearinghouse.pledges.models import Allocation, Pledge
from clearinghouse.requirements.reasons import AUDIT_KEY

log = logging.getLogger(__name__)

# A pledge's moves its donor is told of.
DONOR_MOVES: dict[str, str] = {
    PledgeStatus.ACCEPTED: NotificationKind.PLEDGE_ACCEPTED,
    PledgeStatus.DECLINED: NotificationKind.PLEDGE_DECLINED,
    PledgeStatus.DELIVERED: NotificationKind.PLEDGE_DELIVERED,
}


def preferences_of(user: User) -> NotificationPreference:
    """The user's preferences (the defaults, unsaved, when the user never chose)."""
    pref = NotificationPreference.objects.filter(user=user).first()
    return pref if pref is not None else NotificationPreference(user=user)


def set_preferences(*, actor: Actor, in_app: bool, email: bool) -> NotificationPreference:
    """Choose how to be told: in the app, by e-mail, both or neither (audited)."""
    user = signed_in(actor)
    with transaction.atomic():
        pref = NotificationPreference.objects.select_for_update().filter(user=user).first()
        before = audit.snapshot(pref, exclude=("updated_at",)) if pref is not None else None
        if pref is None:
            pref = NotificationPreference(user=user)
        pref.in_app = bool(in_app)
        pref.email = bool(email)
        pref.save()
        audit.record(
            actor=actor,
            action="update" if before else "create",
            obj=pref,
            before=before,
            after=audit.snapshot(pref, exclude=("updated_at",)),
        )
    return pref


def _absolute(url: str) -> str:
    return f"{settings.CLEARINGHOUSE_SITE_URL.rstrip('/')}{url}" if url.startswith("/") else url


def _send_email(address: str, title: str, url: str) -> None:
    """Send one notification by e-mail; a failing mail server is logged, never the writer's error."""
    body = f"{title}\n\n{_absolute(url)}\n\n-- \nClearinghouse. Choose how you are told: " + _absolute(
        "/notifications/preferences/"
    )
    try:
        send_mail(f"[Clearinghouse] {title}", body, None, [address])
    except Exception:
        log.exception("notification e-mail to %s failed", address)


def notify(*, users: Iterable[User], kind: str, title: str, url: str) -> list[Notification]:
    """Tell each user, by the channels the user chose: a notification row (in the app) written in the
    current transaction, an e-mail sent when it commits."""
    users = list(users)
    prefs = {p.user_id: p for p in NotificationPreference.objects.filter(user__in=users)}
    made: list[Notification] = []
    title = title[:300]
    for user in users:
        pref = prefs.get(user.pk) or NotificationPreference(user=user)
        if pref.in_app:
            made.append(Notification(user=user, kind=kind, title=title, url=url, created=clock.now()))
        if pref.email and user.email:
            address = user.email
            transaction.on_commit(lambda a=address: _send_email(a, title, url))  # type: ignore[misc]
    Notification.objects.bulk_create(made)
    return made


def _officers(participant_id: int, role: str, actor: Actor | None) -> list[User]:
    acting = account_or_none(actor)
    qs = User.objects.filter(participant_id=participant_id, role=role, is_active=True)
    if acting is not None:
        qs = qs.exclude(pk=acting.pk)  # nobody is told of what they did themselves
    return list(qs.select_related("participant"))


def _what(pledge: Pledge) -> str:
    if pledge.quantity and pledge.item_type is not None:
        return f"{pledge.quantity} {pledge.item_type.unit} of {pledge.item_type.code}"
    if pledge.amount is not None:
        return f"{pledge.amount:,.2f} {pledge.currency}"
    return pledge.kind


def _pledge_moved(event: AuditEvent, pledge: Pledge, actor: Actor | None) -> None:
    status = str((event.after or {}).get("status") or "")
    kind = DONOR_MOVES.get(status)
    if kind is None:
        return
    title = f"Pledge {pledge.pk} ({_what(pledge)}) {PledgeStatus(status).label.lower()}"
    reason = (event.after or {}).get(AUDIT_KEY)
    if reason:
        title += f": {reason}"
    notify(
        users=_officers(pledge.owner_id, Role.DONOR_OFFICER, actor),
        kind=kind,
        title=title,
        url=f"/pledges/{pledge.pk}/",
    )


def _allocated(allocation: Allocation, actor: Actor | None) -> None:
    pledge, requirement = allocation.pledge, allocation.requirement
    units = f"{allocation.quantity} {pledge.item_type.unit if pledge.item_type else 'units'}"
    notify(
        users=_officers(pledge.owner_id, Role.DONOR_OFFICER, actor),
        kind=NotificationKind.PLEDGE_ALLOCATED,
        title=f"Pledge {pledge.pk}: {units} allocated to requirement {requirement.pk}",
        url=f"/pledges/{pledge.pk}/",
    )
    # The recipient's officers are told only of an allocation they may see (its pledge's marking).
    readers = [
        u
        for u in _officers(requirement.owner_id, Role.RECIPIENT_OFFICER, actor)
        if Allocation.objects.restrict(u, "view").filter(pk=allocation.pk).exists()
    ]
    notify(
        users=readers,
        kind=NotificationKind.ALLOCATED_TO_YOU,
        title=f"Requirement {requirement.pk}: {units} allocated from pledge {pledge.pk}",
        url=f"/requirements/{requirement.pk}/",
    )


def follow_audit_event(
    sender: Any, *, event: AuditEvent, obj: Any = None, actor: Any = None, **_: Any
) -> None:
    """Receiver of `core.signals.audit_recorded`: the events someone is told of."""
    if event.object_type == "pledges.pledge" and event.action == "transition":
        pledge = obj if isinstance(obj, Pledge) else Pledge.objects.get(pk=event.object_id)
        _pledge_moved(event, pledge, actor)
    elif event.object_type == "pledges.allocation" and event.action == "create":
        allocation = (
            obj
            if isinstance(obj, Allocation)
            else Allocation.objects.select_related("pledge", "requirement").get(pk=event.object_id)
        )
        _allocated(allocation, actor)


def mark_read(*, actor: Actor, notification_id: int) -> Notification:
    """Mark one of your notifications read (another user's is not found)."""
    with transaction.atomic():
        note = Notification.objects.restrict(actor, "change").filter(pk=notification_id).first()
        if note is None:
            raise NotFound("Notification not found.")
        if note.read_at is None:
            note.read_at = clock.now()
            note.save(update_fields=["read_at"])
    return note  # type: ignore[no-any-return]


def mark_all_read(*, actor: Actor) -> int:
    """Mark every unread notification of yours read; returns how many."""
    unread = Notification.objects.restrict(actor, "change").filter(read_at__isnull=True)
    return int(unread.update(read_at=clock.now()))
