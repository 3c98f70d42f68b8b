"""Build test data once per test process and restore it cheaply in every test that asks for it.

The reference data (participants, groups, mandates) and the personas are made through the services
(with their audit events) by the first test of a worker that asks for them; the rows they wrote are
captured and, in every later test, inserted again in one transaction. A test sees exactly what the
services would have left: the same rows, the same primary keys, the same audit chain, sealed with
the worker's signing key (written into the test's temporary key file before the rows go in).

Restoring is only taken when it is sure to be equivalent: the tables it fills must hold the keys they
held when the rows were captured (usually none), the audit chain must end where it ended then, and the
test's key file must be absent or hold the worker's key. Otherwise the data is built through the
services again, as it always was (and captured for the next test in that state).

Non-transactional tests roll the restored rows back with everything else; transactional tests flush
them, and the next test restores them again.

Django code is imported inside the functions so that the pure engine's tests need no Django.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_SIGNING_KEY: list[bytes] = []


def signing_key_pem() -> bytes:
    """The Ed25519 key (PEM) that seals the audit events of the data built in this process."""
    if not _SIGNING_KEY:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        _SIGNING_KEY.append(
            Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return _SIGNING_KEY[0]


def _use_worker_key() -> bool:
    """Make the test's signing key file hold the worker's key; False if it already holds another."""
    from clearinghouse.core import anchor

    path: Path = anchor.key_path()
    pem = signing_key_pem()
    if path.exists():
        return path.read_bytes() == pem
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return True


def _models() -> list[Any]:
    from django.apps import apps

    return [m for m in apps.get_models(include_auto_created=True) if m._meta.managed and not m._meta.proxy]


def _pks(model: Any) -> set[Any]:
    return set(model._default_manager.values_list("pk", flat=True))


def _audit_head() -> tuple[int, str] | None:
    from clearinghouse.core.models import AuditEvent

    last = AuditEvent.objects.order_by("-sequence").values_list("sequence", "hash").first()
    return None if last is None else (last[0], last[1])


@dataclass
class Table:
    """The rows one build step wrote into one table, ready for an INSERT (values prepared for the
    database at capture time; `fresh` columns, `auto_now`/`auto_now_add`, take the time of restoring)."""

    model: Any
    sql: str
    rows: list[list[Any]]
    fresh: list[tuple[int, Any]]

    @classmethod
    def capture(cls, model: Any, pks: set[Any]) -> Table:
        from django.db import connection

        fields = list(model._meta.concrete_fields)
        quote = connection.ops.quote_name
        sql = (
            f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))})"
        )
        rows = [
            [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]
            for obj in model._default_manager.filter(pk__in=pks).order_by("pk")
        ]
        fresh = [
            (i, f)
            for i, f in enumerate(fields)
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        ]
        return cls(model, sql, rows, fresh)

    def params(self) -> list[list[Any]]:
        if not self.fresh:
            return self.rows
        from django.db import connection

        from clearinghouse.core import clock

        now = clock.now()
        values = {
            i: f.get_db_prep_save(now.date() if f.get_internal_type() == "DateField" else now, connection)
            for i, f in self.fresh
        }
        return [[values.get(i, v) for i, v in enumerate(row)] for row in self.rows]


@dataclass
class Snapshot:
    """The rows one build step wrote, and the state it started from: the keys already in those tables
    and the head of the audit chain."""

    tables: list[Table] = field(default_factory=list)
    before: dict[Any, set[Any]] = field(default_factory=dict)
    head: tuple[int, str] | None = None

    @classmethod
    def around(cls, build: Callable[[], None]) -> Snapshot:
        before = {model: _pks(model) for model in _models()}
        head = _audit_head()
        build()
        snapshot = cls(head=head)
        for model in _models():
            new = _pks(model) - before[model]
            if new:
                snapshot.tables.append(Table.capture(model, new))
                snapshot.before[model] = before[model]
        return snapshot

    def applies(self) -> bool:
        """The database is in the state the snapshot was taken from (so restoring equals building)."""
        if _audit_head() != self.head:
            return False
        for model, keys in self.before.items():
            same = not model._default_manager.exists() if not keys else _pks(model) == keys
            if not same:
                return False
        return True

    def restore(self) -> None:
        from django.core.management.color import no_style
        from django.db import connection, transaction

        # One transaction: the foreign keys (deferred on SQLite and PostgreSQL) are checked at its end,
        # so the tables may be filled in any order.
        with transaction.atomic(), connection.cursor() as cursor:
            for table in self.tables:
                cursor.executemany(table.sql, table.params())
            # PostgreSQL: explicit keys do not move the sequences; move them past the rows restored.
            for statement in connection.ops.sequence_reset_sql(no_style(), [t.model for t in self.tables]):
                cursor.execute(statement)


class Step:
    """One build step (`build`, through the services): captured each time it has to be built, and
    restored instead whenever the database is in a state it was captured from (usually the empty
    database of a fresh test; also, e.g., the state a module-scoped fixture leaves for its tests)."""

    KEEP = 4

    def __init__(self, build: Callable[[], None]) -> None:
        self.build = build
        self.snapshots: list[Snapshot] = []

    def run(self) -> None:
        if not _use_worker_key():
            self.build()  # the test brought its own signing key: seal through the services
            return
        for snapshot in self.snapshots:
            if snapshot.applies():
                snapshot.restore()
                return
        self.snapshots = [Snapshot.around(self.build), *self.snapshots][: self.KEEP]
