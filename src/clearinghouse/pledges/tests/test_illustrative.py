"""Illustrative (demo or training) records: marked wherever shown, fixed at creation, never published as
fact on the public page (see reports/tests/test_illustrative.py). Issue 9, item 15."""

from __future__ import annotations

import csv
import io
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from clearinghouse import spreadsheets
from clearinghouse.core import tabular
from clearinghouse.core.errors import InvalidInput
from clearinghouse.core.models import AuditEvent
from clearinghouse.pledges import services as pledge_services
from clearinghouse.pledges.tests import factories
from clearinghouse.requirements import services as requirement_services

pytestmark = pytest.mark.django_db

JSON = "application/json"
BADGE = 'class="badge illustrative"'


def test_a_pledge_and_a_requirement_are_real_unless_created_illustrative(personas: dict[str, Any]) -> None:
    real = factories.pledge(personas)
    demo = factories.pledge(personas, illustrative=True)
    assert (real.illustrative, demo.illustrative) == (False, True)
    assert factories.requirement(personas, illustrative="yes").illustrative is True
    assert factories.requirement(personas).illustrative is False
    with pytest.raises(InvalidInput) as info:
        factories.pledge(personas, illustrative="perhaps")
    assert info.value.field == "illustrative"


def test_the_mark_is_fixed_at_creation(personas: dict[str, Any]) -> None:
    real = factories.pledge(personas)
    demo = factories.requirement(personas, illustrative=True)
    # Neither an illustration made real, nor a record hidden as an illustration.
    with pytest.raises(InvalidInput, match="illustrative: fixed when the pledge is created"):
        pledge_services.update_pledge(
            actor=personas["donor_usa"], pledge_id=real.pk, changes={"illustrative": True}
        )
    with pytest.raises(InvalidInput, match="illustrative: fixed when the requirement is created"):
        requirement_services.update_requirement(
            actor=personas["recipient"], requirement_id=demo.pk, changes={"illustrative": "false"}
        )
    # The stored value, or a blank, changes nothing else and writes nothing.
    events = AuditEvent.objects.count()
    pledge_services.update_pledge(
        actor=personas["donor_usa"], pledge_id=real.pk, changes={"illustrative": False}
    )
    requirement_services.update_requirement(
        actor=personas["recipient"], requirement_id=demo.pk, changes={"illustrative": ""}
    )
    assert AuditEvent.objects.count() == events
    # Other changes keep it.
    changed = requirement_services.update_requirement(
        actor=personas["recipient"], requirement_id=demo.pk, changes={"notes": "changed"}
    )
    assert changed.illustrative is True
    assert (
        AuditEvent.objects.filter(object_type="requirements.requirement", action="create")
        .latest("sequence")
        .after["illustrative"]
    )


def test_the_api_takes_and_gives_the_mark_and_refuses_to_change_it(
    personas: dict[str, Any], api_client: Any
) -> None:
    factories.ensure_catalog()
    client = api_client(personas["donor_usa"])
    body = {
        "donor": "USA",
        "kind": "in_kind",
        "item_type": "AMM-155-HE",
        "quantity": 10,
        "available_from": "2024-01-02",
        "illustrative": True,
    }
    created = client.post("/api/v1/pledges", body, content_type=JSON)
    assert created.status_code == 201 and created.json()["illustrative"] is True
    pk = created.json()["id"]
    assert client.get(f"/api/v1/pledges/{pk}").json()["illustrative"] is True
    refused = client.patch(f"/api/v1/pledges/{pk}", {"illustrative": False}, content_type=JSON)
    assert refused.status_code == 422 and "illustrative" in json.dumps(refused.json())
    listed = {p["id"]: p["illustrative"] for p in client.get("/api/v1/pledges").json()["items"]}
    assert listed[pk] is True

    recipient = api_client(personas["recipient"])
    made = recipient.post(
        "/api/v1/requirements", {"item_types": ["AMM-155-HE"], "quantity": 5}, content_type=JSON
    ).json()
    assert made["illustrative"] is False
    refused = recipient.patch(f"/api/v1/requirements/{made['id']}", {"illustrative": True}, content_type=JSON)
    assert refused.status_code == 422


def test_list_and_detail_pages_show_the_badge_on_illustrative_records_only(
    personas: dict[str, Any], page_client: Any
) -> None:
    real = factories.pledge(personas, releasability="contact_group")
    demo = factories.pledge(personas, releasability="contact_group", illustrative=True)
    need = factories.requirement(personas, illustrative=True)
    plain = factories.requirement(personas)
    client = page_client(personas["coordinator"])

    rows = client.get("/pledges/").content.decode().split("<tr>")
    row = {pk: next(r for r in rows if f'href="/pledges/{pk}/"' in r) for pk in (real.pk, demo.pk)}
    assert BADGE in row[demo.pk] and BADGE not in row[real.pk]
    detail = client.get(reverse("pledge-detail", args=[demo.pk])).content.decode()
    assert 'id="illustrative-note"' in detail and "not a real pledge" in detail
    assert (
        'id="illustrative-note"' not in client.get(reverse("pledge-detail", args=[real.pk])).content.decode()
    )

    rows = client.get("/requirements/").content.decode().split("<tr>")
    row = {pk: next(r for r in rows if f'href="/requirements/{pk}/"' in r) for pk in (need.pk, plain.pk)}
    assert BADGE in row[need.pk] and BADGE not in row[plain.pk]
    detail = client.get(reverse("requirement-detail", args=[need.pk])).content.decode()
    assert 'id="illustrative-note"' in detail
    plain_detail = client.get(reverse("requirement-detail", args=[plain.pk])).content.decode()
    assert 'id="illustrative-note"' not in plain_detail


def test_exports_carry_the_mark_and_import_again_unchanged(personas: dict[str, Any], tmp_path: Path) -> None:
    factories.pledge(personas, external_ref="REAL")
    factories.pledge(personas, external_ref="DEMO", illustrative=True)
    factories.requirement(personas, external_ref="R-DEMO", illustrative=True)
    user = personas["donor_usa"]
    content, _, name = spreadsheets.export_file(user=user, kind="pledges", fmt="csv")
    rows = {r["external_ref"]: r for r in csv.DictReader(io.StringIO(content.decode("utf-8-sig")))}
    assert (rows["REAL"]["illustrative"], rows["DEMO"]["illustrative"]) == ("false", "true")
    path = tmp_path / name
    path.write_bytes(content)
    summary = spreadsheets.import_file(actor=user, path=path, kind="pledges")
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 2)
    # A file that would flip the mark is refused at its row and column.
    path.write_bytes(content.replace(b",false\r\n", b",true\r\n"))
    with pytest.raises(InvalidInput) as info:
        spreadsheets.import_file(actor=user, path=path, kind="pledges")
    assert (
        "column illustrative" in info.value.message
        and "fixed when the pledge is created" in info.value.message
    )
    content, _, name = spreadsheets.export_file(user=personas["recipient"], kind="requirements", fmt="xlsx")
    path = tmp_path / name
    path.write_bytes(content)
    table = tabular.read_table(path)
    assert table[0][-1] == "illustrative" and table[1][-1] == "TRUE"
    summary = spreadsheets.import_file(actor=personas["recipient"], path=path, kind="requirements")
    assert summary.unchanged == 1


def test_the_command_line_lists_the_mark(personas: dict[str, Any]) -> None:
    demo = factories.pledge(personas, illustrative=True)
    out = StringIO()
    call_command("pledges", "list", "--as", "donor_usa", "--format", "json", stdout=out)
    assert {i["id"]: i["illustrative"] for i in json.loads(out.getvalue())["items"]} == {demo.pk: True}
    out = StringIO()
    call_command("pledges", "list", "--as", "donor_usa", stdout=out)
    assert "[illustrative]" in out.getvalue()
    factories.requirement(personas, illustrative=True)
    out = StringIO()
    call_command("requirements", "list", "--as", "recipient", "--format", "json", stdout=out)
    assert [i["illustrative"] for i in json.loads(out.getvalue())["items"]] == [True]
