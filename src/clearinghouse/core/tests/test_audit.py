"""The audit chain: written by services, append-only in the database, tamper-evident."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from clearinghouse.core import audit
from clearinghouse.core.audit import install_append_only_guard, remove_append_only_guard
from clearinghouse.core.models import AuditEvent
from clearinghouse.governance import services as governance
from clearinghouse.governance.tests.factories import adopted_handover, incoming_coordinator
from clearinghouse.participants import services
from clearinghouse.participants.models import CoordinationMandate

pytestmark = pytest.mark.django_db


def _raw(sql: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cur:
        cur.execute(sql, params or [])


def test_reference_load_is_audited_once(reference_data: None) -> None:
    count = AuditEvent.objects.count()
    assert count > 40
    services.load_reference_data()
    assert AuditEvent.objects.count() == count, "an update that changes nothing must write no event"
    assert audit.verify().ok


def test_handover_writes_two_linked_events(personas: dict[str, Any]) -> None:
    # A handover is decided (adopted by a body) and then accepted by the incoming participant.
    handover = adopted_handover(personas["coordinator"], "GBR", dt.date(2026, 6, 1))
    before = AuditEvent.objects.count()
    governance.accept_handover(actor=incoming_coordinator("GBR"), handover_id=handover.pk)
    events = list(
        AuditEvent.objects.filter(action="handover").order_by("sequence").filter(sequence__gt=before)
    )
    assert [e.action for e in events] == ["handover", "handover"]
    assert events[0].before["end"] is None and events[0].after["end"] == "2026-06-01"
    assert events[0].actor == "gbr_coord" and events[0].actor_participant == "GBR"
    assert events[1].prev_hash == events[0].hash
    assert events[0].request_id and events[0].request_id == events[1].request_id


def test_update_and_delete_fail_in_the_database(reference_data: None) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _raw("UPDATE core_auditevent SET actor = 'mallory'")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _raw("DELETE FROM core_auditevent")
    assert audit.verify().ok


@pytest.fixture
def tamperable(reference_data: None):
    """Lift the guard, as an attacker with database access would, then restore it."""
    remove_append_only_guard()
    yield
    install_append_only_guard()


def test_edit_is_detected(tamperable: None) -> None:
    _raw("UPDATE core_auditevent SET actor = 'mallory' WHERE sequence = 5")
    result = audit.verify()
    assert not result.ok and result.broken_sequence == 5 and "hash" in result.reason


def test_json_edit_is_detected(tamperable: None) -> None:
    event = AuditEvent.objects.get(sequence=3)
    assert event.after is not None
    after = dict(event.after)
    after["name"] = "Forged"
    AuditEvent.objects.filter(sequence=3).update(after=after)
    assert audit.verify().broken_sequence == 3


def test_delete_is_detected(tamperable: None) -> None:
    _raw("DELETE FROM core_auditevent WHERE sequence = 7")
    result = audit.verify()
    assert result.broken_sequence == 8 and "missing" in result.reason


def test_delete_of_the_last_event_leaves_a_consistent_prefix(tamperable: None) -> None:
    # Truncating the tail is only detectable against a count kept elsewhere: verify reports the count.
    total = AuditEvent.objects.count()
    _raw("DELETE FROM core_auditevent WHERE sequence = %s", [total])
    assert audit.verify().checked == total - 1


def test_insert_is_detected(tamperable: None) -> None:
    # Shift later events up by one to make room (in reverse, to keep `sequence` unique), then insert.
    for seq in (
        AuditEvent.objects.filter(sequence__gte=10).order_by("-sequence").values_list("sequence", flat=True)
    ):
        _raw("UPDATE core_auditevent SET sequence = %s WHERE sequence = %s", [seq + 1, seq])
    prev = AuditEvent.objects.get(sequence=9)
    forged = AuditEvent(
        sequence=10,
        created_at=prev.created_at,
        actor="mallory",
        action="update",
        object_type="x",
        object_id="1",
        prev_hash=prev.hash,
    )
    forged.hash = audit.compute_hash(forged, prev.hash)
    forged.save()
    result = audit.verify()
    # The forged event links and hashes correctly, but nobody without the key can seal it.
    assert result.broken_sequence == 10 and "seal" in result.reason


def test_reorder_is_detected(tamperable: None) -> None:
    _raw("UPDATE core_auditevent SET sequence = 999999 WHERE sequence = 4")
    _raw("UPDATE core_auditevent SET sequence = 4 WHERE sequence = 5")
    _raw("UPDATE core_auditevent SET sequence = 5 WHERE sequence = 999999")
    result = audit.verify()
    assert result.broken_sequence == 4


def test_cli_verify(reference_data: None, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("audit", "verify")
    n = AuditEvent.objects.count()
    assert f"{n} events verified" in capsys.readouterr().out


def test_cli_verify_names_the_broken_event(tamperable: None) -> None:
    _raw("UPDATE core_auditevent SET action = 'x' WHERE sequence = 2")
    with pytest.raises(CommandError, match="broken at event 2"):
        call_command("audit", "verify")


@pytest.mark.django_db(transaction=True)
def test_record_refuses_to_run_outside_a_transaction(reference_data: None) -> None:
    mandate = CoordinationMandate.objects.first()
    with pytest.raises(RuntimeError):
        audit.record(actor=None, action="update", obj=mandate, after={"x": 1})
