"""Importing Kiel tracker releases: identities, malformed files, idempotence, newer releases, revisions."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from clearinghouse.core.errors import Conflict, PermissionDenied
from clearinghouse.core.models import AuditEvent
from clearinghouse.tracker import kiel, selectors, services
from clearinghouse.tracker.kiel import KielFormatError
from clearinghouse.tracker.models import (
    KielEuShare,
    KielFlow,
    KielGdp,
    KielProcurement,
    KielRelease,
    KielWeapons,
)
from clearinghouse.tracker.tests.kiel_files import R29, R31_PREVIEW, copy_release, rows, set_cell, write_rows

pytestmark = pytest.mark.django_db

TABLES = (KielRelease, KielFlow, KielGdp, KielEuShare, KielProcurement, KielWeapons, AuditEvent)


@pytest.fixture
def coordinator(reference_data: None) -> Any:
    """Just the coordination cell's account (lighter than every persona)."""
    from clearinghouse.participants.services import create_user

    return create_user(
        actor=None, username="coordinator", participant="NATO", role="coordinator", password=None
    )


def table_counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in TABLES}


def test_it_imports_the_shipped_release(personas: dict[str, Any]) -> None:
    events = AuditEvent.objects.count()
    result = services.import_kiel_release(actor=personas["coordinator"], directory=R29)
    release = result.release
    assert result.created
    assert (release.number, release.period, str(release.date)) == (29, "04/2026", "2026-08-04")
    assert release.label == "Ukraine Support Tracker, Release 29 (04/2026)"
    assert release.is_current and release.has_commitments
    assert release.counts == {
        "flows": 1079 * 6,
        "donor_months": 1079,
        "donors": 42,
        "eu_shares": 27,
        "procurement_months": 52,
        "weapons": 61,
    }
    assert KielFlow.objects.filter(release=release).count() == 6474
    assert len(release.digest) == 64
    # One audit event: the import, with the counts and the digest.
    assert AuditEvent.objects.count() == events + 1
    event = AuditEvent.objects.order_by("-sequence").first()
    assert event is not None
    assert (event.action, event.object_type, event.object_id) == (
        "import",
        "ingest.kielrelease",
        str(release.pk),
    )
    assert event.after["digest"] == release.digest
    assert event.after["counts"]["flows"] == 6474
    assert event.actor == "coordinator"


def test_values_are_the_files_decimals(personas: dict[str, Any]) -> None:
    release = services.import_kiel_release(actor=personas["admin"], directory=R29).release
    flow = KielFlow.objects.get(
        release=release, participant__code="AUS", year=2022, month=3, type="humanitarian"
    )
    assert flow.value == Decimal("0.0653")
    tba = KielFlow.objects.get(
        release=release, participant__code="AUS", year=2022, month=3, type="to_be_allocated"
    )
    assert tba.value == Decimal("0.000001")
    assert KielGdp.objects.get(release=release, participant__code="AUS").gdp_eur_bn == Decimal(
        "1312.77115526256"
    )
    assert KielGdp.objects.get(release=release, participant__code="EU").gdp_eur_bn == 0
    proc = KielProcurement.objects.get(release=release, year=2022, month=1)
    assert proc.stockpile == Decimal("0.00149570612079685")
    assert proc.unspecified == Decimal("0.230356053306305")
    share = KielEuShare.objects.get(release=release, participant__code="DNK")
    assert (share.eu_share_bn, share.total_pct_gdp) == (Decimal("1.944231"), Decimal("3.85126"))
    uk = KielWeapons.objects.get(release=release, participant__code="GBR", category="MLRS")
    assert (uk.participant.tracker_name, uk.count) == ("United Kingdom", 6)
    australia = KielWeapons.objects.get(release=release, participant__code="AUS", category="Howitzers")
    assert (australia.count, australia.value_eur) == (6, Decimal("28672479"))
    assert australia.models_list == [{"name": "M777 howitzer", "count": 6}]


def test_the_shipped_release_reports_its_one_broken_identity(personas: dict[str, Any]) -> None:
    release = services.import_kiel_release(actor=personas["admin"], directory=R29).release
    # Every identity of data_explorer.csv and total_allocations.csv holds within the rounding; the
    # tracker's eu_aid_shares.csv gives Slovenia a bilateral share of GDP its own data does not.
    assert [(w["file"], w["row"], w["check"]) for w in release.warnings] == [
        ("eu_aid_shares.csv", 17, "bilateral_pct_gdp = 100 × donor total / gdp")
    ]
    assert "SVN" in release.warnings[0]["detail"] and "0.271468" in release.warnings[0]["detail"]


def test_reimporting_the_same_release_changes_nothing(personas: dict[str, Any]) -> None:
    first = services.import_kiel_release(actor=personas["coordinator"], directory=R29)
    before = table_counts()
    again = services.import_kiel_release(actor=personas["coordinator"], directory=R29)
    assert not again.created
    assert again.release.pk == first.release.pk
    assert table_counts() == before  # no new rows, no audit event


def test_the_same_number_from_other_files_is_refused(coordinator: Any, tmp_path: Path) -> None:
    services.import_kiel_release(actor=coordinator, directory=R29)
    before = table_counts()
    changed = copy_release(R29, tmp_path / "r29")
    set_cell(changed, "weapons.csv", 2, "monetary_value_eur", "28672480")
    with pytest.raises(Conflict, match="Release 29 was imported already from different files"):
        services.import_kiel_release(actor=coordinator, directory=changed)
    assert table_counts() == before


def test_broken_identities_are_reported_not_refused(personas: dict[str, Any], tmp_path: Path) -> None:
    broken = copy_release(R29, tmp_path / "r29")
    explorer = rows(broken, "data_explorer.csv")
    assert (explorer[1]["iso"], explorer[1]["year"], explorer[1]["month"]) == ("AUS", "2022", "3")
    # Row 3 (AUS 2022-03): total 0.142911 = 0 + 0.0653 + 0.077611. Break it by 0.01 ...
    explorer[1]["total"] = "0.152911"
    # ... and row 4's commitments by 0.5; and nudge row 5's military by one rounding unit (tolerated).
    explorer[2]["commitments"] = str(Decimal(explorer[2]["commitments"]) + Decimal("0.5"))
    explorer[3]["military"] = str(Decimal(explorer[3]["military"]) + Decimal("0.000001"))
    write_rows(broken, "data_explorer.csv", explorer)
    totals = rows(broken, "total_allocations.csv")
    totals[0]["military"] = "0.231952"  # 2022-01: the donors sum to 0.231852
    write_rows(broken, "total_allocations.csv", totals)

    result = services.import_kiel_release(actor=personas["coordinator"], directory=broken)
    found = {(w.file, w.row, w.check) for w in result.warnings}
    assert ("data_explorer.csv", 3, "total = military + financial + humanitarian") in found
    assert ("data_explorer.csv", 3, "pct_gdp = 100 × total / gdp") in found  # pct_gdp was for 0.142911
    assert ("data_explorer.csv", 4, "commitments = total + to_be_allocated") in found
    assert ("total_allocations.csv", 2, "military = sum over donors") in found
    # Row 3's changed total also breaks its month's sum in total_allocations.csv (row 4: 2022-03).
    assert ("total_allocations.csv", 4, "total_allocations = sum over donors") in found
    assert not any(w.file == "data_explorer.csv" and w.row == 5 for w in result.warnings)
    assert result.release.warnings == [w.as_json() for w in result.warnings]  # stored with the release
    # Imported all the same, as published.
    assert KielFlow.objects.get(
        release=result.release, participant__code="AUS", year=2022, month=3, type="total"
    ).value == Decimal("0.152911")


def test_the_cli_prints_the_broken_identities(personas: dict[str, Any], tmp_path: Path) -> None:
    broken = copy_release(R29, tmp_path / "r29")
    set_cell(broken, "data_explorer.csv", 3, "military", "0.077711")
    out = StringIO()
    call_command("import", "kiel", str(broken), "--as", "coordinator", stdout=out)
    text = out.getvalue()
    assert "Imported Ukraine Support Tracker, Release 29 (04/2026)" in text
    assert "Release 29 is now current." in text
    assert "data_explorer.csv, row 3: total = military + financial + humanitarian: AUS 2022-03" in text


def _release_files_with(tmp_path: Path, change: Any) -> Path:
    target = copy_release(R29, tmp_path / "r29")
    change(target)
    return target


def _drop_column(directory: Path, name: str, column: str) -> None:
    data = rows(directory, name)
    write_rows(directory, name, data, [c for c in data[0] if c != column])


MALFORMED = {
    "missing column": (
        lambda d: _drop_column(d, "data_explorer.csv", "military"),
        "data_explorer.csv, row 1, column 'military': missing column",
    ),
    "missing commitments partner": (
        lambda d: _drop_column(d, "data_explorer.csv", "to_be_allocated"),
        "data_explorer.csv, row 1, column 'to_be_allocated': missing column",
    ),
    "non-numeric value": (
        lambda d: set_cell(d, "data_explorer.csv", 5, "financial", "1,5"),
        "data_explorer.csv, row 5, column 'financial': not a number: '1,5'",
    ),
    "empty value": (
        lambda d: set_cell(d, "total_allocations.csv", 10, "humanitarian", ""),
        "total_allocations.csv, row 10, column 'humanitarian': empty value",
    ),
    "unknown donor code": (
        lambda d: set_cell(d, "data_explorer.csv", 7, "iso", "XKX"),
        "data_explorer.csv, row 7, column 'iso': unknown donor code 'XKX'",
    ),
    "unknown weapons donor": (
        lambda d: set_cell(d, "weapons.csv", 12, "donor", "Atlantis"),
        "weapons.csv, row 12, column 'donor': unknown donor 'Atlantis'",
    ),
    "month out of range": (
        lambda d: set_cell(d, "procurement_trends.csv", 3, "month", "13"),
        "procurement_trends.csv, row 3, column 'month': not a month (1-12): 13",
    ),
    "unreadable file": (
        lambda d: (d / "eu_aid_shares.csv").write_bytes(b'"country","iso"\n"\xff\xfe"\n'),
        "eu_aid_shares.csv: cannot read the file",
    ),
    "missing required file": (
        lambda d: (d / "total_allocations.csv").unlink(),
        "total_allocations.csv: required file missing",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_release_names_file_row_and_column_and_imports_nothing(
    case: str, coordinator: Any, tmp_path: Path
) -> None:
    change, message = MALFORMED[case]
    directory = _release_files_with(tmp_path, change)
    before = table_counts()
    with pytest.raises(KielFormatError) as caught:
        services.import_kiel_release(actor=coordinator, directory=directory)
    assert caught.value.message.startswith(message), caught.value.message
    assert table_counts() == before


def test_the_cli_refuses_a_malformed_release_with_one_line(coordinator: Any, tmp_path: Path) -> None:
    directory = _release_files_with(tmp_path, lambda d: set_cell(d, "data_explorer.csv", 9, "gdp", "n/a"))
    with pytest.raises(CommandError, match=r"data_explorer.csv, row 9, column 'gdp': not a number: 'n/a'"):
        call_command("import", "kiel", str(directory), "--as", "coordinator", stdout=StringIO())
    assert KielRelease.objects.count() == 0


@pytest.mark.parametrize("who", ["donor_usa", "nonmember", "finance", "recipient", "auditor"])
def test_only_the_coordination_cell_or_an_admin_imports(who: str, personas: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        services.import_kiel_release(actor=personas[who], directory=R29)
    with pytest.raises(CommandError, match="Only the coordination cell"):
        call_command("import", "kiel", str(R29), "--as", who, stdout=StringIO())
    assert KielRelease.objects.count() == 0


def test_a_newer_release_becomes_current_and_the_older_stays(personas: dict[str, Any]) -> None:
    r29 = services.import_kiel_release(actor=personas["coordinator"], directory=R29).release
    result = services.import_kiel_release(actor=personas["coordinator"], directory=R31_PREVIEW)
    r31 = result.release
    r29.refresh_from_db()
    assert (r31.number, r31.is_current, r29.is_current) == (31, True, False)
    assert result.previous_current == 29
    assert not r31.has_commitments  # the preview publishes no commitments columns
    assert KielFlow.objects.filter(release=r29).count() == 6474
    assert KielFlow.objects.filter(release=r31).count() == 1131 * 4
    assert selectors.current_release(user=personas["analyst"]).number == 31
    assert not r31.warnings


def test_an_older_release_imported_later_does_not_become_current(personas: dict[str, Any]) -> None:
    services.import_kiel_release(actor=personas["coordinator"], directory=R31_PREVIEW)
    r29 = services.import_kiel_release(actor=personas["coordinator"], directory=R29).release
    assert not r29.is_current
    assert KielRelease.objects.get(is_current=True).number == 31


def _independent_revisions() -> dict[tuple[str, str, str], tuple[Decimal | None, Decimal | None]]:
    """What changed from R29 to R31, from the CSV files alone (a missing row counts as zero)."""
    old: dict[tuple[str, str, str], Decimal] = {}
    new: dict[tuple[str, str, str], Decimal] = {}
    for directory, target in ((R29, old), (R31_PREVIEW, new)):
        for r in rows(directory, "data_explorer.csv"):
            for t in ("military", "financial", "humanitarian", "total"):
                target[(r["iso"], f"{r['year']}-{int(r['month']):02d}", t)] = Decimal(r[t])
    return {
        key: (old.get(key), new.get(key))
        for key in set(old) | set(new)
        if old.get(key, Decimal(0)) != new.get(key, Decimal(0))
    }


def test_revisions_list_what_the_newer_release_changed(personas: dict[str, Any]) -> None:
    services.import_kiel_release(actor=personas["coordinator"], directory=R29)
    services.import_kiel_release(actor=personas["coordinator"], directory=R31_PREVIEW)
    old, new, changes = selectors.revisions(user=personas["analyst"])
    assert (old.number, new.number) == (29, 31)
    listed = {(c.participant, c.period, c.type): (c.old, c.new) for c in changes}
    assert listed == _independent_revisions()
    assert len(changes) == 181
    bgr = next(c for c in changes if (c.participant, c.period, c.type) == ("BGR", "2022-12", "military"))
    assert (bgr.old, bgr.new, bgr.change) == (Decimal("0.229941"), Decimal("0.018888"), Decimal("-0.211053"))
    aut = next(c for c in changes if (c.participant, c.period, c.type) == ("AUT", "2026-05", "humanitarian"))
    assert (aut.old, aut.new, aut.change) == (None, Decimal("0.0005"), Decimal("0.0005"))
    # Ordered by donor, month, type; commitments are not compared (R31 preview has none).
    assert [(c.participant, c.period) for c in changes] == sorted((c.participant, c.period) for c in changes)
    assert not {c.type for c in changes} & {"commitments", "to_be_allocated"}


def test_revisions_on_the_command_line(personas: dict[str, Any]) -> None:
    services.import_kiel_release(actor=personas["coordinator"], directory=R29)
    services.import_kiel_release(actor=personas["coordinator"], directory=R31_PREVIEW)
    out = StringIO()
    call_command("kiel", "revisions", "--format", "csv", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "participant,name,period,type,old,new,change"
    assert "BGR,Bulgaria,2022-12,military,0.229941,0.018888,-0.211053" in lines
    assert len(lines) == 1 + 181
    out = StringIO()
    call_command("kiel", "revisions", "--from", "29", "--to", "31", "--format", "json", stdout=out)
    payload = json.loads(out.getvalue())
    assert (payload["from"], payload["to"], payload["count"]) == (29, 31, 181)
    out = StringIO()
    call_command("kiel", "revisions", stdout=out)
    assert out.getvalue().startswith("Release 29 → 31: 181 value(s) revised")
    with pytest.raises(CommandError, match="Release 30 is not imported"):
        call_command("kiel", "revisions", "--from", "30", stdout=StringIO())
    out = StringIO()
    call_command("kiel", "releases", stdout=out)
    assert out.getvalue().splitlines()[0].startswith("*  31")


def test_revisions_need_two_releases(personas: dict[str, Any]) -> None:
    services.import_kiel_release(actor=personas["coordinator"], directory=R29)
    with pytest.raises(CommandError, match="Revisions compare two releases"):
        call_command("kiel", "revisions", stdout=StringIO())


def test_the_api_lists_releases_and_revisions(personas: dict[str, Any], api_client: Any) -> None:
    services.import_kiel_release(actor=personas["coordinator"], directory=R29)
    services.import_kiel_release(actor=personas["coordinator"], directory=R31_PREVIEW)
    client = api_client(personas["donor_pol"])
    body = client.get("/api/v1/kiel/releases").json()
    assert body["count"] == 2
    assert [(r["number"], r["is_current"]) for r in body["items"]] == [(31, True), (29, False)]
    assert body["items"][1]["warnings"][0]["file"] == "eu_aid_shares.csv"
    assert (
        body["items"][1]["citation"]
        == "Kiel Institute for the World Economy, Ukraine Support Tracker, Release 29"
    )
    assert client.get("/api/v1/kiel/releases/29").json()["counts"]["weapons"] == 61
    assert client.get("/api/v1/kiel/releases/30").status_code == 404
    page = client.get("/api/v1/kiel/revisions?from=29&to=31&limit=500").json()
    assert page["count"] == 181
    bgr = next(
        r
        for r in page["items"]
        if (r["participant"], r["period"], r["type"]) == ("BGR", "2022-12", "military")
    )
    assert (bgr["old"], bgr["new"], bgr["change"], bgr["from_release"]) == (
        "0.229941",
        "0.018888",
        "-0.211053",
        29,
    )
    bad = client.get("/api/v1/kiel/revisions?from=30")
    assert (bad.status_code, bad.json()["field"]) == (422, "from")
    assert client.get("/api/v1/kiel/revisions?from=abc").status_code == 422


def test_the_releases_page_shows_warnings_and_revisions(personas: dict[str, Any], page_client: Any) -> None:
    services.import_kiel_release(actor=personas["coordinator"], directory=R29)
    services.import_kiel_release(actor=personas["coordinator"], directory=R31_PREVIEW)
    html = page_client(personas["recipient"]).get("/kiel/releases/?from=29&to=31").content.decode()
    assert "eu_aid_shares.csv row 17" in html
    assert "Release 29 → 31: 181 value(s) revised" in html
    assert "0.229941" in html


def test_spreadsheet_imports_dispatch_to_the_spreadsheets_module(
    personas: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from clearinghouse import spreadsheets
    from clearinghouse.core.tabular import ImportSummary

    calls: list[dict[str, Any]] = []

    # Run as a job (clearinghouse.jobs), in this process without a broker: the same call, by path.
    def import_file(*, actor: Any, path: Path, kind: str, progress: Any, name: str) -> ImportSummary:
        calls.append({"actor": actor.username, "path": path, "kind": kind})
        progress(1, 2)
        return ImportSummary(kind=kind, file=name, rows=2, created=2, updated=0, unchanged=0)

    monkeypatch.setattr(spreadsheets, "import_file", import_file)
    out, err = StringIO(), StringIO()
    call_command(
        "import", "requirements", str(tmp_path / "r.xlsx"), "--as", "recipient", stdout=out, stderr=err
    )
    assert calls == [{"actor": "recipient", "path": tmp_path / "r.xlsx", "kind": "requirements"}]
    assert "Imported 2 requirement rows from r.xlsx: 2 created" in out.getvalue()
    assert "1/2" in err.getvalue()


def test_the_tolerance_follows_the_files_rounding() -> None:
    """Half a unit of the last decimal per term: 4 terms of 6 decimals allow 2e-6, no more."""
    parsed = kiel.read_release(
        R29, known_codes={r["iso"] for r in rows(R29, "data_explorer.csv")}, code_for_tracker_name=lambda n: n
    )
    assert parsed.decimals == 6
    assert parsed.half_unit == Decimal("5E-7")
    first = parsed.explorer[0]
    just_inside = {**first.values, "total": first.values["total"] + Decimal("0.000002")}
    just_outside = {**first.values, "total": first.values["total"] + Decimal("0.0000021")}
    for values, expected in ((just_inside, 0), (just_outside, 1)):
        parsed.explorer[0] = kiel.ExplorerRow(
            row=2,
            code=first.code,
            country=first.country,
            year=first.year,
            month=first.month,
            values=values,
            gdp=first.gdp,
            pct_gdp=100 * values["total"] / first.gdp,
        )
        found = [w for w in kiel.check_identities(parsed) if w.check.startswith("total = military")]
        assert len(found) == expected
