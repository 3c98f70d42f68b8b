"""Sources and measures of the frameworks app, declared once."""

from __future__ import annotations

from django.db import models


class Source(models.TextChoices):
    """Where a framework's `actual` comes from."""

    RECORDS = "records", "The system's own records (pledges)"
    KIEL = "kiel", "The current Kiel tracker release"


class Counts(models.TextChoices):
    """What counts toward a framework."""

    MILITARY = "military", "Military aid through any channel"
