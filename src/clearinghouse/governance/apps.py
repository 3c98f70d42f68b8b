from __future__ import annotations

from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "clearinghouse.governance"
    label = "governance"
    verbose_name = "Governance"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from clearinghouse.core.releasability import forget_memberships

        # A request that changes a membership of the contact group sees the change (core.releasability).
        for signal in (post_save, post_delete):
            signal.connect(
                forget_memberships, sender="governance.BodyMembership", dispatch_uid="forget-memberships"
            )
