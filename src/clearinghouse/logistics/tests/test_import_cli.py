"""The carrier status import (all or nothing, file/row/column errors) and the command line."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from clearinghouse.core.tabular import ImportErrors
from clearinghouse.logistics import carrier
from clearinghouse.logistics.models import Shipment, ShipmentEvent
from clearinghouse.logistics.tests import factories

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "carrier.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_carrier_file_applies_every_row(personas: dict[str, Any], tmp_path: Path) -> None:
    s = factories.shipment(personas, reference="DHL-77")
    path = _file(
        tmp_path,
        "reference,state,at,site\n"
        "DHL-77,dispatched,2024-03-01T08:00:00Z,USA-DEPOT\n"
        "DHL-77,in_transit,2024-03-02T08:00:00Z,\n",
    )
    summary = carrier.import_carrier_file(actor=personas["donor_usa"], path=path)
    assert summary["events"] == 2
    s.refresh_from_db()
    assert s.state == "in_transit"
    assert ShipmentEvent.objects.filter(shipment=s, source="carrier:carrier.csv").count() == 2


def test_one_bad_row_refuses_the_file(personas: dict[str, Any], tmp_path: Path) -> None:
    s = factories.shipment(personas, reference="DHL-77")
    path = _file(
        tmp_path,
        "reference,state,at\n"
        "DHL-77,dispatched,2024-03-01T08:00:00Z\n"
        "DHL-77,planned,2024-03-02T08:00:00Z\n"
        "NOPE-1,in_transit,2024-03-02T08:00:00Z\n"
        "DHL-77,at_hub,yesterday\n",
    )
    with pytest.raises(ImportErrors) as caught:
        carrier.import_carrier_file(actor=personas["donor_usa"], path=path)
    lines = caught.value.lines
    assert lines[0].startswith("carrier.csv, row 3, column state (B): ") and "back to planned" in lines[0]
    assert lines[1].startswith(
        "carrier.csv, row 4, column reference (A): no shipment with reference 'NOPE-1'"
    )
    assert lines[2].startswith("carrier.csv, row 5, column at (C): ")
    s.refresh_from_db()
    assert s.state == "planned"
    assert ShipmentEvent.objects.filter(shipment=s).count() == 1


def test_a_wrong_header_names_the_column(personas: dict[str, Any], tmp_path: Path) -> None:
    path = _file(tmp_path, "ref,state,at\nX,dispatched,2024-03-01\n")
    with pytest.raises(ImportErrors, match="row 1"):
        carrier.import_carrier_file(actor=personas["donor_usa"], path=path)


def test_shipment_on_the_command_line(personas: dict[str, Any]) -> None:
    allocation = factories.allocation(personas)
    out = run(
        "site",
        "create",
        "usa-depot",
        "--name",
        "Depot",
        "--kind",
        "depot",
        "--country",
        "USA",
        "--as",
        "donor_usa",
    )
    assert "USA-DEPOT" in out
    run(
        "site",
        "create",
        "UA-1",
        "--name",
        "Handover",
        "--kind",
        "handover",
        "--country",
        "UKR",
        "--releasability",
        "contact_group",
        "--as",
        "coordinator",
    )
    sites = json.loads(run("site", "list", "--format", "json", "--as", "recipient"))
    assert {s["code"] for s in sites["items"]} == {"USA-DEPOT", "UA-1"}
    created = json.loads(
        run(
            "shipment",
            "create",
            "--allocation",
            str(allocation.pk),
            "--quantity",
            "10",
            "--from",
            "USA-DEPOT",
            "--to",
            "UA-1",
            "--format",
            "json",
            "--as",
            "donor_usa",
        )
    )
    sid = str(created["id"])
    assert created["state"] == "planned"
    with pytest.raises(CommandError, match="only 40 of its 50"):
        run(
            "shipment",
            "create",
            "--allocation",
            str(allocation.pk),
            "--quantity",
            "41",
            "--from",
            "USA-DEPOT",
            "--to",
            "UA-1",
            "--as",
            "donor_usa",
        )
    run("shipment", "event", sid, "--state", "dispatched", "--as", "donor_usa")
    listed = json.loads(
        run("shipment", "list", "--state", "dispatched", "--format", "json", "--as", "recipient")
    )
    assert [i["id"] for i in listed["items"]] == [created["id"]]
    with pytest.raises(CommandError, match="Only the recipient"):
        run("shipment", "receive", sid, "--received", "10", "--as", "donor_usa")
    out = run("shipment", "receive", sid, "--received", "10", "--damaged", "1", "--as", "recipient")
    assert "discrepancy 1" in out
    assert Shipment.objects.get(pk=created["id"]).delivery is not None
