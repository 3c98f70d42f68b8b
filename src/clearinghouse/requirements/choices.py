"""Priorities and statuses of requirements, declared once."""

from __future__ import annotations

from django.db import models


class Priority(models.TextChoices):
    """How urgently the recipient needs it, most urgent first."""

    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


PRIORITY_RANK = {Priority.CRITICAL: 0, Priority.HIGH: 1, Priority.MEDIUM: 2, Priority.LOW: 3}


class RequirementStatus(models.TextChoices):
    """Derived from allocations and deliveries (never stored): see `Requirement.status`."""

    OPEN = "open", "Open"
    PARTLY_COVERED = "partly_covered", "Partly covered"
    COVERED = "covered", "Covered"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"
