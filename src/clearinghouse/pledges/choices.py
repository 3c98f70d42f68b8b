"""Kinds and statuses of pledges, the lifecycle's legal moves, and allocation sources."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PledgeKind(models.TextChoices):
    """In kind (items) or financial (money for procurement)."""

    IN_KIND = "in_kind", "In kind"
    FINANCIAL = "financial", "Financial"


class Earmark(models.TextChoices):
    """What a financial pledge's money is for, when the donor says so."""

    NONE = "", "Not earmarked"
    MILITARY_PROCUREMENT = "military_procurement", "Military procurement"


def is_military(kind: str, earmark: str) -> bool:
    """Military aid: items in kind, or money earmarked for military procurement (the Kiel rule: money
    given to buy weapons is the giver's military aid, not financial aid)."""
    return kind == PledgeKind.IN_KIND or earmark == Earmark.MILITARY_PROCUREMENT


class PledgeStatus(models.TextChoices):
    """Where a pledge is in its lifecycle."""

    OFFERED = "offered", _("Offered")
    ACCEPTED = "accepted", _("Accepted")
    COMMITTED = "committed", _("Committed")
    IN_DELIVERY = "in_delivery", _("In delivery")
    DELIVERED = "delivered", _("Delivered")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    DECLINED = "declined", _("Declined")


# The state machine: the statuses a pledge may move to from each status. In-kind pledges reach
# in_delivery and delivered through their deliveries (see services.record_delivery), not by request.
TRANSITIONS: dict[str, frozenset[str]] = {
    PledgeStatus.OFFERED: frozenset({PledgeStatus.ACCEPTED, PledgeStatus.DECLINED, PledgeStatus.WITHDRAWN}),
    PledgeStatus.ACCEPTED: frozenset({PledgeStatus.COMMITTED, PledgeStatus.WITHDRAWN}),
    PledgeStatus.COMMITTED: frozenset({PledgeStatus.IN_DELIVERY, PledgeStatus.WITHDRAWN}),
    PledgeStatus.IN_DELIVERY: frozenset({PledgeStatus.DELIVERED}),
    PledgeStatus.DELIVERED: frozenset(),
    PledgeStatus.WITHDRAWN: frozenset(),
    PledgeStatus.DECLINED: frozenset(),
}

# Only these in-kind pledges can be allocated to requirements: accepted by the coordination cell,
# and not finished, withdrawn or declined.
ALLOCATABLE = frozenset({PledgeStatus.ACCEPTED, PledgeStatus.COMMITTED, PledgeStatus.IN_DELIVERY})
TERMINAL = frozenset({PledgeStatus.DELIVERED, PledgeStatus.WITHDRAWN, PledgeStatus.DECLINED})
# Firm: committed, on its way or delivered (what a fund may credit, what the reports count as allocated).
FIRM = (PledgeStatus.COMMITTED, PledgeStatus.IN_DELIVERY, PledgeStatus.DELIVERED)
# Live: neither withdrawn nor declined (what the reports count at all).
LIVE = (PledgeStatus.OFFERED, PledgeStatus.ACCEPTED, *FIRM)
# What the pipeline counts as still to come (offered is not yet agreed).
PIPELINE = (PledgeStatus.OFFERED, PledgeStatus.ACCEPTED, PledgeStatus.COMMITTED, PledgeStatus.IN_DELIVERY)
