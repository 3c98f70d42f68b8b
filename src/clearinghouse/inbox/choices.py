"""Kinds of work-queue item and of notification, declared once."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ItemKind(models.TextChoices):
    """What waits for a user (the work queue), in the order the home page lists them."""

    OFFER = "offer_to_decide", _("Offers to decide")
    PROPOSALS = "proposals_to_review", _("Clearing proposals to review")
    RECEIPT = "receipt_to_confirm", _("Receipts to confirm")
    OVERDUE = "delivery_overdue", _("Deliveries overdue against their schedule")
    UNMATCHED = "requirement_without_offer", _("Requirements with no compatible offer")
    ARREARS = "fund_arrears", _("Fund members in arrears")
    DECISION = "decision_awaiting_position", _("Decisions awaiting your position")
    IMPORT = "import_failed", _("Imports that failed")


class NotificationKind(models.TextChoices):
    """What a notification tells."""

    PLEDGE_ACCEPTED = "pledge_accepted", "Pledge accepted"
    PLEDGE_DECLINED = "pledge_declined", "Pledge declined"
    PLEDGE_ALLOCATED = "pledge_allocated", "Pledge allocated"
    PLEDGE_DELIVERED = "pledge_delivered", "Pledge delivered"
    ALLOCATED_TO_YOU = "allocated_to_you", "Allocated to your requirement"
