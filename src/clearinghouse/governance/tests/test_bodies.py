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


def test_shipped_rosters_count_about_fifty_in_the_contact_group_and_date_the_coalitions(
    bodies: dict[str, Any],
) -> None:
    import datetime as dt

    udcg = Body.objects.get(code="udcg")
    members = {m.participant.code for m in udcg.members_on()}
    # The 32 allies, the partners that take part (Kenya, Tunisia, ... from the first meeting), the
    # EU, the recipient and the coordinating body: about fifty.
    assert len(members) == 49 and {"KEN", "TUN", "JOR", "LBR", "MAR", "EU", "UKR"} <= members
    assert "CHN" not in members
    drones = Body.objects.get(code="coalition-drones")
    at_launch = {m.participant.code for m in drones.members_on(dt.date(2024, 3, 1))}
    assert at_launch == {"LVA", "GBR", "UKR", "SWE", "DNK", "DEU", "LTU", "EST", "NLD"}
    assert len({m.participant.code for m in drones.members_on()}) == 20  # as of June 2025
    it = {m.participant.code for m in Body.objects.get(code="coalition-it").members_on(dt.date(2023, 10, 1))}
    assert it == {"EST", "LUX", "UKR", "BEL", "DNK", "LTU", "LVA"}
    demining = Body.objects.get(code="coalition-demining").members_on()
    assert len(demining) == 22 and {m.participant.code for m in demining if m.role == "lead"} == {
        "LTU",
        "ISL",
    }
    for membership in BodyMembership.objects.filter(body__kind="coalition"):
        assert membership.source and ("20" in membership.source), membership  # a page and its date


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
