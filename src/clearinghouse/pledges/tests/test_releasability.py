"""Releasability on concrete records: each marking × each persona, for requirements and pledges.

The expected audiences are written out by hand from the rule (README, core/releasability.py), not
computed by it, so that a change to the rule shows up here.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from clearinghouse.pledges import selectors as pledge_selectors
from clearinghouse.pledges.tests import factories
from clearinghouse.requirements import selectors as requirement_selectors

pytestmark = pytest.mark.django_db

MEMBERS = {
    "coordinator", "donor_usa", "donor_deu", "donor_pol", "recipient",
    "finance", "analyst", "auditor", "admin", "outsider",
}  # fmt: skip  # users of the contact group's members
EVERYONE = MEMBERS | {"nonmember"}  # CHN's analyst: a participant outside the contact group
NATO = {"coordinator", "finance", "analyst", "auditor", "admin"}  # the coordinating body's users

# A pledge of the USA.
PLEDGE_AUDIENCE = {
    "public": EVERYONE | {"anonymous"},
    "contact_group": MEMBERS,
    "contact_group+CHN": EVERYONE,  # releasable_to names the non-member
    "coordination": NATO | {"donor_usa", "recipient"},
    "owner": NATO | {"donor_usa"},
    "owner+DEU": NATO | {"donor_usa", "donor_deu"},
}
# A requirement of the recipient (UKR).
REQUIREMENT_AUDIENCE = {
    "public": EVERYONE | {"anonymous"},
    "contact_group": MEMBERS,
    "contact_group+CHN": EVERYONE,
    "coordination": NATO | {"recipient"},
    "owner": NATO | {"recipient"},
    "owner+POL": NATO | {"recipient", "donor_pol"},
}


def _marking(label: str) -> dict[str, Any]:
    marking, _, to = label.partition("+")
    return {"releasability": marking, "releasable_to": [to] if to else []}


def _users(personas: dict[str, Any]) -> dict[str, Any]:
    return {**personas, "anonymous": AnonymousUser()}


@pytest.mark.parametrize("label", sorted(PLEDGE_AUDIENCE))
def test_pledge_visibility_by_marking(personas: dict[str, Any], api_client: Any, label: str) -> None:
    pledge = factories.pledge(personas, **_marking(label))
    for name, user in _users(personas).items():
        listed = pledge.pk in set(pledge_selectors.pledge_list(user=user).values_list("pk", flat=True))
        assert listed == (name in PLEDGE_AUDIENCE[label]), f"{label}: {name} listed={listed}"
        if name == "anonymous":
            continue  # the API wants a sign-in; anonymous visibility is the selector's (public page)
        response = api_client(user).get(f"/api/v1/pledges/{pledge.pk}")
        assert response.status_code == (200 if name in PLEDGE_AUDIENCE[label] else 404), (label, name)


@pytest.mark.parametrize("label", sorted(REQUIREMENT_AUDIENCE))
def test_requirement_visibility_by_marking(personas: dict[str, Any], api_client: Any, label: str) -> None:
    requirement = factories.requirement(personas, **_marking(label))
    for name, user in _users(personas).items():
        listed = requirement.pk in set(
            requirement_selectors.requirement_list(user=user).values_list("pk", flat=True)
        )
        assert listed == (name in REQUIREMENT_AUDIENCE[label]), f"{label}: {name} listed={listed}"
        if name == "anonymous":
            continue
        response = api_client(user).get(f"/api/v1/requirements/{requirement.pk}")
        assert response.status_code == (200 if name in REQUIREMENT_AUDIENCE[label] else 404), (label, name)


def test_anonymous_lists_hold_only_public_records(personas: dict[str, Any], api_client: Any) -> None:
    for marking in ("public", "contact_group", "coordination", "owner"):
        factories.pledge(personas, releasability=marking)
        factories.requirement(personas, releasability=marking)
    anonymous = AnonymousUser()
    assert set(pledge_selectors.pledge_list(user=anonymous).values_list("releasability", flat=True)) == {
        "public"
    }
    assert set(
        requirement_selectors.requirement_list(user=anonymous).values_list("releasability", flat=True)
    ) == {"public"}
    assert api_client(None).get("/api/v1/pledges").status_code == 401


def test_lists_count_each_visible_record_once(personas: dict[str, Any], api_client: Any) -> None:
    # Released to two participants: the join must not list it twice nor count it twice.
    factories.pledge(personas, releasability="owner", releasable_to=["DEU", "POL"])
    factories.pledge(personas, releasability="public")
    page = api_client(personas["donor_deu"]).get("/api/v1/pledges").json()
    assert page["count"] == len(page["items"]) == 2


def test_an_allocation_shows_to_those_who_see_both_ends_and_to_its_donor(
    personas: dict[str, Any], api_client: Any
) -> None:
    # The pledge is released to POL, the requirement is not: POL sees the pledge, not the allocation.
    a = factories.allocation(personas, releasability="owner", releasable_to=["POL"])
    from clearinghouse.requirements import services

    services.update_requirement(
        actor=personas["recipient"], requirement_id=a.requirement_id, changes={"releasability": "owner"}
    )
    pol = api_client(personas["donor_pol"])
    assert pol.get(f"/api/v1/pledges/{a.pledge_id}").status_code == 200
    assert pol.get(f"/api/v1/allocations/{a.pk}").status_code == 404
    assert pol.get("/api/v1/allocations").json()["count"] == 0
    assert api_client(personas["coordinator"]).get(f"/api/v1/allocations/{a.pk}").status_code == 200
    # The donor follows its own items, even to a requirement not released to it, and delivers them.
    usa = api_client(personas["donor_usa"])
    assert usa.get(f"/api/v1/allocations/{a.pk}").status_code == 200
    assert usa.get(f"/api/v1/requirements/{a.requirement_id}").status_code == 404
    delivered = usa.post(
        "/api/v1/deliveries",
        {"allocation": a.pk, "quantity": 1, "delivered_on": "2024-03-01"},
        content_type="application/json",
    )
    assert delivered.status_code == 201
    assert pol.get(f"/api/v1/deliveries/{delivered.json()['id']}").status_code == 404
