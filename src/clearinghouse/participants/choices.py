"""Kinds of participant and roles of people, declared once."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ParticipantKind(models.TextChoices):
    """What a participant is in the contact group."""

    ALLY = "ally", _("Ally")
    PARTNER = "partner", _("Partner")
    ORGANISATION = "organisation", _("Organisation")
    RECIPIENT = "recipient", _("Recipient")
    COORDINATING_BODY = "coordinating_body", _("Coordinating body")


class Role(models.TextChoices):
    """What a person does; one role per account."""

    COORDINATOR = "coordinator", _("Coordinator")
    DONOR_OFFICER = "donor_officer", _("Donor officer")
    RECIPIENT_OFFICER = "recipient_officer", _("Recipient officer")
    FINANCE_OFFICER = "finance_officer", _("Finance officer")
    ANALYST = "analyst", _("Analyst")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("Admin")


class MandateFunction(models.TextChoices):
    """What a mandate confers: the contact group's chair, or the coordination of deliveries (powers)."""

    CHAIR = "chair", _("Chair of the contact group")
    DELIVERY_COORDINATION = "delivery_coordination", _("Coordination of deliveries")
