"""Notifications sent to a user, and each user's choice of channel."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from clearinghouse.core import clock
from clearinghouse.core.actors import Actor, is_signed_in
from clearinghouse.core.models import RestrictedModel
from clearinghouse.inbox.choices import NotificationKind


class Notification(RestrictedModel):
    """Something a user is told in the app: what happened (`title`), where to look (`url`), and when
    the user read it (`read_at`, null while unread). Personal: only its user sees it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    title = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(default=clock.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created", "-id")
        indexes = [models.Index(fields=("user", "read_at"), name="inbox_notification_unread_idx")]

    def __str__(self) -> str:
        return f"notification {self.pk} to {self.user_id}: {self.title}"

    @property
    def unread(self) -> bool:
        return self.read_at is None

    @classmethod
    def view_q(cls, user: Actor | None) -> Q | None:
        return Q(user_id=user.pk) if is_signed_in(user) else None

    @classmethod
    def write_q(cls, user: Actor | None, action: str) -> Q | None:
        return Q(user_id=user.pk) if is_signed_in(user) else None


class NotificationPreference(RestrictedModel):
    """How a user wants to be told: in the app (the default), by e-mail, both, or neither."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    in_app = models.BooleanField(
        default=True, help_text="Listed on the notifications page, counted in the header."
    )
    email = models.BooleanField(default=False, help_text="Sent to the account's e-mail address.")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"

    @classmethod
    def view_q(cls, user: Actor | None) -> Q | None:
        return Q(user_id=user.pk) if is_signed_in(user) else None
