from __future__ import annotations

from django.apps import AppConfig


class LogisticsConfig(AppConfig):
    name = "clearinghouse.logistics"
    label = "logistics"
    verbose_name = "Logistics"
