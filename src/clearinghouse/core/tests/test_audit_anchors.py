"""The audit chain proves itself: seals and signed checkpoints kept outside the database, guard triggers.

Each attack below is made as somebody with full write access to the database (but not to the app's
data dir) would make it: lift the triggers, change the table, put the triggers back.
"""

from __future__ import annotations

import datetime as dt
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from clearinghouse.core import anchor, audit
from clearinghouse.core.audit import install_append_only_guard, remove_append_only_guard
from clearinghouse.core.models import AuditEvent
from clearinghouse.governance.tests.factories import governed_handover

pytestmark = pytest.mark.django_db


def _raw(sql: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cur:
        cur.execute(sql, params or [])


@pytest.fixture
def anchored(reference_data: None) -> int:
    """A chain with a checkpoint of its head; returns the number of events anchored."""
    mark = anchor.write_checkpoint()
    assert mark.sequence == AuditEvent.objects.count() > 40
    assert audit.verify().ok
    return mark.sequence


class _Tamper:
    """Lift the guard, as an attacker with database access would, and put it back afterwards."""

    def __enter__(self) -> None:
        remove_append_only_guard()

    def __exit__(self, *exc: object) -> None:
        install_append_only_guard()


def _recompute_from(sequence: int) -> None:
    """Rewrite every hash from `sequence` on, so that the chain is consistent in itself again."""
    prev = AuditEvent.objects.get(sequence=sequence - 1).hash if sequence > 1 else audit.GENESIS_HASH
    for event in AuditEvent.objects.filter(sequence__gte=sequence).order_by("sequence"):
        event.prev_hash = prev
        event.hash = audit.compute_hash(event, prev)
        AuditEvent.objects.filter(pk=event.pk).update(prev_hash=event.prev_hash, hash=event.hash)
        prev = event.hash


def test_cutting_the_tail_is_detected(anchored: int) -> None:
    with _Tamper():
        _raw("DELETE FROM core_auditevent WHERE sequence > %s", [anchored - 3])
    result = audit.verify()
    assert not result.ok
    assert f"ends at event {anchored - 3}" in result.reason and f"covers {anchored} events" in result.reason


def test_deleting_every_event_is_detected(anchored: int) -> None:
    with _Tamper():
        _raw("DELETE FROM core_auditevent")
    result = audit.verify()
    assert not result.ok and result.checked == 0
    assert "empty but 1 checkpoints exist" in result.reason


def test_rewriting_with_recomputed_hashes_is_detected(anchored: int) -> None:
    with _Tamper():
        _raw("UPDATE core_auditevent SET actor = 'mallory' WHERE sequence = 5")
        _recompute_from(5)
    result = audit.verify()
    assert not result.ok and result.broken_sequence == 5
    assert "seal does not match" in result.reason


def test_rewriting_with_recomputed_hashes_and_copied_seals_differs_from_the_checkpoint(anchored: int) -> None:
    # Even an attacker who could seal (or the seals unchecked: an outside verifier with only the
    # public key) is caught by the signed checkpoint.
    public = Path(settings.CLEARINGHOUSE_AUDIT_SIGNING_KEY_FILE).with_suffix(".pub")
    public.write_text(anchor.public_key_pem())
    with _Tamper():
        _raw("UPDATE core_auditevent SET actor = 'mallory' WHERE sequence = 5")
        _recompute_from(5)
    result = audit.verify(public_key=public)
    assert not result.ok and result.broken_sequence == anchored
    assert "differs from the checkpoint" in result.reason
    assert "seals not checked" in " ".join(result.warnings)


def test_a_forged_event_appended_after_the_last_checkpoint_is_detected(anchored: int) -> None:
    last = AuditEvent.objects.get(sequence=anchored)
    forged = AuditEvent(
        sequence=anchored + 1,
        created_at=last.created_at,
        actor="mallory",
        action="update",
        object_type="participants.participant",
        object_id="1",
        after={"name": "Forged"},
        prev_hash=last.hash,
    )
    forged.hash = audit.compute_hash(forged, last.hash)
    # INSERT is what the triggers allow: no tampering with the guard is needed.
    forged.save(force_insert=True)
    result = audit.verify()
    assert not result.ok and result.broken_sequence == anchored + 1 and "no seal" in result.reason
    # A made-up seal does not help.
    with _Tamper():
        AuditEvent.objects.filter(sequence=anchored + 1).update(seal="0" * 64)
    result = audit.verify()
    assert result.broken_sequence == anchored + 1 and "seal does not match" in result.reason


def test_missing_guard_triggers_are_detected(anchored: int) -> None:
    remove_append_only_guard()
    try:
        result = audit.verify()
        assert not result.ok and "guard triggers missing" in result.reason
    finally:
        install_append_only_guard()
    assert audit.verify().ok


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE guard is PostgreSQL's")
def test_truncate_is_refused_and_a_dropped_truncate_guard_detected(anchored: int) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _raw("TRUNCATE core_auditevent")
    assert AuditEvent.objects.count() == anchored
    _raw("DROP TRIGGER core_auditevent_no_truncate ON core_auditevent")
    try:
        result = audit.verify()
        assert not result.ok and "core_auditevent_no_truncate" in result.reason
    finally:
        install_append_only_guard()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL triggers")
def test_a_disabled_trigger_counts_as_missing(anchored: int) -> None:
    _raw("ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_append_only")
    try:
        assert "core_auditevent_append_only" in audit.verify().reason
    finally:
        _raw("ALTER TABLE core_auditevent ENABLE TRIGGER core_auditevent_append_only")


def test_a_checkpoint_signed_with_another_key_is_refused(anchored: int, tmp_path: Path) -> None:
    path = anchor.checkpoint_path()
    lines = path.read_text().splitlines()
    forged = json.loads(lines[0])
    forged["sequence"] = 1
    path.write_text(json.dumps(forged) + "\n")
    result = audit.verify()
    assert not result.ok and "no valid signature" in result.reason


def test_checkpoints_accumulate_and_every_one_is_checked(anchored: int) -> None:
    admin = _admin()
    governed_handover(admin, "GBR", dt.date(2027, 6, 1), accept_as=admin)  # after the first checkpoint
    second = anchor.write_checkpoint()
    assert second.sequence == AuditEvent.objects.count() > anchored
    assert len(anchor.read_checkpoints(anchor.checkpoint_path())) == 2
    with _Tamper():
        _raw("DELETE FROM core_auditevent WHERE sequence > %s", [anchored])
    result = audit.verify()
    assert not result.ok and f"covers {second.sequence} events" in result.reason


def _admin() -> Any:
    from clearinghouse.participants.services import create_user

    return create_user(actor=None, username="anchor-admin", participant="NATO", role="admin", password=None)


def test_files_are_owner_only(anchored: int) -> None:
    for path in (anchor.key_path(), anchor.checkpoint_path()):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_events_are_sealed_and_carry_their_door(reference_data: None) -> None:
    event = AuditEvent.objects.order_by("-sequence").first()
    assert event is not None and len(event.seal) == 64
    key = anchor.private_key(create=False)
    assert key is not None and anchor.seal_matches(event.hash, event.seal, key)


def test_cli_checkpoint_then_verify_against_the_default_and_an_exported_file(
    anchored: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("audit", "checkpoint")
    assert f"{anchored} events" in capsys.readouterr().out
    call_command("audit", "verify")
    assert f"{anchored} events verified against 2 checkpoints" in capsys.readouterr().out
    # An exported copy (and the public key alone) verify the same chain elsewhere.
    exported = tmp_path / "exported.jsonl"
    exported.write_bytes(anchor.checkpoint_path().read_bytes())
    call_command("audit", "public-key")
    public = tmp_path / "key.pub"
    public.write_text(capsys.readouterr().out)
    call_command("audit", "verify", "--checkpoints", str(exported), "--public-key", str(public))
    assert "verified against 2 checkpoints" in capsys.readouterr().out
    with _Tamper():
        _raw("DELETE FROM core_auditevent WHERE sequence = %s", [anchored])
    with pytest.raises(CommandError, match="events were removed"):
        call_command("audit", "verify", "--checkpoints", str(exported))


def test_verify_without_checkpoints_warns(reference_data: None) -> None:
    result = audit.verify()
    assert result.ok and "no checkpoints" in " ".join(result.warnings)


def test_api_verify_reports_checkpoints(anchored: int, personas: dict[str, Any], api_client) -> None:
    client = api_client(personas["auditor"])
    body = client.get("/api/v1/audit/verify").json()
    assert body["ok"] is True and body["checkpoints"] == 1
    with _Tamper():
        _raw("DELETE FROM core_auditevent WHERE sequence > %s", [anchored - 1])
    body = client.get("/api/v1/audit/verify").json()
    assert body["ok"] is False and "removed" in body["reason"]


def test_a_kiel_import_writes_a_checkpoint(personas: dict[str, Any]) -> None:
    from clearinghouse.tracker import services as ingest_services
    from clearinghouse.tracker.tests.kiel_files import R29

    assert not anchor.checkpoint_path().exists()
    ingest_services.import_kiel_release(actor=personas["admin"], directory=R29)
    marks = anchor.read_checkpoints(anchor.checkpoint_path())
    assert len(marks) == 1 and marks[0].sequence == AuditEvent.objects.count()


def test_a_spreadsheet_import_writes_a_checkpoint(personas: dict[str, Any], tmp_path: Path) -> None:
    from clearinghouse import spreadsheets
    from clearinghouse.pledges import spreadsheets as pledge_spreadsheets
    from clearinghouse.pledges.tests import factories

    factories.ensure_catalog()
    path = tmp_path / "pledges.csv"
    path.write_text(
        ",".join(pledge_spreadsheets.COLUMNS)
        + "\nUSA-CP-1,USA,in_kind,AMM-155-HE,100,,,,2024-02-01,contact_group,\n"
    )
    before = AuditEvent.objects.count()
    spreadsheets.import_file(actor=personas["donor_usa"], path=path, kind="pledges")
    assert AuditEvent.objects.count() > before
    marks = anchor.read_checkpoints(anchor.checkpoint_path())
    assert len(marks) == 1 and marks[0].sequence == AuditEvent.objects.count()


def test_the_test_fixtures_keep_anchors_out_of_the_data_dir() -> None:
    assert Path(settings.DATA_DIR) not in Path(settings.CLEARINGHOUSE_CHECKPOINT_FILE).parents
    assert Path(settings.DATA_DIR) not in Path(settings.CLEARINGHOUSE_AUDIT_SIGNING_KEY_FILE).parents
