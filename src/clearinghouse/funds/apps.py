from __future__ import annotations

from django.apps import AppConfig


class FundsConfig(AppConfig):
    name = "clearinghouse.funds"
    label = "funds"
    verbose_name = "Funds"

    def ready(self) -> None:
        from clearinghouse.funds.services import follow_pledge
        from clearinghouse.pledges.signals import pledge_changed

        # Credit follows the pledge: a withdrawn pledge's credit is reversed in the same transaction.
        pledge_changed.connect(follow_pledge, dispatch_uid="funds.follow_pledge")
