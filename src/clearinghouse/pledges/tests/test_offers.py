"""Offers against needs: a pledge offered against a requirement, the recipient's accept/decline (one
or several at once), and the requirements a donor could serve."""

from __future__ import annotations

import json
from typing import Any

import pytest

from clearinghouse.core.errors import InvalidInput, PermissionDenied, RowErrors
from clearinghouse.core.models import AuditEvent
from clearinghouse.pledges import selectors, services
from clearinghouse.pledges.models import Pledge
from clearinghouse.pledges.tests import factories

pytestmark = pytest.mark.django_db


def _offer(personas: dict[str, Any], requirement: Any, donor: str = "donor_usa", **data: Any) -> Pledge:
    return factories.pledge(personas, donor=donor, offered_against=requirement.pk, **data)


def test_an_offer_is_linked_to_its_requirement_and_audited(personas: dict[str, Any]) -> None:
    r = factories.requirement(personas)
    p = _offer(personas, r)
    assert p.offered_against_id == r.pk
    event = AuditEvent.objects.filter(object_type="pledges.pledge", object_id=str(p.pk)).get()
    assert event.after["offered_against_id"] == r.pk


def test_an_offer_must_be_of_an_accepted_item_type(personas: dict[str, Any]) -> None:
    r = factories.requirement(personas)
    with pytest.raises(InvalidInput) as err:
        _offer(personas, r, item_type="AD-NASAMS", unit_value="1.00", quantity=1)
    assert err.value.field == "offered_against"
    assert "does not accept AD-NASAMS" in err.value.message


def test_an_offer_against_an_invisible_requirement_is_refused(personas: dict[str, Any]) -> None:
    hidden = factories.requirement(personas, releasability="owner")
    with pytest.raises(InvalidInput) as err:
        _offer(personas, hidden)
    assert err.value.field == "offered_against"
    assert not Pledge.objects.exists()


def test_an_owner_only_offer_is_released_to_the_recipient(personas: dict[str, Any]) -> None:
    r = factories.requirement(personas)
    p = _offer(personas, r, releasability="owner")
    assert {x.code for x in p.releasable_to.all()} == {"UKR"}
    assert selectors.offer_list(user=personas["recipient"]).filter(pk=p.pk).exists()
    assert not selectors.pledge_list(user=personas["donor_deu"]).filter(pk=p.pk).exists()


def test_the_recipient_accepts_and_declines_offers_against_its_requirements(personas: dict[str, Any]) -> None:
    r = factories.requirement(personas)
    one, two = _offer(personas, r), _offer(personas, r)
    free = factories.pledge(personas)  # not offered against anything: the cell's decision
    recipient = personas["recipient"]
    services.transition_pledge(actor=recipient, pledge_id=one.pk, to="accepted")
    with pytest.raises(InvalidInput):  # declining needs a reason
        services.transition_pledge(actor=recipient, pledge_id=two.pk, to="declined")
    services.transition_pledge(actor=recipient, pledge_id=two.pk, to="declined", reason="wrong lot")
    with pytest.raises(PermissionDenied):
        services.transition_pledge(actor=recipient, pledge_id=free.pk, to="accepted")
    seen_by_all = _offer(personas, r, releasability="contact_group")
    with pytest.raises(PermissionDenied):  # another donor sees the offer but is not the recipient
        services.transition_pledge(actor=personas["donor_deu"], pledge_id=seen_by_all.pk, to="accepted")
    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.status, two.status) == ("accepted", "declined")
    event = AuditEvent.objects.filter(object_id=str(two.pk), action="transition").get()
    assert event.after["status"] == "declined" and "wrong lot" in json.dumps(event.after)


def test_accepting_several_is_all_or_nothing(personas: dict[str, Any]) -> None:
    r = factories.requirement(personas)
    good = _offer(personas, r)
    free = factories.pledge(personas)
    recipient = personas["recipient"]
    with pytest.raises(RowErrors) as err:
        services.accept_pledges(actor=recipient, pledge_ids=[good.pk, free.pk, 999999])
    assert [i for i, _ in err.value.errors] == [1, 2]
    good.refresh_from_db()
    assert good.status == "offered"  # nothing accepted
    second = _offer(personas, r)
    done = services.accept_pledges(actor=recipient, pledge_ids=[good.pk, str(second.pk)])
    assert sorted(p.pk for p in done) == sorted([good.pk, second.pk])
    assert set(Pledge.objects.filter(pk__in=[good.pk, second.pk]).values_list("status", flat=True)) == {
        "accepted"
    }


def test_servable_requirements_rank_by_priority_then_shortfall(personas: dict[str, Any]) -> None:
    factories.pledge(personas)  # USA has pledged 155mm rounds before
    low = factories.requirement(personas, priority="low", quantity=5000)
    high_small = factories.requirement(personas, priority="high", quantity=100)
    high_big = factories.requirement(personas, priority="high", quantity=2000)
    critical = factories.requirement(personas, priority="critical", quantity=10)
    factories.requirement(personas, item_types=["AD-NASAMS"], capability="air-defence", priority="critical")
    usa = personas["donor_usa"]
    rows = selectors.servable_requirements(user=usa, donor=usa.participant_id)
    assert [s.requirement.pk for s in rows] == [critical.pk, high_big.pk, high_small.pk, low.pk]
    assert rows[1].suggested_item == "AMM-155-HE" and rows[1].suggested_quantity == 2000
    # A donor that never pledged anything could serve nothing (its catalog is empty).
    pol = personas["donor_pol"]
    assert selectors.servable_requirements(user=pol, donor=pol.participant_id) == []


def test_api_offer_list_accept_and_servable(personas: dict[str, Any], api_client: Any) -> None:
    r = factories.requirement(personas)
    donor = api_client(personas["donor_usa"])
    body = {
        "donor": "USA",
        "kind": "in_kind",
        "item_type": "AMM-155-HE",
        "quantity": 10,
        "unit_value": "3000.00",
        "currency": "EUR",
        "available_from": "2024-01-02",
        "offered_against": r.pk,
    }
    created = donor.post("/api/v1/pledges", json.dumps(body), content_type="application/json")
    assert created.status_code == 201, created.content
    pid = created.json()["id"]
    assert created.json()["offered_against"] == r.pk
    bad = donor.post(
        "/api/v1/pledges", json.dumps({**body, "offered_against": 999999}), content_type="application/json"
    )
    assert bad.status_code == 422 and bad.json()["field"] == "offered_against"
    assert [p["id"] for p in donor.get(f"/api/v1/pledges?offered_against={r.pk}").json()["items"]] == [pid]

    recipient = api_client(personas["recipient"])
    assert [p["id"] for p in recipient.get("/api/v1/pledges/offers").json()["items"]] == [pid]
    assert donor.get("/api/v1/pledges/offers").json()["items"] == []
    refused = recipient.post(
        "/api/v1/pledges/accept", json.dumps({"pledges": [pid, 999999]}), content_type="application/json"
    )
    assert refused.status_code == 422
    assert [(e["index"], e["pledge"], e["status"]) for e in refused.json()["errors"]] == [(1, 999999, 404)]
    assert Pledge.objects.get(pk=pid).status == "offered"
    ok = recipient.post(
        "/api/v1/pledges/accept", json.dumps({"pledges": [pid]}), content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json() == {"accepted": [pid]}

    factories.requirement(personas, priority="critical")
    servable = donor.get("/api/v1/pledges/servable-requirements").json()
    assert servable[0]["priority"] == "critical" and servable[0]["suggested_item"] == "AMM-155-HE"
    assert servable[0]["shortfall"] == "1000"
    assert recipient.get("/api/v1/pledges/servable-requirements").status_code == 403
    cell = api_client(personas["coordinator"])
    assert cell.get("/api/v1/pledges/servable-requirements").status_code == 422
    assert len(cell.get("/api/v1/pledges/servable-requirements?donor=USA").json()) == len(servable)


def test_pages_offer_from_a_requirement_and_accept_several(
    personas: dict[str, Any], page_client: Any
) -> None:
    r = factories.requirement(personas, quantity=700)
    donor = page_client(personas["donor_usa"])
    page = donor.get(f"/requirements/{r.pk}/").content.decode()
    assert f'href="/pledges/new/?offered_against={r.pk}"' in page
    form = donor.get(f"/pledges/new/?offered_against={r.pk}").content.decode()
    assert f"Offer against requirement #{r.pk}" in form
    assert 'name="quantity" value="700"' in form and 'value="AMM-155-HE" selected' in form
    assert f'name="offered_against" value="{r.pk}"' in form
    posted = donor.post(
        "/pledges/new/",
        {
            "kind": "in_kind",
            "item_type": "AMM-155-HE",
            "quantity": "700",
            "currency": "EUR",
            "unit_value": "3000",
            "available_from": "2024-01-02",
            "releasability": "coordination",
            "offered_against": str(r.pk),
        },
    )
    assert posted.status_code == 302, posted.content.decode()[:2000]
    first = Pledge.objects.get(offered_against=r)
    second = _offer(personas, r)
    # The recipient's page never offers; it lists the offers to decide.
    recipient = page_client(personas["recipient"])
    assert "offer-against" not in recipient.get(f"/requirements/{r.pk}/").content.decode()
    listing = recipient.get("/pledges/offers/").content.decode()
    assert f'value="{first.pk}"' in listing and f'value="{second.pk}"' in listing
    done = recipient.post("/pledges/offers/accept/", {"pledge": [first.pk, second.pk]}, follow=True)
    assert "Accepted 2" in done.content.decode()
    assert set(Pledge.objects.values_list("status", flat=True)) == {"accepted"}
    # Donor's "could serve" page links to the prefilled form.
    factories.requirement(personas, priority="critical")
    serve = donor.get("/pledges/servable/").content.decode()
    assert "?offered_against=" in serve
    assert recipient.get("/pledges/servable/").status_code == 403


def test_command_line_offers_accept_and_servable(personas: dict[str, Any]) -> None:
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    def run(*args: str) -> str:
        out = StringIO()
        call_command(*args, stdout=out)
        return out.getvalue()

    r = factories.requirement(personas)
    one, two = _offer(personas, r), _offer(personas, r)
    listed = json.loads(run("pledges", "offers", "--format", "json", "--as", "recipient"))
    assert [i["id"] for i in listed["items"]] == [one.pk, two.pk]
    assert listed["items"][0]["offered_against"] == r.pk
    with pytest.raises(CommandError, match="nothing accepted; pledge 999999"):
        run("pledges", "accept", str(one.pk), "999999", "--as", "recipient")
    assert Pledge.objects.get(pk=one.pk).status == "offered"
    assert f"accepted {one.pk}, {two.pk}" in run(
        "pledges", "accept", str(one.pk), str(two.pk), "--as", "recipient"
    )
    served = json.loads(run("pledges", "servable", "--format", "json", "--as", "donor_usa"))
    assert served["items"][0]["requirement"] == r.pk and served["items"][0]["suggested_quantity"] == 1000
