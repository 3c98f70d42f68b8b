"""Irreversible actions ask first and keep a reason (issue 9, item 10): decline, withdraw, cancel a
requirement, change or release an allocation, through the API, the CLI and the pages."""

from __future__ import annotations

import re
from typing import Any, cast

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from clearinghouse.core.audit import verify
from clearinghouse.core.models import AuditEvent
from clearinghouse.pledges import services
from clearinghouse.pledges.models import Allocation, Pledge
from clearinghouse.pledges.tests import factories
from clearinghouse.requirements.models import Requirement

pytestmark = pytest.mark.django_db


def last_event(object_type: str, object_id: Any) -> AuditEvent:
    return cast(
        "AuditEvent",
        AuditEvent.objects.filter(object_type=object_type, object_id=str(object_id)).latest("sequence"),
    )


def no_inline_script(html: str) -> None:
    """The pages stay compatible with a Content-Security-Policy without 'unsafe-inline'."""
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)", html), "inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", html), "on* event handler attribute"


# --- API ---------------------------------------------------------------------------------------------


def test_api_decline_needs_a_reason_and_keeps_it(personas: dict[str, Any], api_client: Any) -> None:
    pledge = factories.pledge(personas)
    client = api_client(personas["coordinator"])
    url = f"/api/v1/pledges/{pledge.pk}/transition"
    missing = client.post(url, {"to": "declined"}, content_type="application/json")
    assert missing.status_code == 422 and missing.json()["field"] == "reason"
    assert "required to decline a pledge" in missing.json()["detail"]
    blank = client.post(url, {"to": "declined", "reason": "   "}, content_type="application/json")
    assert blank.status_code == 422 and blank.json()["field"] == "reason"
    assert Pledge.objects.get(pk=pledge.pk).status == "offered"
    done = client.post(
        url, {"to": "declined", "reason": "Duplicate of pledge 12"}, content_type="application/json"
    )
    assert done.status_code == 200 and done.json()["status"] == "declined"
    event = last_event("pledges.pledge", pledge.pk)
    assert event.action == "transition"
    assert event.after == {
        "status": "declined",
        "reason": "requested",
        "stated_reason": "Duplicate of pledge 12",
    }
    assert verify().ok


def test_api_withdraw_needs_a_reason_and_the_released_allocations_carry_it(
    personas: dict[str, Any], api_client: Any
) -> None:
    allocation = factories.allocation(personas)
    url = f"/api/v1/pledges/{allocation.pledge_id}/transition"
    client = api_client(personas["donor_usa"])
    assert client.post(url, {"to": "withdrawn"}, content_type="application/json").status_code == 422
    assert Allocation.objects.filter(pk=allocation.pk).exists()
    done = client.post(
        url, {"to": "withdrawn", "reason": "stocks needed at home"}, content_type="application/json"
    )
    assert done.status_code == 200
    assert not Allocation.objects.filter(pk=allocation.pk).exists()
    released = last_event("pledges.allocation", allocation.pk)
    assert released.action == "delete" and released.after == {"stated_reason": "stocks needed at home"}


def test_api_accept_and_commit_take_an_optional_reason(personas: dict[str, Any], api_client: Any) -> None:
    pledge = factories.pledge(personas)
    client = api_client(personas["coordinator"])
    url = f"/api/v1/pledges/{pledge.pk}/transition"
    assert client.post(url, {"to": "accepted"}, content_type="application/json").status_code == 200
    assert "stated_reason" not in (last_event("pledges.pledge", pledge.pk).after or {})


def test_api_cancel_needs_a_reason(personas: dict[str, Any], api_client: Any) -> None:
    requirement = factories.requirement(personas)
    client = api_client(personas["recipient"])
    url = f"/api/v1/requirements/{requirement.pk}/cancel"
    empty = client.post(url, {}, content_type="application/json")
    assert empty.status_code == 422 and empty.json()["field"].endswith("reason")
    blank = client.post(url, {"reason": ""}, content_type="application/json")
    assert blank.status_code == 422 and blank.json()["field"] == "reason"
    assert "required to cancel a requirement" in blank.json()["detail"]
    assert not Requirement.objects.get(pk=requirement.pk).cancelled
    done = client.post(url, {"reason": "bought nationally"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "cancelled"
    assert (last_event("requirements.requirement", requirement.pk).after or {})[
        "stated_reason"
    ] == "bought nationally"


def test_api_change_and_release_of_an_allocation_keep_an_optional_reason(
    personas: dict[str, Any], api_client: Any
) -> None:
    allocation = factories.allocation(personas)
    client = api_client(personas["coordinator"])
    changed = client.patch(
        f"/api/v1/allocations/{allocation.pk}",
        {"quantity": 30, "reason": "the rest goes to a more urgent need"},
        content_type="application/json",
    )
    assert changed.status_code == 200 and changed.json()["quantity"] == 30
    assert (last_event("pledges.allocation", allocation.pk).after or {})["stated_reason"] == (
        "the rest goes to a more urgent need"
    )
    released = client.post(
        f"/api/v1/allocations/{allocation.pk}/release",
        {"reason": "need met"},
        content_type="application/json",
    )
    assert released.status_code == 204
    assert last_event("pledges.allocation", allocation.pk).after == {"stated_reason": "need met"}


# --- CLI ---------------------------------------------------------------------------------------------


def test_cli_decline_and_cancel_need_a_reason(personas: dict[str, Any], capsys: Any) -> None:
    pledge = factories.pledge(personas)
    with pytest.raises(CommandError) as info:
        call_command("pledges", "transition", str(pledge.pk), "declined", "--as", "coordinator")
    assert "\n" not in str(info.value) and "reason: required to decline a pledge" in str(info.value)
    call_command(
        "pledges", "transition", str(pledge.pk), "declined", "--reason", "not needed", "--as", "coordinator"
    )
    assert f"pledge {pledge.pk} is declined" in capsys.readouterr().out
    assert (last_event("pledges.pledge", pledge.pk).after or {})["stated_reason"] == "not needed"
    requirement = factories.requirement(personas)
    with pytest.raises(CommandError, match="--reason"):
        call_command("requirements", "cancel", str(requirement.pk), "--as", "recipient")
    with pytest.raises(CommandError, match="reason: required"):
        call_command("requirements", "cancel", str(requirement.pk), "--reason", " ", "--as", "recipient")
    call_command("requirements", "cancel", str(requirement.pk), "--reason", "met", "--as", "recipient")
    assert Requirement.objects.get(pk=requirement.pk).cancelled


# --- pages -------------------------------------------------------------------------------------------


def test_decline_asks_first_and_needs_a_reason(personas: dict[str, Any], page_client: Any) -> None:
    pledge = factories.pledge(personas)
    coordinator = page_client(personas["coordinator"])
    detail = coordinator.get(reverse("pledge-detail", args=[pledge.pk])).content.decode()
    assert ">Decline…</button>" in detail
    url = reverse("pledge-transition", args=[pledge.pk])
    ask = coordinator.post(url, {"to": "declined"})
    assert ask.status_code == 200
    html = ask.content.decode()
    assert 'id="confirm-form"' in html and f"Decline pledge P{pledge.pk} of USA" in html
    assert '<textarea name="reason"' in html and "required" in html
    assert 'name="csrfmiddlewaretoken"' in html and 'name="confirmed" value="yes"' in html
    no_inline_script(html)
    assert Pledge.objects.get(pk=pledge.pk).status == "offered"  # asking changed nothing
    refused = coordinator.post(url, {"to": "declined", "confirmed": "yes", "reason": ""})
    assert refused.status_code == 200 and 'id="err-reason"' in refused.content.decode()
    too_long = "x" * 2001
    kept = coordinator.post(url, {"to": "declined", "confirmed": "yes", "reason": too_long}).content.decode()
    assert "at most 2000 characters" in kept and f">{too_long}</textarea>" in kept
    assert Pledge.objects.get(pk=pledge.pk).status == "offered"
    done = coordinator.post(url, {"to": "declined", "confirmed": "yes", "reason": "Out of scope of the cell"})
    assert done.status_code == 302
    assert Pledge.objects.get(pk=pledge.pk).status == "declined"
    page = coordinator.get(done["Location"]).content.decode()
    timeline = page.split('id="timeline"')[1]
    assert "offered → declined" in timeline and "Reason: “Out of scope of the cell”" in timeline
    no_inline_script(page)


def test_withdraw_tells_what_it_releases(personas: dict[str, Any], page_client: Any) -> None:
    allocation = factories.allocation(personas)
    donor = page_client(personas["donor_usa"])
    url = reverse("pledge-transition", args=[allocation.pledge_id])
    html = donor.post(url, {"to": "withdrawn"}).content.decode()
    assert (
        f"50 allocated units not yet delivered are released from requirement R{allocation.requirement_id}"
        in (html)
    )
    assert page_client(personas["coordinator"]).post(url, {"to": "withdrawn"}).status_code == 403
    done = donor.post(url, {"to": "withdrawn", "confirmed": "yes", "reason": "needed at home"})
    assert done.status_code == 302 and Pledge.objects.get(pk=allocation.pledge_id).status == "withdrawn"


def test_cancel_requirement_asks_and_shows_the_reason(personas: dict[str, Any], page_client: Any) -> None:
    requirement = factories.requirement(personas)
    recipient = page_client(personas["recipient"])
    url = reverse("requirement-cancel", args=[requirement.pk])
    html = recipient.post(url).content.decode()
    assert f"Cancel requirement R{requirement.pk}" in html and "cannot be reopened" in html
    no_inline_script(html)
    assert not Requirement.objects.get(pk=requirement.pk).cancelled
    assert 'id="err-reason"' in recipient.post(url, {"confirmed": "yes"}).content.decode()
    done = recipient.post(url, {"confirmed": "yes", "reason": "Met by a national purchase"})
    assert done.status_code == 302 and Requirement.objects.get(pk=requirement.pk).cancelled
    timeline = recipient.get(done["Location"]).content.decode().split('id="timeline"')[1]
    assert "Cancelled" in timeline and "Reason: “Met by a national purchase”" in timeline


def test_allocation_change_and_release_from_the_pages(personas: dict[str, Any], page_client: Any) -> None:
    allocation = factories.allocation(personas)
    services.record_delivery(
        actor=personas["donor_usa"], allocation_id=allocation.pk, quantity=10, delivered_on="2024-03-01"
    )
    coordinator = page_client(personas["coordinator"])
    pledge_url = reverse("pledge-detail", args=[allocation.pledge_id])
    page = coordinator.get(pledge_url).content.decode()
    assert reverse("allocation-change", args=[allocation.pk]) in page
    assert reverse("allocation-release", args=[allocation.pk]) in page
    requirement_page = coordinator.get(reverse("requirement-detail", args=[allocation.requirement_id]))
    assert reverse("allocation-release", args=[allocation.pk]) in requirement_page.content.decode()
    donor_page = page_client(personas["donor_usa"]).get(pledge_url).content.decode()
    assert reverse("allocation-release", args=[allocation.pk]) not in donor_page

    change = reverse("allocation-change", args=[allocation.pk])
    ask = coordinator.post(change, {"quantity": "30", "next": pledge_url})
    html = ask.content.decode()
    assert ask.status_code == 200 and 'name="quantity" value="30"' in html and 'min="10"' in html
    no_inline_script(html)
    assert Allocation.objects.get(pk=allocation.pk).quantity == 50
    below = coordinator.post(change, {"quantity": "5", "confirmed": "yes", "next": pledge_url})
    html = below.content.decode()
    assert 'id="err-quantity"' in html and "10 were delivered already" in html and 'value="5"' in html
    done = coordinator.post(
        change, {"quantity": "30", "confirmed": "yes", "reason": "half goes elsewhere", "next": pledge_url}
    )
    assert done.status_code == 302 and done["Location"] == pledge_url
    assert Allocation.objects.get(pk=allocation.pk).quantity == 30

    release = reverse("allocation-release", args=[allocation.pk])
    html = coordinator.post(release, {"next": pledge_url}).content.decode()
    assert "Release the 20 undelivered units" in html and "The 10 delivered units stay allocated." in html
    done = coordinator.post(release, {"confirmed": "yes", "reason": "need met", "next": pledge_url})
    assert done.status_code == 302
    assert Allocation.objects.get(pk=allocation.pk).quantity == 10
    timeline = coordinator.get(pledge_url).content.decode().split('id="timeline"')[1]
    assert "Reason: “half goes elsewhere”" in timeline and "Reason: “need met”" in timeline


def test_allocation_actions_are_for_the_cell(personas: dict[str, Any], page_client: Any) -> None:
    allocation = factories.allocation(personas)
    for name in ("allocation-change", "allocation-release"):
        url = reverse(name, args=[allocation.pk])
        assert page_client(personas["donor_usa"]).post(url, {"quantity": "1"}).status_code == 403
        assert page_client(personas["coordinator"]).get(url).status_code == 405
        assert page_client(personas["coordinator"]).post(reverse(name, args=[99999])).status_code == 404
    assert Allocation.objects.get(pk=allocation.pk).quantity == 50
