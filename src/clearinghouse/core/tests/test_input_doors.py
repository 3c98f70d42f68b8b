"""Control characters, dates outside 1990–2100 and integers beyond 64 bits, at every door."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from clearinghouse.core import validation
from clearinghouse.core.errors import InvalidInput
from clearinghouse.pledges import services
from clearinghouse.pledges.models import Pledge
from clearinghouse.pledges.tests import factories

pytestmark = pytest.mark.django_db

BIG = "99999999999999999999"


def _pledge(**changes: Any) -> dict[str, Any]:
    body = {
        "external_ref": "USA-1",
        "donor": "USA",
        "kind": "in_kind",
        "item_type": "AMM-155-HE",
        "quantity": 10,
        "unit_value": "3000.00",
        "currency": "EUR",
        "available_from": "2024-01-02",
    }
    return {**body, **changes}


# --- the rules themselves --------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["a\x00b", "bell\x07", "esc\x1b[0m", "del\x7f", "c1\x85", "lone\ud800"])
def test_control_characters_are_refused_in_any_text(text: str) -> None:
    with pytest.raises(InvalidInput, match=r"^notes: control character U\+"):
        validation.clean_text(text, "notes", multiline=True)


def test_multi_line_text_keeps_tabs_and_line_breaks_single_line_text_does_not() -> None:
    assert validation.clean_text("line 1\r\n\tline 2", "notes", multiline=True) == "line 1\r\n\tline 2"
    with pytest.raises(InvalidInput, match=r"line break or tab U\+000A \(line feed\) at character 3"):
        validation.clean_text("ab\ncd", "external_ref")


@pytest.mark.parametrize("day", ["0001-01-01", "1989-12-31", "2101-01-01", "9999-12-31"])
def test_dates_outside_the_window_are_refused(day: str) -> None:
    import datetime as dt

    with pytest.raises(InvalidInput, match="is outside 1990-01-01 to 2100-12-31"):
        validation.clean_date(dt.date.fromisoformat(day), "available_from")


# --- API -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"notes": "a\x00b"}, "body.payload.notes"),
        ({"notes": "bell\x07"}, "body.payload.notes"),
        ({"external_ref": "REF\x01"}, "body.payload.external_ref"),
        ({"external_ref": "two\nlines"}, "body.payload.external_ref"),
        ({"available_from": "0001-01-01"}, "body.payload.available_from"),
        ({"available_from": "9999-12-31"}, "body.payload.available_from"),
    ],
)
def test_the_api_refuses_bad_text_and_dates_with_422_naming_the_field(
    changes: dict[str, Any], field: str, personas: dict[str, Any], api_client: Any
) -> None:
    factories.ensure_catalog()
    response = api_client(personas["donor_usa"]).post(
        "/api/v1/pledges", data=json.dumps(_pledge(**changes)), content_type="application/json"
    )
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert Pledge.objects.count() == 0


def test_the_api_keeps_tabs_and_line_breaks_in_notes(personas: dict[str, Any], api_client: Any) -> None:
    factories.ensure_catalog()
    response = api_client(personas["donor_usa"]).post(
        "/api/v1/pledges", data=json.dumps(_pledge(notes="one\n\ttwo")), content_type="application/json"
    )
    assert response.status_code == 201
    assert Pledge.objects.get().notes == "one\n\ttwo"


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/pledges?offset=9223372036854775808", "query.offset"),
        (f"/api/v1/allocations?pledge={BIG}", "query.pledge"),
        (f"/api/v1/deliveries?requirement={BIG}", "query.requirement"),
        (f"/api/v1/pledges/{BIG}", "path.pledge_id"),
        (f"/api/v1/requirements/{BIG}", "path.requirement_id"),
        (f"/api/v1/kiel/releases/{BIG}", "path.number"),
        ("/api/v1/pledges?q=%00", "query.q"),
        ("/api/v1/gdp?year=0", "query.year"),
    ],
)
def test_the_api_bounds_integers_and_refuses_control_characters_in_queries(
    url: str, field: str, personas: dict[str, Any], api_client: Any
) -> None:
    response = api_client(personas["coordinator"]).get(url)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field


def test_the_largest_id_is_simply_not_found(personas: dict[str, Any], api_client: Any) -> None:
    assert api_client(personas["coordinator"]).get(f"/api/v1/pledges/{2**63 - 1}").status_code == 404


# --- pages -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [f"/pledges/{BIG}/", f"/requirements/{BIG}/", f"/pledges/{BIG}/edit/"])
def test_a_page_for_an_id_beyond_64_bits_is_not_found(
    url: str, personas: dict[str, Any], page_client: Any
) -> None:
    assert page_client(personas["coordinator"]).get(url).status_code == 404


def test_a_page_query_with_a_control_character_is_a_bad_request(
    personas: dict[str, Any], page_client: Any
) -> None:
    response = page_client(personas["coordinator"]).get("/pledges/?q=%00")
    assert response.status_code == 400
    assert b"query.q: control character U+0000 (NUL)" in response.content


def test_the_pledge_form_shows_the_error_beside_the_field_and_keeps_what_was_typed(
    personas: dict[str, Any], page_client: Any
) -> None:
    factories.ensure_catalog()
    form = {
        "external_ref": "USA-NEW-1",
        "kind": "in_kind",
        "item_type": "AMM-155-HE",
        "quantity": "500",
        "unit_value": "",
        "currency": "",
        "available_from": "0001-01-01",
        "releasability": "coordination",
        "notes": "ring\x07",
    }
    html = page_client(personas["donor_usa"]).post(reverse("pledge-create"), form).content.decode()
    assert "0001-01-01 is outside 1990-01-01 to 2100-12-31" in html.split('id="err-available_from">')[1]
    assert "control character U+0007" in html.split('id="err-notes">')[1]
    assert 'value="USA-NEW-1"' in html
    assert Pledge.objects.count() == 0


# --- services, spreadsheets, CLI -------------------------------------------------------------------


def test_the_services_refuse_what_the_schemas_refuse(personas: dict[str, Any]) -> None:
    factories.ensure_catalog()
    with pytest.raises(InvalidInput, match=r"^external_ref: control character"):
        services.create_pledge(actor=personas["donor_usa"], data=_pledge(external_ref="x\x00y"))
    with pytest.raises(InvalidInput, match=r"^available_from: 2101-01-01 is outside"):
        services.create_pledge(actor=personas["donor_usa"], data=_pledge(available_from="2101-01-01"))
    pledge = factories.pledge(personas)
    with pytest.raises(InvalidInput, match=r"^notes: control character"):
        services.update_pledge(actor=personas["donor_usa"], pledge_id=pledge.pk, changes={"notes": "\x1b"})


def test_a_spreadsheet_with_a_control_character_or_a_year_one_date_imports_nothing(
    personas: dict[str, Any], tmp_path: Path
) -> None:
    from clearinghouse.pledges.spreadsheets import COLUMNS as PLEDGE_COLUMNS
    from clearinghouse.spreadsheets import import_file

    factories.ensure_catalog()
    path = tmp_path / "p.csv"
    row = ["P-1", "USA", "in_kind", "AMM-155-HE", "1", "3000", "", "EUR", "0001-01-01", "", "a\x01b"]
    path.write_text(",".join(PLEDGE_COLUMNS) + "\n" + ",".join(row) + "\n")
    with pytest.raises(InvalidInput) as caught:
        import_file(actor=personas["donor_usa"], path=path, kind="pledges")
    assert caught.value.message.splitlines()[1:] == [
        "p.csv, row 2, column available_from (I): 0001-01-01 is outside 1990-01-01 to 2100-12-31",
        "p.csv, row 2, column notes (K): control character U+0001 at character 2 is not allowed",
    ]
    assert Pledge.objects.count() == 0


def test_nothing_is_stored_with_a_control_character_or_a_date_outside_the_window(
    personas: dict[str, Any],
) -> None:
    import datetime as dt

    from clearinghouse.participants.models import CoordinationMandate, Participant

    gbr = Participant.objects.get(code="GBR")
    mandates = CoordinationMandate.objects.filter(participant=gbr).count()
    with pytest.raises(InvalidInput, match=r"^notes: control character U\+0007"):
        CoordinationMandate.objects.create(participant=gbr, start=dt.date(2030, 1, 1), notes="ring\x07")
    with pytest.raises(InvalidInput, match=r"^start: 0001-01-01 is outside 1990-01-01 to 2100-12-31"):
        CoordinationMandate.objects.create(participant=gbr, start=dt.date(1, 1, 1))
    assert CoordinationMandate.objects.filter(participant=gbr).count() == mandates
