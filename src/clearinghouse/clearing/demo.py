"""Demo: a baseline clearing run, and the scenario "the largest donor's pending pledges stall"."""

from __future__ import annotations

from typing import Any

from django.db.models import Sum

from clearinghouse.clearing import services
from clearinghouse.clearing.models import ClearingRun
from clearinghouse.participants.models import User
from clearinghouse.pledges.models import Pledge

STALL_NAME = "The largest donor's pending pledges stall"


def largest_pending_donor() -> str | None:
    """The donor with the most value in pledges the clearing house can still place."""
    row = (
        Pledge.objects.filter(kind="in_kind", status__in=services.MATCHABLE_PLEDGE_STATUSES)
        .values("owner__code")
        .annotate(value=Sum("value_eur"))
        .order_by("-value")
        .first()
    )
    return row["owner__code"] if row else None


def seed(admin: Any) -> None:
    """Run once: a baseline and the stall scenario (skipped when they exist already)."""
    coordinator = User.objects.get(username="coordinator")
    if not ClearingRun.objects.filter(kind="baseline").exists():
        services.run_matching(actor=coordinator, name="Demo baseline")
    donor = largest_pending_donor()
    if donor and not ClearingRun.objects.filter(kind="scenario", name__startswith=STALL_NAME).exists():
        services.run_scenario(
            actor=coordinator, scenario={"name": f"{STALL_NAME} ({donor})", "exclude_donors": [donor]}
        )
