"""Kinds of participant and roles of people, declared once."""

from __future__ import annotations

from django.db import models


class ParticipantKind(models.TextChoices):
    """What a participant is in the contact group."""

    ALLY = "ally", "Ally"
    PARTNER = "partner", "Partner"
    ORGANISATION = "organisation", "Organisation"
    RECIPIENT = "recipient", "Recipient"
    COORDINATING_BODY = "coordinating_body", "Coordinating body"


class Role(models.TextChoices):
    """What a person does; one role per account."""

    COORDINATOR = "coordinator", "Coordinator"
    DONOR_OFFICER = "donor_officer", "Donor officer"
    RECIPIENT_OFFICER = "recipient_officer", "Recipient officer"
    FINANCE_OFFICER = "finance_officer", "Finance officer"
    ANALYST = "analyst", "Analyst"
    AUDITOR = "auditor", "Auditor"
    ADMIN = "admin", "Admin"


class MandateFunction(models.TextChoices):
    """What a mandate confers: the contact group's chair, or the coordination of deliveries (powers)."""

    CHAIR = "chair", "Chair of the contact group"
    DELIVERY_COORDINATION = "delivery_coordination", "Coordination of deliveries"
