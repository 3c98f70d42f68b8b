from __future__ import annotations

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "clearinghouse.reports"
    label = "reports"
    verbose_name = "Reports"
