"""The coordination cell imports pledges on a donor's behalf (README, "Imports on a donor's behalf"):
who imported is the audit events' actor, for whom is the pledges' donor; a donor officer still
imports only their own participant's pledges, and an analyst of the cell nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from clearinghouse.core import audit
from clearinghouse.core.errors import InvalidInput, PermissionDenied
from clearinghouse.core.models import AuditEvent
from clearinghouse.pledges.models import Pledge
from clearinghouse.spreadsheets import import_file
from tests.test_spreadsheets import catalog, pledge_rows, write_csv

pytestmark = pytest.mark.django_db
KIND = "pledges"
__all__ = ["catalog"]


def test_the_coordination_cell_imports_for_several_donors_and_the_audit_names_both(
    catalog: dict[str, Any], tmp_path: Path
) -> None:
    rows = pledge_rows(3)
    rows[1]["donor"] = "DEU"
    rows[2]["donor"] = "POL"
    events = AuditEvent.objects.count()
    summary = import_file(
        actor=catalog["coordinator"], path=write_csv(tmp_path / "p.csv", rows), kind="pledges"
    )
    assert summary.created == 3
    owners = dict(Pledge.objects.values_list("external_ref", "owner__code"))
    assert owners == {"P-1": "USA", "P-2": "DEU", "P-3": "POL"}
    added = list(AuditEvent.objects.order_by("sequence")[events:])
    assert len(added) == 3
    for event in added:
        pledge = Pledge.objects.get(pk=int(event.object_id))
        assert event.actor == "coordinator" and event.actor_participant == "NATO"  # who imported
        assert event.after["owner_id"] == pledge.owner_id  # for whom
    # A changed row of another donor's pledge is updated on the donor's behalf too.
    rows[1]["quantity"] = "77"
    summary = import_file(
        actor=catalog["coordinator"], path=write_csv(tmp_path / "p.csv", rows), kind="pledges"
    )
    assert (summary.updated, summary.unchanged) == (1, 2)
    assert Pledge.objects.get(external_ref="P-2").quantity == 77
    assert AuditEvent.objects.order_by("-sequence").first().actor == "coordinator"  # type: ignore[union-attr]
    assert audit.verify().ok


def test_the_command_line_imports_as_coordinator(catalog: dict[str, Any], tmp_path: Path) -> None:
    rows = pledge_rows(2)
    rows[1]["donor"] = "DEU"
    path = write_csv(tmp_path / "p.csv", rows)
    call_command("import", "pledges", str(path), "--as", catalog["coordinator"].username)
    assert sorted(Pledge.objects.values_list("owner__code", flat=True)) == ["DEU", "USA"]


def test_donor_officers_still_import_only_their_own_and_analysts_nothing(
    catalog: dict[str, Any], tmp_path: Path
) -> None:
    rows = pledge_rows(2)
    rows[1]["donor"] = "DEU"
    path = write_csv(tmp_path / "p.csv", rows)
    with pytest.raises(InvalidInput, match="DEU is not your participant"):
        import_file(actor=catalog["donor_usa"], path=path, kind="pledges")
    with pytest.raises(PermissionDenied):
        import_file(actor=catalog["analyst"], path=path, kind="pledges")
    assert Pledge.objects.count() == 0


def test_the_upload_page_offers_pledges_to_the_coordinator(
    catalog: dict[str, Any], tmp_path: Path, page_client: Any
) -> None:
    client = page_client(catalog["coordinator"])
    page = client.get("/import/?kind=pledges")
    assert page.status_code == 200
    assert b'value="pledges"' in page.content
    with (write_csv(tmp_path / "p.csv", pledge_rows(1, donor="DEU"))).open("rb") as upload:
        response = client.post("/import/", {"kind": "pledges", "file": upload})
    assert response.status_code in (200, 302)
    assert list(Pledge.objects.values_list("owner__code", flat=True)) == ["DEU"]
