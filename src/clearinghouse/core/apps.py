from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "clearinghouse.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.db.models.signals import pre_save

        # Every model of the project's apps, whatever door or service saves it (core.validation).
        pre_save.connect(_guard, dispatch_uid="clearinghouse.core.validation.check_before_save")


def _guard(sender: Any, **kwargs: Any) -> None:
    if sender.__module__.startswith("clearinghouse."):
        from clearinghouse.core.validation import check_before_save

        check_before_save(sender, **kwargs)
