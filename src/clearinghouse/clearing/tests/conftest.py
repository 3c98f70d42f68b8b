"""A small, realistic clearing situation built through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from tests.snapshot import Step

from clearinghouse.catalog.services import load_catalog
from clearinghouse.pledges import services as pledge_services
from clearinghouse.requirements import services as requirement_services

TODAY = dt.date(2026, 11, 15)


def _build_situation() -> None:
    """Two critical needs compete for 155 mm shells; one need has nothing compatible at all."""
    from clearinghouse.participants.models import User

    personas = {u.username: u for u in User.objects.select_related("participant")}
    load_catalog()
    rec = personas["recipient"]

    def need(ref: str, types: list[str], qty: int, priority: str, needed_by: dt.date, cap: str) -> Any:
        return requirement_services.create_requirement(
            actor=rec,
            data={
                "external_ref": ref,
                "capability": cap,
                "item_types": types,
                "quantity": qty,
                "priority": priority,
                "needed_by": needed_by,
                "releasability": "contact_group",
            },
        )

    def offer(user: Any, ref: str, item: str, qty: int, available: dt.date, status: str = "offered") -> Any:
        p = pledge_services.create_pledge(
            actor=user,
            data={
                "external_ref": ref,
                "donor": user.participant.code,
                "kind": "in_kind",
                "item_type": item,
                "quantity": qty,
                "unit_value": "3000.00",
                "currency": "EUR",
                "available_from": available,
                "releasability": "coordination",
            },
        )
        if status != "offered":
            p = pledge_services.transition_pledge(
                actor=personas["coordinator"], pledge_id=p.pk, to="accepted"
            )
        return p

    need("REQ-155", ["AMM-155-HE", "AMM-155-PGM"], 1000, "critical", dt.date(2026, 12, 31), "ammunition")
    need("REQ-155-L", ["AMM-155-HE"], 500, "low", dt.date(2026, 12, 31), "ammunition")
    need("REQ-WIN", ["WIN-CLOTHING"], 300, "medium", dt.date(2027, 1, 31), "winter-equipment")
    offer(personas["donor_usa"], "USA-155", "AMM-155-HE", 800, dt.date(2026, 11, 1))
    offer(personas["donor_deu"], "DEU-155", "AMM-155-PGM", 400, dt.date(2026, 12, 1), status="accepted")


# Built through the services once per test process, restored from its rows afterwards (tests/snapshot.py).
_SITUATION = Step(_build_situation)


@pytest.fixture
def situation(personas: dict[str, Any]) -> dict[str, Any]:
    """Two critical needs compete for 155 mm shells; one need has nothing compatible at all."""
    from clearinghouse.pledges.models import Pledge
    from clearinghouse.requirements.models import Requirement

    _SITUATION.run()
    reqs = {
        key: Requirement.objects.get(external_ref=ref)
        for key, ref in (("shells", "REQ-155"), ("shells-low", "REQ-155-L"), ("winter", "REQ-WIN"))
    }
    pledges = {
        key: Pledge.objects.get(external_ref=ref) for key, ref in (("usa", "USA-155"), ("deu", "DEU-155"))
    }
    return {"requirements": reqs, "pledges": pledges, "today": TODAY}
