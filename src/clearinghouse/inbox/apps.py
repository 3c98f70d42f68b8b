from __future__ import annotations

from django.apps import AppConfig


class InboxConfig(AppConfig):
    """The work queue of each user and the notifications sent to them (in the app and by e-mail)."""

    name = "clearinghouse.inbox"
    label = "inbox"
    verbose_name = "Inbox"

    def ready(self) -> None:
        from clearinghouse.core.signals import audit_recorded
        from clearinghouse.inbox.services import follow_audit_event

        # Notifications follow the audit chain: a pledge accepted, declined or delivered, an allocation.
        audit_recorded.connect(follow_audit_event, dispatch_uid="inbox.follow_audit_event")
