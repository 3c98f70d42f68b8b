from __future__ import annotations

from django.apps import AppConfig


class ClearingConfig(AppConfig):
    name = "clearinghouse.clearing"
    label = "clearing"
    verbose_name = "Clearing"
