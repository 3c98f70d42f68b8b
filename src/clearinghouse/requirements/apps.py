from __future__ import annotations

from django.apps import AppConfig


class RequirementsConfig(AppConfig):
    name = "clearinghouse.requirements"
    label = "requirements"
    verbose_name = "Requirements"
