"""Accepting all of a run's proposals asks first and keeps the reason (issue 9, item 10)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from clearinghouse.clearing import services
from clearinghouse.core.models import AuditEvent
from clearinghouse.pledges.models import Allocation
from clearinghouse.pledges.tests.test_reasons import no_inline_script

pytestmark = pytest.mark.django_db


def test_accept_all_asks_first_then_keeps_the_reason(
    situation: dict[str, Any], personas: dict[str, Any], page_client: Any
) -> None:
    run = services.run_matching(actor=personas["coordinator"])
    n = run.proposals.count()
    coordinator = page_client(personas["coordinator"])
    page = coordinator.get(reverse("clearing-run", args=[run.pk])).content.decode()
    assert ">Accept all…</button>" in page
    url = reverse("clearing-run-accept", args=[run.pk])
    ask = coordinator.post(url, {"all": "1"})
    html = ask.content.decode()
    assert ask.status_code == 200 and f"Accept all {n} proposed allocations" in html
    assert 'name="all" value="1"' in html and "(optional)" in html
    no_inline_script(html)
    assert not Allocation.objects.exists()  # asking changed nothing
    done = coordinator.post(url, {"all": "1", "confirmed": "yes", "reason": "Agreed at the cell meeting"})
    assert done.status_code == 302
    assert Allocation.objects.filter(source=f"clearing:{run.pk}").count() == n
    event = AuditEvent.objects.filter(object_type="clearing.clearingrun", action="accept").get()
    assert event.after["stated_reason"] == "Agreed at the cell meeting" and event.after["proposals"] == "all"
    allocation = Allocation.objects.first()
    assert allocation is not None
    created = AuditEvent.objects.get(
        object_type="pledges.allocation", object_id=str(allocation.pk), action="create"
    )
    assert created.after is not None
    assert created.after["stated_reason"] == "Agreed at the cell meeting"
    page = coordinator.get(done["Location"]).content.decode()
    assert f"{n} proposals accepted as allocations." in page
    history = page.split('id="timeline"')[1]
    assert f"All proposals: {n} accepted, 0 refused" in history
    assert "Reason: “Agreed at the cell meeting”" in history
    requirement_page = coordinator.get(reverse("requirement-detail", args=[allocation.requirement_id]))
    assert "Reason: “Agreed at the cell meeting”" in requirement_page.content.decode()


def test_accept_one_says_one_proposal(
    situation: dict[str, Any], personas: dict[str, Any], page_client: Any
) -> None:
    run = services.run_matching(actor=personas["coordinator"])
    first = run.proposals.order_by("pk").first()
    assert first is not None
    response = page_client(personas["coordinator"]).post(
        reverse("clearing-run-accept", args=[run.pk]), {"proposal": first.pk}, follow=True
    )
    html = response.content.decode()
    assert "1 proposal accepted as allocation." in html and "1 proposals" not in html


def test_cli_accept_keeps_the_reason(
    situation: dict[str, Any], personas: dict[str, Any], capsys: Any
) -> None:
    run = services.run_matching(actor=personas["coordinator"])
    call_command("clearing", "accept", str(run.pk), "--reason", "weekly batch", "--as", "coordinator")
    assert "refused" in capsys.readouterr().out
    event = AuditEvent.objects.filter(object_type="clearing.clearingrun", action="accept").get()
    assert event.after["stated_reason"] == "weekly batch"
