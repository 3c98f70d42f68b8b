"""Priorities and statuses of requirements, declared once."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Priority(models.TextChoices):
    """How urgently the recipient needs it, most urgent first."""

    CRITICAL = "critical", _("Critical")
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


PRIORITY_RANK = {Priority.CRITICAL: 0, Priority.HIGH: 1, Priority.MEDIUM: 2, Priority.LOW: 3}


class RequirementStatus(models.TextChoices):
    """Derived from allocations and deliveries (never stored): see `Requirement.status`."""

    OPEN = "open", _("Open")
    PARTLY_COVERED = "partly_covered", _("Partly covered")
    COVERED = "covered", _("Covered")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")
