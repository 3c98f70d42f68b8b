"""Hypothetical offers and the other scenario values are checked at every door (issue 9, item 8)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from clearinghouse.clearing import services
from clearinghouse.clearing.models import ClearingRun
from clearinghouse.clearing.scenario_input import Horizon

pytestmark = pytest.mark.django_db


def _horizon() -> Horizon:
    built = services.build_problem()
    return Horizon(origin=built.origin, periods=built.problem["periods"])


def _offer(**changes: Any) -> dict[str, Any]:
    offer = {
        "donor": "FRA",
        "item_type": "WIN-CLOTHING",
        "quantity": 300,
        "available_from": _horizon().origin.isoformat(),
    }
    return {**offer, **changes}


def bad_offers() -> list[tuple[dict[str, Any], str, str]]:
    """(changes to a good offer, the field named, words of the message)."""
    return [
        ({"donor": "XXX"}, "add_offers.0.donor", "unknown participant 'XXX'"),
        ({"donor": "UKR"}, "add_offers.0.donor", "UKR is not a donor"),
        ({"item_type": "NOPE-XYZ"}, "add_offers.0.item_type", "unknown item type 'NOPE-XYZ'"),
        ({"quantity": 0}, "add_offers.0.quantity", "must be a positive whole number, got 0"),
        ({"quantity": -5}, "add_offers.0.quantity", "must be a positive whole number, got -5"),
    ]


@pytest.mark.parametrize(("changes", "field", "words"), bad_offers())
def test_api_refuses_a_bad_hypothetical_offer_naming_the_field(
    situation: dict[str, Any], personas: dict[str, Any], api_client, changes, field, words
) -> None:
    response = api_client(personas["coordinator"]).post(
        "/api/v1/clearing/scenarios",
        {"name": "what if", "add_offers": [_offer(**changes)]},
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["field"] == field and words in body["detail"]
    assert not ClearingRun.objects.exists()


def test_api_refuses_dates_outside_the_horizon(
    situation: dict[str, Any], personas: dict[str, Any], api_client
) -> None:
    horizon = _horizon()
    client = api_client(personas["coordinator"])
    for day in (horizon.origin - dt.timedelta(days=1), horizon.last_day + dt.timedelta(days=1)):
        response = client.post(
            "/api/v1/clearing/scenarios",
            {"add_offers": [_offer(available_from=day.isoformat())]},
            content_type="application/json",
        )
        assert response.status_code == 422, response.content
        body = response.json()
        assert body["field"] == "add_offers.0.available_from"
        assert f"{day} is outside the planning horizon" in body["detail"]
        assert f"({horizon.origin} to {horizon.last_day}" in body["detail"]
    # The last day of the horizon itself is inside it.
    ok = client.post(
        "/api/v1/clearing/scenarios",
        {"add_offers": [_offer(available_from=horizon.last_day.isoformat())]},
        content_type="application/json",
    )
    assert ok.status_code == 201, ok.content
    assert ok.json()["scenario"]["add_offers"][0]["available_from"] == horizon.last_day.isoformat()


def test_api_refuses_unknown_fields_and_bad_donor_values(
    situation: dict[str, Any], personas: dict[str, Any], api_client
) -> None:
    client = api_client(personas["coordinator"])
    cases = [
        ({"add_offers": [{**_offer(), "colour": "red"}]}, "colour"),
        ({"delay_donors": {"XXX": 2}}, "delay_donors.XXX"),
        ({"scale_donors": {"DEU": -1}}, "scale_donors.DEU"),
        ({"exclude_donors": ["NATO"]}, "exclude_donors.0"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/clearing/scenarios", body, content_type="application/json")
        assert response.status_code == 422, (body, response.content)
        assert field in response.json()["field"], (body, response.json())
    assert not ClearingRun.objects.exists()


def test_a_good_hypothetical_offer_changes_the_result(
    situation: dict[str, Any], personas: dict[str, Any]
) -> None:
    run = services.run_scenario(actor=personas["coordinator"], scenario={"add_offers": [_offer()]})
    assert run.objective > run.parameters["baseline_objective"]
    assert run.scenario == {"add_offers": [_offer()]}


def test_cli_refuses_a_bad_hypothetical_offer_in_one_line(situation: dict[str, Any], tmp_path: Path) -> None:
    scenario = tmp_path / "s.json"
    scenario.write_text(json.dumps({"add_offers": [_offer(donor="XXX", item_type="NOPE-XYZ")]}))
    with pytest.raises(CommandError) as info:
        call_command("match", "--scenario", str(scenario), "--as", "coordinator")
    message = str(info.value)
    assert "\n" not in message and message == "add_offers.0.donor: unknown participant 'XXX'"
    assert not ClearingRun.objects.exists()


def test_page_shows_the_refusal_beside_the_field_and_keeps_the_input(
    situation: dict[str, Any], personas: dict[str, Any], page_client
) -> None:
    late = (_horizon().last_day + dt.timedelta(days=40)).isoformat()
    response = page_client(personas["coordinator"]).post(
        "/clearing/scenario/",
        {
            "name": "French winter kit",
            "lateness_penalty": "100",
            "add_donor": "FRA",
            "add_item_type": "WIN-CLOTHING",
            "add_quantity": "300",
            "add_available_from": late,
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "is outside the planning horizon" in html
    form = response.context["form"]
    assert list(form.errors) == ["add_available_from"]
    assert f'value="{late}"' in html and 'value="French winter kit"' in html and 'value="300"' in html
    assert not ClearingRun.objects.exists()
