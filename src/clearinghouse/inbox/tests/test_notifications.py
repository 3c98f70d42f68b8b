"""Notifications: the donor told when its pledge is accepted, declined, allocated or delivered; the
recipient when something is allocated to it; in the app and/or by e-mail as each user chose; e-mail
only once the change commits; the API's shape and who may mark a notification read."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.db import transaction

from clearinghouse.inbox import selectors, services
from clearinghouse.inbox.models import Notification
from clearinghouse.participants.models import User
from clearinghouse.participants.services import create_user
from clearinghouse.pledges import services as pledge_services
from clearinghouse.pledges.tests import factories

pytestmark = pytest.mark.django_db


def kinds(user: Any) -> list[tuple[str, str]]:
    return [(n.kind, n.url) for n in selectors.notification_list(user=user).order_by("id")]


def test_the_donor_is_told_of_acceptance_allocation_and_delivery_the_recipient_of_allocation(
    personas: dict[str, Any],
) -> None:
    donor, cell, recipient = personas["donor_usa"], personas["coordinator"], personas["recipient"]
    p = factories.pledge(personas, quantity=50)
    assert kinds(donor) == []  # its own offer: nothing to tell
    pledge_services.transition_pledge(actor=cell, pledge_id=p.pk, to="accepted")
    assert kinds(donor) == [("pledge_accepted", f"/pledges/{p.pk}/")]
    r = factories.requirement(personas)
    a = pledge_services.allocate(actor=cell, pledge_id=p.pk, requirement_id=r.pk, quantity=50)
    assert kinds(donor)[-1] == ("pledge_allocated", f"/pledges/{p.pk}/")
    assert kinds(recipient) == [("allocated_to_you", f"/requirements/{r.pk}/")]
    assert "50 rounds allocated from pledge" in selectors.notification_list(user=recipient)[0].title
    pledge_services.transition_pledge(actor=donor, pledge_id=p.pk, to="committed")
    # The cell records the delivery of every unit: the pledge is delivered, and its donor is told.
    pledge_services.record_delivery(
        actor=cell, allocation_id=a.pk, quantity=50, delivered_on=dt.date(2024, 3, 1)
    )
    assert [k for k, _ in kinds(donor)] == ["pledge_accepted", "pledge_allocated", "pledge_delivered"]
    assert [k for k, _ in kinds(recipient)] == ["allocated_to_you"]
    assert kinds(personas["donor_deu"]) == [] and kinds(cell) == []


def test_the_donor_is_told_of_a_decline_with_its_reason(personas: dict[str, Any]) -> None:
    p = factories.pledge(personas)
    pledge_services.transition_pledge(
        actor=personas["coordinator"], pledge_id=p.pk, to="declined", reason="Duplicate of pledge 7"
    )
    [note] = selectors.notification_list(user=personas["donor_usa"])
    assert note.kind == "pledge_declined"
    assert note.title.endswith("declined: Duplicate of pledge 7")


def test_the_recipient_is_not_told_of_an_allocation_it_may_not_see(personas: dict[str, Any]) -> None:
    # A pledge marked for its owner only: the recipient does not see its allocation, nor hears of it.
    factories.allocation(personas, releasability="owner")
    assert kinds(personas["recipient"]) == []
    assert [k for k, _ in kinds(personas["donor_usa"])] == ["pledge_accepted", "pledge_allocated"]


def test_channels_follow_each_users_preferences(personas: dict[str, Any]) -> None:
    donor = personas["donor_usa"]
    create_user(actor=None, username="usa-2", participant="USA", role="donor_officer", password=None)
    second = User.objects.get(username="usa-2")
    User.objects.filter(pk__in=[donor.pk, second.pk]).update(email="officer@example.org")
    services.set_preferences(actor=donor, in_app=False, email=True)
    services.set_preferences(actor=second, in_app=True, email=False)
    mail.outbox.clear()
    p = factories.pledge(personas)
    with pytest.raises(RuntimeError), transaction.atomic():  # rolled back: no e-mail leaves
        pledge_services.transition_pledge(actor=personas["coordinator"], pledge_id=p.pk, to="accepted")
        raise RuntimeError
    assert mail.outbox == []
    with django_capture_on_commit():
        pledge_services.transition_pledge(actor=personas["coordinator"], pledge_id=p.pk, to="accepted")
    assert [m.to for m in mail.outbox] == [["officer@example.org"]]
    assert mail.outbox[0].subject == f"[Clearinghouse] Pledge {p.pk} (100 rounds of AMM-155-HE) accepted"
    assert f"/pledges/{p.pk}/" in mail.outbox[0].body
    assert kinds(donor) == []  # e-mail only
    assert kinds(second) == [("pledge_accepted", f"/pledges/{p.pk}/")]  # in the app only


def django_capture_on_commit() -> Any:
    """Run the on-commit callbacks of the test's (never committed) transaction when the block ends."""
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


def test_api_shapes_and_marking_read(personas: dict[str, Any], api_client: Any) -> None:
    p = factories.pledge(personas)
    pledge_services.transition_pledge(actor=personas["coordinator"], pledge_id=p.pk, to="accepted")
    donor = api_client(personas["donor_usa"])
    body = donor.get("/api/v1/notifications").json()
    assert body["count"] == 1
    note = body["items"][0]
    assert set(note) == {"id", "kind", "title", "url", "created", "read_at"}
    assert note["read_at"] is None and note["kind"] == "pledge_accepted"
    # Another user's notification is not found, whoever asks (admins too).
    for other in ("donor_deu", "admin", "coordinator"):
        assert api_client(personas[other]).post(f"/api/v1/notifications/{note['id']}/read").status_code == 404
    assert Notification.objects.get(pk=note["id"]).read_at is None
    read = donor.post(f"/api/v1/notifications/{note['id']}/read")
    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert donor.get("/api/v1/notifications?unread=true").json()["count"] == 0
    assert selectors.unread_count(user=personas["donor_usa"]) == 0

    waiting = factories.pledge(personas, "donor_deu")
    inbox = api_client(personas["coordinator"]).get("/api/v1/inbox")
    assert inbox.status_code == 200
    data = inbox.json()
    assert set(data) == {"items", "count"}
    assert data["count"] == len(data["items"]) == 1
    assert data["items"][0]["kind"] == "offer_to_decide"
    assert data["items"][0]["url"] == f"/pledges/{waiting.pk}/"
    for item in data["items"]:
        assert set(item) == {"kind", "title", "url", "since"}
        dt.datetime.fromisoformat(item["since"])
    assert api_client(None).get("/api/v1/inbox").status_code == 401


def test_pages_header_count_and_read_marks(personas: dict[str, Any], page_client: Any) -> None:
    p = factories.pledge(personas)
    pledge_services.transition_pledge(actor=personas["coordinator"], pledge_id=p.pk, to="accepted")
    donor = page_client(personas["donor_usa"])
    html = donor.get("/").content.decode()
    assert "Notifications (1)" in html
    assert 'id="work-queue"' in html
    listing = donor.get("/notifications/").content.decode()
    assert f"/pledges/{p.pk}/" in listing and "Mark read" in listing
    note = Notification.objects.get(user=personas["donor_usa"])
    assert page_client(personas["donor_deu"]).post(f"/notifications/{note.pk}/read/").status_code == 404
    assert donor.get(f"/notifications/{note.pk}/read/").status_code == 405
    assert donor.post(f"/notifications/{note.pk}/read/", {"follow": "1"})["Location"] == f"/pledges/{p.pk}/"
    assert "Notifications (0)" in donor.get("/notifications/").content.decode()
    saved = donor.post("/notifications/preferences/", {"email": "on"})
    assert saved.status_code == 302
    pref = services.preferences_of(personas["donor_usa"])
    assert (pref.in_app, pref.email) == (False, True)
    coordinator = page_client(personas["coordinator"]).get("/inbox/").content.decode()
    assert f'href="/pledges/{p.pk}/"' not in coordinator  # accepted: no longer an offer to decide
