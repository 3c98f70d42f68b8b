"""Demo data of logistics: a depot, a confidential hub, a handover point and a unit; one shipment in
transit and one received through the hub with damage (an open discrepancy). Idempotent."""

from __future__ import annotations

import datetime as dt
from typing import Any

from clearinghouse.core import clock
from clearinghouse.logistics import services
from clearinghouse.logistics.models import Site
from clearinghouse.participants.models import User
from clearinghouse.pledges.choices import ALLOCATABLE, PledgeKind
from clearinghouse.pledges.models import Allocation

SITES = [
    {
        "code": "DEMO-DEPOT",
        "name": "Donor depot (demo)",
        "kind": "depot",
        "country": "DEU",
        "releasability": "contact_group",
    },
    {
        "code": "DEMO-HUB",
        "name": "Logistics hub near the border (demo; confidential location)",
        "kind": "hub",
        "country": "POL",
        "latitude": "50.110000",
        "longitude": "22.020000",
        "releasability": "owner",
    },
    {
        "code": "DEMO-HANDOVER",
        "name": "Handover point (demo)",
        "kind": "handover",
        "country": "UKR",
        "releasability": "contact_group",
    },
    {
        "code": "DEMO-UNIT",
        "name": "Recipient unit (demo)",
        "kind": "unit",
        "country": "UKR",
        "releasability": "coordination",
    },
]


def _officer(participant_id: int, role: str, admin: Any) -> Any:
    return User.objects.filter(participant_id=participant_id, role=role, is_active=True).first() or admin


def _allocations() -> list[Allocation]:
    qs = Allocation.objects.filter(pledge__kind=PledgeKind.IN_KIND, pledge__status__in=ALLOCATABLE)
    return [
        a for a in qs.select_related("pledge", "requirement").order_by("pk") if services.unshipped(a) >= 4
    ]


def seed(admin: Any) -> None:
    """Sites and two shipments (the cell's admin makes the sites; donors ship, the recipient receives)."""
    if Site.objects.filter(code="DEMO-DEPOT").exists():
        return
    for data in SITES:
        services.create_site(actor=admin, data=data)
    today = clock.today()
    for n, allocation in enumerate(_allocations()[:2]):
        donor = _officer(allocation.pledge.owner_id, "donor_officer", admin)
        start = max(today - dt.timedelta(days=20), allocation.pledge.available_from)
        units = min(20, services.unshipped(allocation))
        shipment = services.create_shipment(
            actor=admin if donor is admin else donor,
            data={
                "allocation": allocation.pk,
                "quantity": units,
                "from_site": "DEMO-DEPOT",
                "to_site": "DEMO-HANDOVER",
                "carrier": "Demo Freight",
                "reference": f"DEMO-{allocation.pk}-{n + 1}",
                "dispatched_on": start,
                "expected_on": start + dt.timedelta(days=7 if n == 0 else 14),
            },
        )
        at = dt.datetime.combine(start, dt.time(8), tzinfo=dt.UTC)
        services.record_event(actor=admin, shipment_id=shipment.pk, state="dispatched", at=at)
        services.record_event(
            actor=admin, shipment_id=shipment.pk, state="in_transit", at=at + dt.timedelta(days=1)
        )
        if n == 1:
            services.record_event(
                actor=admin,
                shipment_id=shipment.pk,
                state="at_hub",
                at=at + dt.timedelta(days=3),
                site="DEMO-HUB",
            )
            recipient = _officer(allocation.requirement.owner_id, "recipient_officer", admin)
            services.record_receipt(
                actor=recipient,
                shipment_id=shipment.pk,
                received=units - 1,
                damaged=min(2, units - 1),
                received_on=min(today, start + dt.timedelta(days=10)),
                note="Demo: one unit missing, two damaged in transit.",
            )
