"""The audit chain: every write appends an event whose hash covers the event and the previous hash.

`record` must be called inside the service's `transaction.atomic()`, so the event and the change
commit or roll back together. `verify` recomputes the whole chain and names the first broken link.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from clearinghouse.core.context import current_request_id_or_none, new_request_id
from clearinghouse.core.models import AuditEvent

GENESIS_HASH = "0" * 64
# Any constant works: it only has to be the same for every writer of the chain.
_PG_CHAIN_LOCK = 0x43484149  # "CHAI"


def jsonable(value: Any) -> Any:
    """Turn a value into plain JSON types, deterministically (Decimals and dates become strings)."""
    if value is None or isinstance(value, bool | int | str):
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
    """The fields the hash covers, in JSON types."""
    return {
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
        connection._clearinghouse_txn_rid = cached  # type: ignore[attr-defined]
    return cached[1]


def record(
    *,
    actor: Any,
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
    before_j = jsonable(before) if before is not None else None
    after_j = jsonable(after) if after is not None else None
    if before_j is not None and after_j is not None and before_j == after_j:
        return None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
    _lock_chain()
    last = AuditEvent.objects.order_by("-sequence").values("sequence", "hash").first()
    prev_hash = last["hash"] if last else GENESIS_HASH
    authenticated = getattr(actor, "is_authenticated", False)
    event = AuditEvent(
        sequence=(last["sequence"] + 1) if last else 1,
        # Microseconds dropped: every database stores the value the hash was computed over.
        created_at=timezone.now().replace(microsecond=0),
        actor=actor.get_username() if authenticated else "system",
        actor_participant=(actor.participant.code if authenticated and actor.participant_id else ""),
        request_id=_transaction_request_id(),
        action=action,
        object_type=object_type or "",
        object_id=str(object_id if object_id is not None else ""),
        before=before_j,
        after=after_j,
        prev_hash=prev_hash,
    )
    event.hash = compute_hash(event, prev_hash)
    event.save(force_insert=True)
    return event


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of `verify`: how many events were checked and the first problem, if any."""

    checked: int
    broken_sequence: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_sequence is None


def verify() -> VerifyResult:
    """Recompute the chain in sequence order; report the first event that does not fit."""
    prev_hash = GENESIS_HASH
    expected = 1
    checked = 0
    with transaction.atomic():
        for event in AuditEvent.objects.order_by("sequence").iterator(chunk_size=2000):
            if event.sequence != expected:
                reason = (
                    f"sequence {event.sequence} found where {expected} was expected (an event is missing)"
                    if event.sequence > expected
                    else f"sequence {event.sequence} repeats"
                )
                return VerifyResult(checked, event.sequence, reason)
            if event.prev_hash != prev_hash:
                return VerifyResult(
                    checked, event.sequence, "previous-hash link does not match the event before it"
                )
            if compute_hash(event, prev_hash) != event.hash:
                return VerifyResult(checked, event.sequence, "hash does not match the event's contents")
            prev_hash = event.hash
            expected += 1
            checked += 1
    return VerifyResult(checked)


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
]


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
        else:
            cur.execute("DROP TRIGGER IF EXISTS core_auditevent_no_update;")
            cur.execute("DROP TRIGGER IF EXISTS core_auditevent_no_delete;")
