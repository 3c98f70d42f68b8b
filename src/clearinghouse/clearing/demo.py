"""Demo: a baseline clearing run, and the scenario "the largest donor's pending pledges stall"."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from clearinghouse.clearing import services
from clearinghouse.clearing.models import ClearingRun
from clearinghouse.participants.models import User
from clearinghouse.pledges.models import Pledge

STALL_NAME = "The largest donor's pending pledges stall"


def largest_pending_donor() -> str | None:
    """The donor with the most value in pledges the clearing house can still place."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    # Summed in Python, exactly: SQL's SUM over many large amounts overflows 64 bits on SQLite.
    rows = Pledge.objects.filter(kind="in_kind", status__in=services.MATCHABLE_PLEDGE_STATUSES).values_list(
        "owner__code", "value_eur"
    )
    for code, value in rows:
        totals[code] += value or 0
    return max(sorted(totals), key=lambda code: totals[code]) if totals else None


def seed(admin: Any) -> None:
    """Run once: the coalitions' shipped roadmap targets, a baseline and the stall scenario (skipped
    when they exist already)."""
    services.load_roadmap_targets(actor=admin)
    coordinator = User.objects.get(username="coordinator")
    if not ClearingRun.objects.filter(kind="baseline").exists():
        services.run_matching(actor=coordinator, name="Demo baseline")
    donor = largest_pending_donor()
    if donor and not ClearingRun.objects.filter(kind="scenario", name__startswith=STALL_NAME).exists():
        services.run_scenario(
            actor=coordinator, scenario={"name": f"{STALL_NAME} ({donor})", "exclude_donors": [donor]}
        )
