from __future__ import annotations

from django.apps import AppConfig


class FrameworksConfig(AppConfig):
    name = "clearinghouse.frameworks"
    label = "frameworks"
    verbose_name = "Frameworks"
