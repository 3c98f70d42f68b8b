"""Bodies with dated membership: the shipped data, GET /api/v1/bodies, and the contact-group marking."""

from __future__ import annotations

from typing import Any

import pytest

from clearinghouse.core import clock, releasability
from clearinghouse.governance import services
from clearinghouse.governance.models import Body, BodyMembership
from clearinghouse.pledges.tests import factories

pytestmark = pytest.mark.django_db


def test_shipped_bodies_and_the_api_contract(bodies: dict[str, Any], api_client: Any) -> None:
    r = api_client(bodies["analyst"]).get("/api/v1/bodies")
    assert r.status_code == 200
    data = r.json()
    by_code = {b["code"]: b for b in data["items"]}
    assert data["count"] == len(data["items"]) == 10
    assert set(data["items"][0]) >= {"code", "name", "kind", "procedure", "members", "leads"}
    assert by_code["nac"]["kind"] == "council" and by_code["nac"]["procedure"] == "consensus"
    assert len(by_code["nac"]["members"]) == 32 and "HUN" in by_code["nac"]["members"]
    assert "UKR" not in by_code["nac"]["members"]
    udcg = by_code["udcg"]
    assert udcg["kind"] == "contact_group"
    assert {"EU", "UKR", "JPN", "USA"} <= set(udcg["members"]) and "CHN" not in udcg["members"]
    coalitions = {c for c, b in by_code.items() if b["kind"] == "coalition"}
    assert len(coalitions) == 8
    assert set(by_code["coalition-drones"]["leads"]) == {"LVA", "GBR"}
    assert set(by_code["coalition-demining"]["leads"]) == {"LTU", "ISL"}
    assert set(by_code["coalition-maritime"]["leads"]) == {"GBR", "NOR"}
    assert all(m.source for m in BodyMembership.objects.all())
    # Loading twice changes nothing.
    assert services.load_bodies() == {"created": 0}


def test_contact_group_marking_follows_udcg_membership(bodies: dict[str, Any]) -> None:
    pledge = factories.pledge(bodies, releasability="contact_group")
    nonmember, outsider = bodies["nonmember"], bodies["outsider"]
    assert not releasability.in_contact_group(nonmember)
    assert releasability.in_contact_group(outsider)
    udcg = Body.objects.get(code="udcg")
    # CHN joins from today: the flag says otherwise, the membership decides.
    BodyMembership.objects.create(
        body=udcg, participant=nonmember.participant, start=clock.today(), source="test"
    )
    assert releasability.in_contact_group(nonmember) and releasability.can_see(nonmember, pledge)
    # JPN's membership ends today: it no longer reads contact-group records.
    BodyMembership.objects.filter(body=udcg, participant=outsider.participant).update(end=clock.today())
    assert not releasability.in_contact_group(outsider)
    assert not releasability.can_see(outsider, pledge)
    # The history stays.
    assert BodyMembership.objects.filter(body=udcg, participant=outsider.participant).exists()


def test_a_request_looks_a_membership_up_once_and_sees_its_own_changes(
    bodies: dict[str, Any], django_assert_num_queries: Any
) -> None:
    """Within one request (`membership_cache`) a participant's membership is one query, however many
    records the rule is applied to; a membership written inside the request is seen at once."""
    pledges = [factories.pledge(bodies, releasability="contact_group") for _ in range(3)]
    nonmember, outsider, cell = bodies["nonmember"], bodies["outsider"], bodies["coordinator"]
    with releasability.membership_cache():
        with django_assert_num_queries(1):
            assert all(releasability.can_see(outsider, p) for p in pledges)
            assert releasability.in_contact_group(outsider)
        assert not releasability.in_contact_group(nonmember)
        services.add_member(actor=cell, body="udcg", participant="CHN", start=clock.today(), source="test")
        assert releasability.in_contact_group(nonmember)
        assert all(releasability.can_see(nonmember, p) for p in pledges)
        services.end_membership(actor=cell, body="udcg", participant="JPN", end=clock.today())
        assert not releasability.in_contact_group(outsider)
        assert not any(releasability.can_see(outsider, p) for p in pledges)
    # Outside a request nothing is remembered.
    with django_assert_num_queries(2):
        assert not releasability.in_contact_group(outsider)
        assert not releasability.in_contact_group(outsider)
