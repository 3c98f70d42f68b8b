"""The command line: the same services, acting as the named account."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from clearinghouse.pledges.models import Pledge
from clearinghouse.pledges.tests import factories

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_a_pledge_from_offer_to_confirmed_delivery_on_the_command_line(personas: dict[str, Any]) -> None:
    p = factories.pledge(personas, quantity=10)
    r = factories.requirement(personas, quantity=10)
    assert "is accepted" in run("pledges", "transition", str(p.pk), "accepted", "--as", "coordinator")
    out = run("pledges", "allocate", str(p.pk), str(r.pk), "10", "--as", "coordinator")
    allocation_id = out.split()[1].rstrip(":")
    out = run("pledges", "deliver", allocation_id, "10", "--on", "2024-05-01", "--as", "donor_usa")
    delivery_id = out.split()[1].rstrip(":")
    assert "confirmed" in run("pledges", "confirm", delivery_id, "--as", "recipient")
    assert Pledge.objects.get(pk=p.pk).status == "delivered"
    listed = json.loads(
        run("pledges", "list", "--format", "json", "--status", "delivered", "--as", "analyst")
    )
    assert [i["id"] for i in listed["items"]] == [p.pk]
    reqs = json.loads(run("requirements", "list", "--format", "json", "--as", "recipient"))
    assert reqs["items"][0]["status"] == "delivered" and reqs["items"][0]["coverage_pct"] == 100.0


def test_the_command_line_is_held_to_the_accounts_permissions_and_view(personas: dict[str, Any]) -> None:
    p = factories.pledge(personas, releasability="owner")
    with pytest.raises(CommandError, match="You may not move a pledge to accepted"):
        run("pledges", "transition", str(p.pk), "accepted", "--as", "donor_usa")
    with pytest.raises(CommandError, match="Pledge not found"):
        run("pledges", "transition", str(p.pk), "withdrawn", "--as", "donor_deu")
    with pytest.raises(CommandError, match="cannot move pledge"):
        run("pledges", "transition", str(p.pk), "committed", "--as", "coordinator")
    assert json.loads(run("pledges", "list", "--format", "json", "--as", "donor_deu"))["count"] == 0
    listed = run("pledges", "list", "--as", "donor_usa")
    assert listed.rstrip().endswith("\n1 pledge") and "1 pledges" not in listed
