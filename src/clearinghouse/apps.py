from __future__ import annotations

from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """The project itself as an app: its commands that draw on several apps (`clearinghouse demo`,
    `clearinghouse import kiel|requirements|pledges`), beside `urls.py`, `api.py` and `views.py`.
    It has no models."""

    name = "clearinghouse"
    label = "clearinghouse"
    verbose_name = "Clearinghouse"

    def ready(self) -> None:
        # The kinds of background job, known to app servers, commands and workers alike.
        from clearinghouse import jobs  # noqa: F401
