from __future__ import annotations

from django.apps import AppConfig


class ParticipantsConfig(AppConfig):
    name = "clearinghouse.participants"
    label = "participants"
    verbose_name = "Participants"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from clearinghouse.core.releasability import forget_memberships

        # A request that changes a membership of the contact group sees the change (core.releasability).
        for signal in (post_save, post_delete):
            signal.connect(
                forget_memberships, sender="participants.Participant", dispatch_uid="forget-memberships"
            )
