"""A delivery cannot predate its pledge nor lie in the future, at every door (issue 9, item 11)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from clearinghouse.core import clock
from clearinghouse.core.errors import InvalidInput
from clearinghouse.pledges import services
from clearinghouse.pledges.models import Delivery
from clearinghouse.pledges.tests import factories

pytestmark = pytest.mark.django_db

AVAILABLE = dt.date(2024, 3, 1)


def _allocation(personas: dict[str, Any]) -> Any:
    return factories.allocation(personas, available_from=AVAILABLE.isoformat())


def _deliver(personas: dict[str, Any], allocation: Any, day: Any) -> Delivery:
    return services.record_delivery(
        actor=personas["donor_usa"], allocation_id=allocation.pk, quantity=5, delivered_on=day
    )


def test_service_refuses_a_delivery_before_the_pledge_is_available(personas: dict[str, Any]) -> None:
    allocation = _allocation(personas)
    with pytest.raises(InvalidInput) as info:
        _deliver(personas, allocation, AVAILABLE - dt.timedelta(days=1))
    assert info.value.field == "delivered_on"
    assert info.value.message == (
        f"delivered_on: 2024-02-29 is before pledge {allocation.pledge_id} is available (from 2024-03-01); "
        "a delivery cannot predate its pledge"
    )
    assert not Delivery.objects.exists()
    assert _deliver(personas, allocation, AVAILABLE).delivered_on == AVAILABLE  # the day itself is fine


def test_service_refuses_a_delivery_after_today(personas: dict[str, Any]) -> None:
    allocation = _allocation(personas)
    today = clock.today()
    with pytest.raises(InvalidInput) as info:
        _deliver(personas, allocation, today + dt.timedelta(days=1))
    assert info.value.field == "delivered_on" and "is in the future" in info.value.message
    assert _deliver(personas, allocation, today).delivered_on == today


def test_api_create_and_correct_refuse_bad_dates(personas: dict[str, Any], api_client: Any) -> None:
    allocation = _allocation(personas)
    client = api_client(personas["donor_usa"])
    early = client.post(
        "/api/v1/deliveries",
        {"allocation": allocation.pk, "quantity": 5, "delivered_on": "2024-01-15"},
        content_type="application/json",
    )
    assert early.status_code == 422 and early.json()["field"] == "delivered_on"
    assert "cannot predate its pledge" in early.json()["detail"]
    made = client.post(
        "/api/v1/deliveries",
        {"allocation": allocation.pk, "quantity": 5, "delivered_on": "2024-03-10"},
        content_type="application/json",
    )
    assert made.status_code == 201
    moved = client.patch(
        f"/api/v1/deliveries/{made.json()['id']}",
        {"delivered_on": "2024-02-01"},
        content_type="application/json",
    )
    assert moved.status_code == 422 and "cannot predate its pledge" in moved.json()["detail"]
    future = (clock.today() + dt.timedelta(days=3)).isoformat()
    later = client.patch(
        f"/api/v1/deliveries/{made.json()['id']}", {"delivered_on": future}, content_type="application/json"
    )
    assert later.status_code == 422 and "is in the future" in later.json()["detail"]
    assert Delivery.objects.get().delivered_on == dt.date(2024, 3, 10)


def test_pledge_cannot_become_available_after_its_first_delivery(personas: dict[str, Any]) -> None:
    allocation = _allocation(personas)
    _deliver(personas, allocation, dt.date(2024, 3, 5))
    with pytest.raises(InvalidInput) as info:
        services.update_pledge(
            actor=personas["donor_usa"],
            pledge_id=allocation.pledge_id,
            changes={"available_from": "2024-04-01"},
        )
    assert info.value.field == "available_from" and "after delivery" in info.value.message


def test_cli_refuses_in_one_line(personas: dict[str, Any]) -> None:
    allocation = _allocation(personas)
    with pytest.raises(CommandError) as info:
        call_command("pledges", "deliver", str(allocation.pk), "5", "--on", "2023-12-31", "--as", "donor_usa")
    assert "\n" not in str(info.value) and "cannot predate its pledge" in str(info.value)
    assert not Delivery.objects.exists()


def test_page_keeps_what_was_typed_and_shows_the_error_beside_the_date(
    personas: dict[str, Any], page_client: Any
) -> None:
    allocation = _allocation(personas)
    response = page_client(personas["donor_usa"]).post(
        reverse("delivery-record", args=[allocation.pledge_id]),
        {"allocation": allocation.pk, "quantity": "7", "delivered_on": "2024-02-10", "notes": "by rail"},
    )
    assert response.status_code == 200 and not Delivery.objects.exists()
    html = response.content.decode()
    error = html.split('id="err-delivered_on"')[1].split("</ul>")[0]
    assert "2024-02-10 is before pledge" in error and "cannot predate its pledge" in error
    assert 'name="delivered_on" value="2024-02-10"' in html
    assert 'name="quantity" min="1" value="7"' in html and 'name="notes" value="by rail"' in html
    assert 'min="2024-03-01"' in html  # the browser's date picker starts at the pledge's date
