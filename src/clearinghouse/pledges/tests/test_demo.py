"""The requirements and pledges demo: the story it tells, and that a second run adds nothing."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import F

from clearinghouse.core.models import AuditEvent
from clearinghouse.pledges.models import Delivery, Pledge
from clearinghouse.requirements.models import Requirement

pytestmark = pytest.mark.django_db

ACCOUNTS = [
    ("coordinator", "NATO", "coordinator"),
    ("donor-usa", "USA", "donor_officer"),
    ("donor-deu", "DEU", "donor_officer"),
    ("donor-pol", "POL", "donor_officer"),
    ("recipient", "UKR", "recipient_officer"),
    ("admin", "NATO", "admin"),
]


@pytest.fixture
def seeded(reference_data: None) -> dict[str, Any]:
    from clearinghouse.catalog.services import load_catalog
    from clearinghouse.participants.services import create_user
    from clearinghouse.pledges import demo as pledges_demo
    from clearinghouse.requirements import demo as requirements_demo

    users = {
        name: create_user(actor=None, username=name, participant=code, role=role, password=None)
        for name, code, role in ACCOUNTS
    }
    load_catalog(actor=users["admin"])
    requirements_demo.seed(users["admin"])
    pledges_demo.seed(users["admin"])
    return {
        "users": users,
        "seed": lambda: (requirements_demo.seed(users["admin"]), pledges_demo.seed(users["admin"])),
    }


def test_the_demo_tells_the_story_and_a_second_run_adds_nothing(seeded: dict[str, Any]) -> None:
    critical = set(Requirement.objects.filter(priority="critical").values_list("capability__code", flat=True))
    assert critical == {"ammunition", "air-defence"}
    needed = sorted(Requirement.objects.values_list("needed_by", flat=True))
    assert (needed[0].isoformat()[:7], needed[-1].isoformat()[:7]) == ("2026-12", "2027-12")

    statuses = Counter(Pledge.objects.values_list("status", flat=True))
    assert {"offered", "accepted", "committed", "in_delivery", "delivered", "withdrawn", "declined"} <= set(
        statuses
    )
    assert statuses["delivered"] >= 20
    currencies = set(Pledge.objects.filter(kind="financial").values_list("currency", flat=True))
    assert {"USD", "EUR", "GBP", "NOK", "SEK", "CAD", "JPY"} <= currencies
    assert Pledge.objects.filter(kind="financial", tranches__year=2029).exists()
    assert Pledge.objects.filter(releasability="owner").exists()
    assert Pledge.objects.filter(releasability="coordination", releasable_to__isnull=False).exists()

    # The tracker's heavy weapons, valued as the tracker values them.
    weapons = Pledge.objects.filter(external_ref__startswith="KIEL-R29-")
    assert weapons.count() >= 80
    himars = weapons.get(owner__code="USA", item_type__code="RKT-HIMARS")
    assert (himars.quantity, himars.currency) == (41, "EUR")
    # 609,864,286 EUR for 41 launchers: a unit value to the cent, so the total within half a cent each.
    assert himars.value_amount is not None and abs(himars.value_amount - Decimal("609864286")) <= Decimal(
        "0.205"
    )
    assert "share 609864286.00 EUR / 41" in himars.valuation_source
    leopards = weapons.get(owner__code="DEU", item_type__code="ARM-LEO2A6")
    assert leopards.quantity == 18

    # Deliveries part-way through: some confirmed by the recipient, some not yet.
    assert Delivery.objects.filter(confirmed_at__isnull=False).exists()
    assert Delivery.objects.filter(confirmed_at__isnull=True).exists()
    assert Requirement.objects.filter(delivered_quantity__gt=0, allocated_quantity__lt=F("quantity")).exists()
    # Work for the clearing house: in-kind pledges not allocated yet, requirements with units open.
    unallocated = Pledge.objects.filter(
        kind="in_kind", status__in=("offered", "accepted", "committed"), allocated_quantity=0
    )
    assert unallocated.count() >= 20
    assert {p.owner.code for p in unallocated} >= {"USA", "DEU", "POL"}

    # Acted by the right accounts.
    actors = set(
        AuditEvent.objects.filter(object_type="pledges.delivery", action="confirm").values_list(
            "actor", flat=True
        )
    )
    assert actors == {"recipient"}
    assert AuditEvent.objects.filter(
        object_type="pledges.pledge", action="create", actor="donor-deu"
    ).exists()

    counts = (
        Requirement.objects.count(),
        Pledge.objects.count(),
        Delivery.objects.count(),
        AuditEvent.objects.count(),
    )
    seeded["seed"]()
    assert (
        Requirement.objects.count(),
        Pledge.objects.count(),
        Delivery.objects.count(),
        AuditEvent.objects.count(),
    ) == counts
