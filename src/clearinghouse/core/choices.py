"""Choices declared once for the whole project's core."""

from __future__ import annotations

from django.db import models


class Releasability(models.TextChoices):
    """Who may see a record (the marking), narrowest last."""

    PUBLIC = "public", "Public"
    CONTACT_GROUP = "contact_group", "Contact group"
    COORDINATION = "coordination", "Coordination"
    OWNER = "owner", "Owner only"


class AuditAction(models.TextChoices):
    """What an audit event records."""

    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    TRANSITION = "transition", "Transition"
    HANDOVER = "handover", "Handover"
    TOKEN_CREATE = "token_create", "Token created"
    TOKEN_REVOKE = "token_revoke", "Token revoked"
    IMPORT = "import", "Import"


class JobState(models.TextChoices):
    """Where a background job is: waiting, running, or finished one way or the other."""

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
