"""Who may use the inbox's API operations and pages (merged into tests/access.py).

Every signed-in user has a work queue and notifications of its own; a notification is its user's
alone: another user (admins included) marking it read gets 404, as for a missing one.
"""

from __future__ import annotations

from typing import Any

from tests.access_rules import ALL, Rule


def _analyst_notification(p: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.inbox.models import Notification

    note = Notification.objects.create(user=p["analyst"], kind="pledge_accepted", title="t", url="/")
    return {"notification_id": note.pk}


API: dict[tuple[str, str], Rule] = {
    ("GET", "/api/v1/inbox"): Rule(ALL),
    ("GET", "/api/v1/notifications"): Rule(ALL),
    ("POST", "/api/v1/notifications/{notification_id}/read"): Rule(
        frozenset({"analyst"}), setup=_analyst_notification, denied=(404,)
    ),
}

PAGES: dict[str, Rule] = {
    "inbox": Rule(ALL),
    "notification-list": Rule(ALL),
    "notification-preferences": Rule(ALL),
}
