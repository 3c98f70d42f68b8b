"""Build test data once per test process and restore it cheaply in every test that asks for it.

The reference data (participants, groups, mandates) and the personas are made through the services
(with their audit events) by the first test of a worker that asks for them; the rows they wrote are
captured and, in every later test, inserted again in one transaction. A test sees exactly what the
services would have left: the same rows, the same primary keys, the same audit chain, sealed with
the worker's signing key (written into the test's temporary key file before the rows go in).

Restoring is only taken when it is sure to be equivalent: the tables it fills must be empty and the
test's key file absent or holding the worker's key. Otherwise the data is built through the services
again, as it always was. Non-transactional tests roll the restored rows back with everything else;
transactional tests flush them, and the next test restores them again.

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
class Snapshot:
    """Rows one build step wrote, table by table (column attnames to values), and the state it started
    from: the keys already in those tables and the head of the audit chain."""

    rows: dict[Any, list[dict[str, Any]]] = field(default_factory=dict)
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
                columns = [f.attname for f in model._meta.concrete_fields]
                snapshot.rows[model] = list(
                    model._default_manager.filter(pk__in=new).order_by("pk").values(*columns)
                )
                snapshot.before[model] = before[model]
        return snapshot

    def applies(self) -> bool:
        """The database is in the state the snapshot was taken from (so restoring equals building)."""
        return _audit_head() == self.head and all(_pks(m) == keys for m, keys in self.before.items())

    def restore(self) -> None:
        from django.core.management.color import no_style
        from django.db import connection, transaction

        # One transaction: the foreign keys (deferred on SQLite and PostgreSQL) are checked at its end,
        # so the tables may be filled in any order.
        with transaction.atomic():
            for model, rows in self.rows.items():
                model._default_manager.bulk_create([model(**row) for row in rows])
            # PostgreSQL: explicit keys do not move the sequences; move them past the rows restored.
            sql = connection.ops.sequence_reset_sql(no_style(), list(self.rows))
            if sql:
                with connection.cursor() as cursor:
                    for statement in sql:
                        cursor.execute(statement)


class Step:
    """One build step (`build`, through the services), captured at its first run in this process and
    restored afterwards when the database is in the state it was captured from."""

    def __init__(self, build: Callable[[], None]) -> None:
        self.build = build
        self.snapshot: Snapshot | None = None

    def run(self) -> None:
        if not _use_worker_key():
            self.build()  # the test brought its own signing key: seal through the services
        elif self.snapshot is None:
            self.snapshot = Snapshot.around(self.build)
        elif self.snapshot.applies():
            self.snapshot.restore()
        else:
            self.build()
