"""The audit chain: every write appends an event whose hash covers the event and the previous hash.

`record` must be called inside the service's `transaction.atomic()`, so the event and the change
commit or roll back together; it seals each event with a key kept outside the database (see
`core.anchor`). `verify` recomputes the whole chain, checks every seal, checks the chain against
the signed checkpoints and checks that the database's guard triggers are in place.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from clearinghouse.core import anchor, bulk, clock, signals
from clearinghouse.core.actors import Actor, account_or_none
from clearinghouse.core.context import current_door, current_request_id_or_none, new_request_id
from clearinghouse.core.models import AuditEvent

GENESIS_HASH = "0" * 64
# Any constant works: it only has to be the same for every writer of the chain.
_PG_CHAIN_LOCK = 0x43484149  # "CHAI"


_PLAIN_JSON = frozenset({str, int, bool})


def jsonable(value: Any) -> Any:
    """Turn a value into plain JSON types, deterministically (Decimals and dates become strings)."""
    if value is None or type(value) in _PLAIN_JSON or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if isinstance(value, models.Model):
        return value.pk
    return str(value)


def snapshot(obj: models.Model, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The audited state of a model instance: concrete fields and many-to-many ids."""
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in exclude:
            continue
        data[field.attname] = jsonable(getattr(obj, field.attname))
    if obj.pk is not None:
        for m2m in obj._meta.many_to_many:
            if m2m.name not in exclude:
                data[m2m.name] = sorted(getattr(obj, m2m.name).values_list("pk", flat=True))
    return data


def canonical(payload: dict[str, Any]) -> bytes:
    """Canonical JSON: sorted keys, no spaces, UTF-8."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_payload(event: AuditEvent) -> dict[str, Any]:
    """The fields the hash covers, in JSON types (`via` and `origin` only when set, so that events
    written before they existed keep their hashes)."""
    payload = {
        "sequence": int(event.sequence),
        "created_at": jsonable(event.created_at),
        "actor": event.actor,
        "actor_participant": event.actor_participant,
        "request_id": event.request_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": str(event.object_id),
        "before": event.before,
        "after": event.after,
    }
    if event.via:
        payload["via"] = event.via
    if event.origin:
        payload["origin"] = event.origin
    return payload


def compute_hash(event: AuditEvent, prev_hash: str) -> str:
    """SHA-256 over the canonical JSON of the event and the previous hash."""
    return hashlib.sha256(canonical({"event": event_payload(event), "prev_hash": prev_hash})).hexdigest()


def _lock_chain() -> None:
    """Serialise appends so that sequence and prev_hash are taken from the true last event."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_CHAIN_LOCK])
    # SQLite: transactions are BEGIN IMMEDIATE (settings), so a writer already holds the write lock.


def _transaction_request_id() -> str:
    """The bound request id; outside a request or command, one id per outermost transaction."""
    bound = current_request_id_or_none()
    if bound:
        return bound
    outer = id(connection.atomic_blocks[0]) if connection.atomic_blocks else 0
    cached = getattr(connection, "_clearinghouse_txn_rid", None)
    if cached is None or cached[0] != outer:
        cached = (outer, new_request_id())
        connection._clearinghouse_txn_rid = cached  # type: ignore[attr-defined]  # per-transaction memo
    return cached[1]


@dataclass(frozen=True)
class Change:
    """One change to append to the chain (see `record` for the fields)."""

    action: str
    obj: models.Model | None = None
    object_type: str | None = None
    object_id: Any = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    # before and after are already plain JSON types (a `snapshot`): not converted again.
    json_ready: bool = False


class _Author:
    """Who writes (actor, participant, request, door): the same for every event of one call."""

    def __init__(self, actor: Actor | None) -> None:
        account = account_or_none(actor)
        door = current_door()
        self.actor = account.get_username() if account is not None else "system"
        self.participant = account.participant.code if account is not None and account.participant_id else ""
        self.request_id = _transaction_request_id()
        self.via = door.via
        self.origin = door.origin


class _Draft:
    """An event's fields before it is linked and inserted (bulk appends make thousands: lighter
    than model instances; `bulk.insert` reads the same attribute names)."""

    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)


def _draft(author: _Author, change: Change, created_at: dt.datetime) -> Any:
    """The event of a change, not yet linked into the chain; None when before == after."""
    convert: Callable[[Any], Any] = (lambda v: v) if change.json_ready else jsonable
    before_j = convert(change.before) if change.before is not None else None
    after_j = convert(change.after) if change.after is not None else None
    if before_j is not None and after_j is not None and before_j == after_j:
        return None
    object_type, object_id = change.object_type, change.object_id
    if change.obj is not None:
        object_type = object_type or change.obj._meta.label_lower
        object_id = change.obj.pk if object_id is None else object_id
    return _Draft(
        created_at=created_at,
        actor=author.actor,
        actor_participant=author.participant,
        request_id=author.request_id,
        action=change.action,
        object_type=object_type or "",
        object_id=str(object_id if object_id is not None else ""),
        before=before_j,
        after=after_j,
        via=author.via,
        origin=author.origin,
    )


def _append(drafts: list[Any]) -> list[Any]:
    """Link drafts into the chain and insert them: under the chain's lock, the last event read once,
    sequence, previous hash, hash and seal computed in memory, every event written in one go."""
    if not drafts:
        return drafts
    seal = anchor.sealer(anchor.private_key())
    _lock_chain()
    last = AuditEvent.objects.order_by("-sequence").values("sequence", "hash").first()
    prev_hash = last["hash"] if last else GENESIS_HASH
    sequence = last["sequence"] if last else 0
    for event in drafts:
        sequence += 1
        event.sequence = sequence
        event.prev_hash = prev_hash
        event.hash = compute_hash(event, prev_hash)
        event.seal = seal(event.hash)
        prev_hash = event.hash
    if len(drafts) == 1:
        event = AuditEvent(**drafts[0].__dict__)
        event.save(force_insert=True)
        return [event]
    bulk.insert(drafts, model=AuditEvent, with_pk=False)
    return drafts


def _now() -> dt.datetime:
    # Microseconds dropped: every database stores the value the hash was computed over.
    return clock.now().replace(microsecond=0)


def record(
    *,
    actor: Actor | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent | None:
    """Append one event for a change; returns None (and writes nothing) when before == after."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record must run inside the service's transaction")
    change = Change(action, obj, object_type, object_id, before, after)
    draft = _draft(_Author(actor), change, _now())
    if draft is None:
        return None
    buffer = _buffer()
    if buffer is not None:
        buffer.append(draft)
        _held_signals().append((draft, obj, actor))
        return None
    event: AuditEvent = _append([draft])[0]
    signals.audit_recorded.send(sender=AuditEvent, event=event, obj=obj, actor=actor)
    return event


def record_many(*, actor: Actor | None, changes: Iterable[Change]) -> int:
    """Append one event per change (bulk imports), exactly as `record` would one after another,
    in one go: the chain's lock taken once, the hashes computed in memory, one bulk insert.

    Must run inside the service's transaction, like `record`; unchanged changes write nothing.
    Returns how many events were appended.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record_many must run inside the service's transaction")
    author = _Author(actor)
    created_at = _now()
    drafts = [d for d in (_draft(author, c, created_at) for c in changes) if d is not None]
    buffer = _buffer()
    if buffer is not None:
        buffer.extend(drafts)
        return len(drafts)
    return len(_append(drafts))


def _buffer() -> list[Any] | None:
    """The events `deferred` is holding on this connection, or None when events append at once."""
    return getattr(connection, "_clearinghouse_audit_buffer", None)


def _held_signals() -> list[tuple[Any, models.Model | None, Actor | None]]:
    """The `audit_recorded` signals of the events `deferred` holds, sent once they are appended."""
    held: list[tuple[Any, models.Model | None, Actor | None]] | None = getattr(
        connection, "_clearinghouse_audit_signals", None
    )
    if held is None:
        held = []
        connection._clearinghouse_audit_signals = held  # type: ignore[attr-defined]  # per-connection
    return held


@contextmanager
def deferred() -> Iterator[None]:
    """Hold the events recorded inside the block and append them, in order, when it ends.

    For long work in one transaction (imports, clearing runs): the chain's lock (PostgreSQL's
    advisory lock is held until commit) is then taken only at the end, for the moment of appending
    the batch and committing, so other audited writers wait milliseconds instead of the whole
    import. Events are linked when appended: sequence and previous hash come from the true last
    event then, so the chain stays linear. Use it inside the work's `transaction.atomic()`, around
    all-or-nothing work only: an error leaving the block drops the held events with the
    transaction (a part undone alone by an inner savepoint must fail the whole, as imports do).
    Nested `deferred` blocks hold into the outermost one. `record` returns None for held events.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit.deferred must run inside the work's transaction")
    if _buffer() is not None:
        yield
        return
    held: list[Any] = []
    connection._clearinghouse_audit_buffer = held  # type: ignore[attr-defined]  # per-connection
    connection._clearinghouse_audit_signals = []  # type: ignore[attr-defined]
    try:
        yield
    finally:
        connection._clearinghouse_audit_buffer = None  # type: ignore[attr-defined]
        pending = _held_signals()
        connection._clearinghouse_audit_signals = None  # type: ignore[attr-defined]
    _append(held)
    for draft, obj, actor in pending:
        event = draft if isinstance(draft, AuditEvent) else AuditEvent(**draft.__dict__)
        signals.audit_recorded.send(sender=AuditEvent, event=event, obj=obj, actor=actor)


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of `verify`: events checked, the first problem (and its event, if one), notes."""

    checked: int
    broken_sequence: int | None = None
    reason: str = ""
    checkpoints: int = 0
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.reason


def verify(*, checkpoints: Path | None = None, public_key: Path | None = None) -> VerifyResult:
    """Recompute the chain, check seals, checkpoints (default: the data dir's file) and guard triggers.

    `public_key` lets somebody without the signing key check the checkpoints; seals then go unchecked.
    """
    warnings: list[str] = []
    try:
        key = None if public_key else anchor.private_key(create=False)
        verify_key = anchor.load_public_key(public_key) if public_key else (key.public_key() if key else None)
        marks = anchor.read_checkpoints(checkpoints or anchor.checkpoint_path())
    except anchor.AnchorError as exc:
        return VerifyResult(0, None, str(exc))
    if key is None:
        warnings.append("seals not checked: no signing key here")
    if marks and verify_key is None:
        return VerifyResult(0, None, f"{len(marks)} checkpoints but no key to check their signatures")
    for mark in marks:
        if verify_key is not None and not mark.signature_ok(verify_key):
            return VerifyResult(
                0, None, f"checkpoint on line {mark.line} has no valid signature (forged or another key)"
            )
    if not marks:
        warnings.append("no checkpoints: only the chain's own consistency was checked")
    anchored = max((m.sequence for m in marks), default=0)
    expected_at: dict[int, list[anchor.Checkpoint]] = {}
    for mark in marks:
        expected_at.setdefault(mark.sequence, []).append(mark)

    prev_hash = GENESIS_HASH
    expected = 1
    checked = 0
    result: VerifyResult | None = None
    with transaction.atomic():
        for event in AuditEvent.objects.order_by("sequence").iterator(chunk_size=2000):
            result = _check_event(event, expected, prev_hash, key, anchored, expected_at, checked)
            if result is not None:
                break
            prev_hash = event.hash
            expected += 1
            checked += 1
        guard = missing_guards()
    if result is not None:
        return VerifyResult(
            result.checked, result.broken_sequence, result.reason, len(marks), tuple(warnings)
        )
    beyond = [m for m in marks if m.sequence > checked]
    if beyond:
        mark = max(beyond, key=lambda m: m.sequence)
        reason = (
            f"the audit table is empty but {len(marks)} checkpoints exist (events were deleted)"
            if checked == 0
            else f"the chain ends at event {checked} but the checkpoint of {mark.created_at} (line "
            f"{mark.line}) covers {mark.sequence} events: events were removed"
        )
        return VerifyResult(checked, None, reason, len(marks), tuple(warnings))
    if guard:
        return VerifyResult(
            checked,
            None,
            f"guard triggers missing or altered: {', '.join(guard)}",
            len(marks),
            tuple(warnings),
        )
    return VerifyResult(checked, None, "", len(marks), tuple(warnings))


def _check_event(
    event: AuditEvent,
    expected: int,
    prev_hash: str,
    key: Any,
    anchored: int,
    expected_at: dict[int, list[anchor.Checkpoint]],
    checked: int,
) -> VerifyResult | None:
    """The first problem with one event, or None."""
    if event.sequence != expected:
        reason = (
            f"sequence {event.sequence} found where {expected} was expected (an event is missing)"
            if event.sequence > expected
            else f"sequence {event.sequence} repeats"
        )
        return VerifyResult(checked, event.sequence, reason)
    if event.prev_hash != prev_hash:
        return VerifyResult(checked, event.sequence, "previous-hash link does not match the event before it")
    if compute_hash(event, prev_hash) != event.hash:
        return VerifyResult(checked, event.sequence, "hash does not match the event's contents")
    if not event.seal:
        if event.sequence > anchored:
            return VerifyResult(
                checked, event.sequence, "event carries no seal and no checkpoint covers it (forged?)"
            )
    elif key is not None and not anchor.seal_matches(event.hash, event.seal, key):
        return VerifyResult(checked, event.sequence, "seal does not match: written without the signing key")
    for mark in expected_at.get(event.sequence, ()):
        if mark.hash != event.hash:
            return VerifyResult(
                checked,
                event.sequence,
                f"differs from the checkpoint of {mark.created_at} (line {mark.line}): "
                "the chain was rewritten",
            )
    return None


def checkpoint_after_import() -> anchor.Checkpoint | None:
    """Anchor the chain after a successful import (spreadsheets, Kiel releases); never fails the import."""
    return anchor.checkpoint_after_import()


APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS core_auditevent_no_update BEFORE UPDATE ON core_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'core_auditevent is append-only'); END;",
    "CREATE TRIGGER IF NOT EXISTS core_auditevent_no_delete BEFORE DELETE ON core_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'core_auditevent is append-only'); END;",
]
APPEND_ONLY_POSTGRES = [
    "CREATE OR REPLACE FUNCTION core_auditevent_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'core_auditevent is append-only'; END; $$ LANGUAGE plpgsql;",
    "DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent;",
    "CREATE TRIGGER core_auditevent_append_only BEFORE UPDATE OR DELETE ON core_auditevent "
    "FOR EACH ROW EXECUTE FUNCTION core_auditevent_append_only();",
    # Row triggers do not fire on TRUNCATE: a statement trigger refuses it.
    "DROP TRIGGER IF EXISTS core_auditevent_no_truncate ON core_auditevent;",
    "CREATE TRIGGER core_auditevent_no_truncate BEFORE TRUNCATE ON core_auditevent "
    "FOR EACH STATEMENT EXECUTE FUNCTION core_auditevent_append_only();",
]
GUARDS_SQLITE = ("core_auditevent_no_update", "core_auditevent_no_delete")
GUARDS_POSTGRES = ("core_auditevent_append_only", "core_auditevent_no_truncate")


def missing_guards(conn: Any = None) -> list[str]:
    """The append-only triggers that are missing, disabled or no longer refuse (empty when all hold)."""
    conn = conn or connection
    with conn.cursor() as cur:
        if conn.vendor == "postgresql":
            cur.execute(
                "SELECT t.tgname, p.prosrc FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
                "WHERE t.tgrelid = 'core_auditevent'::regclass AND NOT t.tgisinternal AND t.tgenabled <> 'D'"
            )
            present = {name for name, src in cur.fetchall() if "RAISE EXCEPTION" in src.upper()}
            expected = GUARDS_POSTGRES
        else:
            cur.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'core_auditevent'"
            )
            present = {name for name, sql in cur.fetchall() if "RAISE(ABORT" in (sql or "").upper()}
            expected = GUARDS_SQLITE
    return [name for name in expected if name not in present]


def install_append_only_guard(conn: Any = None) -> None:
    """Make UPDATE and DELETE on the audit table fail, in the database itself."""
    conn = conn or connection
    statements = APPEND_ONLY_POSTGRES if conn.vendor == "postgresql" else APPEND_ONLY_SQLITE
    with conn.cursor() as cur:
        for sql in statements:
            cur.execute(sql)


def remove_append_only_guard(conn: Any = None) -> None:
    """Lift the guard; only tests (tamper simulation, table flushes) ever call this."""
    conn = conn or connection
    with conn.cursor() as cur:
        if conn.vendor == "postgresql":
            cur.execute("DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent;")
            cur.execute("DROP TRIGGER IF EXISTS core_auditevent_no_truncate ON core_auditevent;")
        else:
            cur.execute("DROP TRIGGER IF EXISTS core_auditevent_no_update;")
            cur.execute("DROP TRIGGER IF EXISTS core_auditevent_no_delete;")
