"""API routes of the work queue (`/inbox`) and of notifications (`/notifications`)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate

from clearinghouse.core.pagination import LimitOffsetPagination
from clearinghouse.core.schemas import ErrorOut
from clearinghouse.core.validation import Id
from clearinghouse.inbox import selectors, services
from clearinghouse.inbox.models import Notification
from clearinghouse.inbox.schemas import InboxOut, NotificationOut

inbox_router = Router(tags=["inbox"])
notifications_router = Router(tags=["inbox"])


@inbox_router.get("", response=InboxOut)
def inbox(request: HttpRequest) -> dict[str, Any]:
    """What waits for you, by your role: offers to decide, clearing proposals to review, receipts to
    confirm, deliveries overdue against their schedule, requirements with no compatible offer, fund
    members in arrears, decisions awaiting your participant's position, imports that failed.
    `count` is how many wait (more than `items` lists when one kind has more than 200)."""
    return selectors.work_queue_json(user=request.user)


@notifications_router.get("", response=list[NotificationOut])
@paginate(LimitOffsetPagination)
def list_notifications(request: HttpRequest, unread: bool | None = None) -> QuerySet[Notification]:
    """Your notifications, newest first (`?unread=true`: only the unread)."""
    return selectors.notification_list(user=request.user, unread=unread)


@notifications_router.post("/{notification_id}/read", response={200: NotificationOut, 404: ErrorOut})
def read_notification(request: HttpRequest, notification_id: Id) -> Notification:
    """Mark one of your notifications read (another user's: 404)."""
    return services.mark_read(actor=request.user, notification_id=notification_id)
