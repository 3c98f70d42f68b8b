"""One record written around the services (a raw SQL update) never takes a page down with it.

The record is left out of lists, exports and reports, logged with its id, and every page still
answers; its own detail answers 404 (logged), like a record that does not exist.
"""

from __future__ import annotations

import csv
import io
import logging
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from ninja import Schema

from clearinghouse.core.pagination import Page
from clearinghouse.pledges.tests import factories

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/v1/pledges",
    "/api/v1/pledges?limit=1&offset=0",
    "/api/v1/pledges/export?format=csv",
    "/api/v1/pledges/export?format=xlsx",
    "/api/v1/reports/totals?source=records&by=month",
    "/api/v1/reports/donors?source=records",
    "/api/v1/reports/groups?source=records",
    "/api/v1/reports/weapons?source=records",
]
PAGES = ["/pledges/", "/reports/?source=records", "/", "/requirements/"]


def _plant(sql: str, pk: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])


def _unreadable_sql() -> str:
    """An UPDATE that stores what Python cannot read back, on this database."""
    if connection.vendor == "postgresql":
        return "UPDATE pledges_pledge SET available_from = 'infinity' WHERE id = %s"
    return "UPDATE pledges_pledge SET unit_value = 'abc', value_eur = 1e300 WHERE id = %s"


@pytest.fixture
def two_pledges(personas: dict[str, Any]) -> tuple[Any, Any]:
    good = factories.pledge(personas, external_ref="GOOD", releasability="public")
    bad = factories.pledge(personas, external_ref="BAD", releasability="public")
    return good, bad


def test_an_unreadable_record_is_left_out_and_logged_and_every_page_answers(
    two_pledges: tuple[Any, Any],
    personas: dict[str, Any],
    api_client: Any,
    page_client: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    good, bad = two_pledges
    _plant(_unreadable_sql(), bad.pk)
    caplog.set_level(logging.ERROR, logger="clearinghouse.unreadable")
    api = api_client(personas["coordinator"])
    for url in LISTS:
        assert api.get(url).status_code == 200, url
    listed = api.get("/api/v1/pledges").json()
    assert [p["external_ref"] for p in listed["items"]] == ["GOOD"]
    exported = api.get("/api/v1/pledges/export?format=csv").content.decode("utf-8-sig")
    assert [r["external_ref"] for r in csv.DictReader(io.StringIO(exported))] == ["GOOD"]
    pages = page_client(personas["coordinator"])
    for url in PAGES:
        assert pages.get(url).status_code == 200, url
    assert "GOOD" in pages.get("/pledges/").content.decode()
    assert Client().get("/public/").status_code == 200
    assert api.get(f"/api/v1/pledges/{bad.pk}").status_code == 404
    assert pages.get(f"/pledges/{bad.pk}/").status_code == 404
    assert api.get(f"/api/v1/pledges/{good.pk}").status_code == 200
    assert f"pledges.Pledge {bad.pk} cannot be read and is left out" in caplog.text


def test_a_record_with_a_year_one_date_is_left_out_of_the_reports(
    two_pledges: tuple[Any, Any], personas: dict[str, Any], page_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    _, bad = two_pledges
    _plant("UPDATE pledges_pledge SET available_from = '0001-01-01' WHERE id = %s", bad.pk)
    caplog.set_level(logging.ERROR, logger="clearinghouse.unreadable")
    pages = page_client(personas["coordinator"])
    assert pages.get("/reports/?source=records").status_code == 200
    assert pages.get("/pledges/").status_code == 200
    assert f"pledges.Pledge {bad.pk} cannot be read" in caplog.text


@pytest.mark.skipif("connection.vendor == 'postgresql'", reason="PostgreSQL cannot store NUL at all")
def test_a_control_character_written_around_the_services_leaves_the_xlsx_export_whole(
    two_pledges: tuple[Any, Any], personas: dict[str, Any], api_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from openpyxl import load_workbook

    _, bad = two_pledges
    _plant("UPDATE pledges_pledge SET notes = 'a' || char(0) || 'b' WHERE id = %s", bad.pk)
    caplog.set_level(logging.ERROR, logger="clearinghouse.unreadable")
    response = api_client(personas["coordinator"]).get("/api/v1/pledges/export?format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["GOOD"]
    assert "export row" in caplog.text and "BAD" in caplog.text


class _Item(Schema):
    id: int
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        if obj["id"] == 2:
            raise ValueError("this one cannot be shown")
        return str(obj["name"])


def test_a_page_leaves_out_an_item_its_schema_cannot_show(caplog: pytest.LogCaptureFixture) -> None:
    paged: Any = type("PagedItem", (Page,), {"__annotations__": {"items": list[_Item]}})
    caplog.set_level(logging.ERROR, logger="clearinghouse.unreadable")
    page = paged.model_validate({"items": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}], "count": 2})
    assert [i.id for i in page.items] == [1]
    assert "record 2 cannot be read and is left out" in caplog.text
