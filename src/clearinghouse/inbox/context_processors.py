"""The header's count of unread notifications, on every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from clearinghouse.inbox.selectors import unread_count


def unread_notifications(request: HttpRequest) -> dict[str, Any]:
    """`nav_unread`: the signed-in user's unread notifications (one indexed count; 0 signed out)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_unread": 0}
    return {"nav_unread": unread_count(user=user)}
