"""The contact-group marking: only the contact group's members read it, through every door.

CHN takes part in no contact group meeting (`in_contact_group = false`): its users see public
records and what `releasable_to` names, never a `contact_group` record (issue 9, item 1).
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from clearinghouse.core import releasability
from clearinghouse.pledges.models import Pledge
from clearinghouse.pledges.tests import factories
from clearinghouse.reports import selectors as report_selectors

pytestmark = pytest.mark.django_db

MARKINGS = ("public", "contact_group", "coordination", "owner")


def test_the_membership_test_follows_the_participant(personas: dict[str, Any]) -> None:
    members = {name for name, user in personas.items() if releasability.in_contact_group(user)}
    assert members == set(personas) - {"nonmember"}
    assert not releasability.in_contact_group(AnonymousUser())
    # The coordinating body and the recipient are members whatever their flag says.
    for name in ("coordinator", "recipient"):
        user = personas[name]
        user.participant.in_contact_group = False
        assert releasability.in_contact_group(user)


def test_lists_and_single_objects_apply_one_rule(personas: dict[str, Any]) -> None:
    """`visibility_q` (lists) and `can_see` (one object) agree for every persona and marking."""
    records: list[Any] = []
    for marking, to in itertools.product(MARKINGS, ([], ["CHN"])):
        records.append(factories.pledge(personas, releasability=marking, releasable_to=to))
        records.append(factories.requirement(personas, releasability=marking, releasable_to=to))
    for name, user in {**personas, "anonymous": AnonymousUser()}.items():
        for record in records:
            model = type(record)
            listed = model.objects.filter(releasability.visibility_q(user), pk=record.pk).exists()
            assert releasability.can_see(user, record) == listed, (name, record.releasability)
            # The same answer from `releasable_to` already read with the list (prefetched).
            read = model.objects.prefetch_related("releasable_to").get(pk=record.pk)
            assert releasability.can_see(user, read) == listed, (name, record.releasability)


def test_both_rules_ask_the_one_membership_test(
    personas: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A later change of who is a member (the contact group's dated membership) needs one edit."""
    pledge = factories.pledge(personas, releasability="contact_group")
    nonmember = personas["nonmember"]
    assert not releasability.can_see(nonmember, pledge)
    monkeypatch.setattr(releasability, "in_contact_group", lambda user: True)
    assert releasability.can_see(nonmember, pledge)
    assert Pledge.objects.restrict(nonmember, "view").filter(pk=pledge.pk).exists()


def test_a_non_member_reads_no_contact_group_record_through_any_door(
    personas: dict[str, Any], api_client: Any, page_client: Any
) -> None:
    hidden_pledge = factories.pledge(personas, releasability="contact_group", external_ref="CG-SECRET-1")
    shown_pledge = factories.pledge(personas, releasability="public", external_ref="PUBLIC-1")
    released = factories.pledge(
        personas, releasability="contact_group", releasable_to=["CHN"], external_ref="CG-TO-CHN"
    )
    hidden_requirement = factories.requirement(
        personas, releasability="contact_group", external_ref="UKR-CG-REQ"
    )
    api = api_client(personas["nonmember"])
    assert api.get(f"/api/v1/pledges/{hidden_pledge.pk}").status_code == 404
    assert api.get(f"/api/v1/requirements/{hidden_requirement.pk}").status_code == 404
    assert api.get(f"/api/v1/pledges/{released.pk}").status_code == 200
    listed = {p["id"] for p in api.get("/api/v1/pledges").json()["items"]}
    assert listed == {shown_pledge.pk, released.pk}
    assert api.get("/api/v1/requirements").json()["count"] == 0
    exported = api.get("/api/v1/pledges/export?format=csv").content.decode()
    assert "PUBLIC-1" in exported and "CG-TO-CHN" in exported and "CG-SECRET-1" not in exported
    assert "UKR-CG-REQ" not in api.get("/api/v1/requirements/export?format=csv").content.decode()
    pages = page_client(personas["nonmember"])
    assert pages.get(f"/pledges/{hidden_pledge.pk}/").status_code == 404
    assert pages.get(f"/requirements/{hidden_requirement.pk}/").status_code == 404
    assert "CG-SECRET-1" not in pages.get("/pledges/").content.decode()
    assert "UKR-CG-REQ" not in pages.get("/requirements/").content.decode()
    # A member (another donor) still reads them.
    member = api_client(personas["outsider"])
    assert member.get(f"/api/v1/pledges/{hidden_pledge.pk}").status_code == 200
    assert member.get(f"/api/v1/requirements/{hidden_requirement.pk}").status_code == 200


def test_the_records_reports_of_a_non_member_leave_contact_group_pledges_out(
    personas: dict[str, Any],
) -> None:
    pledges = [
        factories.financial(personas, donor=donor, releasability="contact_group")
        for donor in ("donor_usa", "donor_deu", "donor_pol")
    ]
    assert len(pledges) == 3
    # Offered pledges count in the commitments of their year (2024) for a member; not at all for CHN.
    member = report_selectors.totals_report(user=personas["outsider"], source="records")
    nonmember = report_selectors.totals_report(user=personas["nonmember"], source="records")
    assert [r["period"] for r in member["rows"]] == ["2024"]
    assert nonmember["rows"] == []
