from __future__ import annotations

from django.apps import AppConfig


class FundsConfig(AppConfig):
    name = "clearinghouse.funds"
    label = "funds"
    verbose_name = "Funds"
