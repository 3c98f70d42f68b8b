"""Bulk inserts for imports: many rows in one prepared statement, ids reserved beforehand.

Django's `bulk_create` prepares every value of every field through the field's machinery and, on
SQLite, sends at most 999 parameters per statement (about 35 pledges); for tens of thousands of
rows that costs more than the rest of an import together. Here the values of plain columns
(text, integers, booleans, foreign keys) go to the driver as they are, the others (dates, money,
JSON) through the field's own `get_db_prep_save`, so the stored values are exactly those of
`save()`, and one `executemany` writes them all.

Ids are reserved before the insert so that the caller knows every new row's id (its audit event
names it): on PostgreSQL from the table's own sequence; on SQLite past the highest id ever given
(`sqlite_sequence`), which is safe because a writing transaction holds the database's write lock
from its start (`BEGIN IMMEDIATE`, see settings) and AUTOINCREMENT never reuses an id.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models

from clearinghouse.core import clock

_PLAIN = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.ForeignKey)
_NOT_PLAIN = (models.DecimalField, models.JSONField)


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` new ids for `model`'s table, never given before and never given again."""
    if count <= 0:
        return []
    if not connection.in_atomic_block:
        raise RuntimeError("bulk.reserve_ids must run inside the writing transaction")
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, column, count],
            )
            return [row[0] for row in cur.fetchall()]
        cur.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cur.fetchone()
        cur.execute(f'SELECT MAX("{column}") FROM "{table}"')  # noqa: S608 (names from the model)
        highest = max(row[0] if row else 0, cur.fetchone()[0] or 0)
    return list(range(highest + 1, highest + 1 + count))


def insert(objs: Sequence[Any], *, model: type[models.Model] | None = None, with_pk: bool = True) -> None:
    """INSERT the (unsaved) instances, all of one model, in one statement run for every row.

    `with_pk`: the instances carry their ids (from `reserve_ids`); otherwise the database gives them
    and the instances do not learn them. `auto_now` fields get one time for the whole call.
    `model`: when the objects are not its instances but carry its fields' attribute names.
    """
    if not objs:
        return
    conn = connections[DEFAULT_DB_ALIAS]  # the connection itself: the proxy costs per access
    meta = (model or type(objs[0]))._meta
    fields = [f for f in meta.concrete_fields if with_pk or not f.primary_key]
    now = clock.now()
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            for obj in objs:
                setattr(obj, f.attname, now)
    prepare = [_prepare(f, conn) for f in fields]
    attnames = [f.attname for f in fields]
    columns = ", ".join(conn.ops.quote_name(str(f.column)) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {conn.ops.quote_name(meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    rows = [
        [
            value if p is None else p(value)
            for p, value in zip(prepare, map(obj.__dict__.get, attnames), strict=True)
        ]
        for obj in objs
    ]
    with conn.cursor() as cur:
        cur.executemany(sql, rows)


def _prepare(field: models.Field[Any, Any], conn: Any) -> Callable[[Any], Any] | None:
    """None when the driver takes the attribute's value as it is; else what prepares it (what
    `get_db_prep_save` gives, remembered per value: dates, currencies and rates repeat)."""
    if _is_plain(field):
        return None
    if isinstance(field, models.JSONField):
        return lambda value: field.get_db_prep_save(value, conn)
    seen: dict[Any, Any] = {}

    def prepare(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            seen[value] = prepared = field.get_db_prep_save(value, conn)
            return prepared
        except TypeError:  # unhashable
            return field.get_db_prep_save(value, conn)

    return prepare


def _is_plain(field: models.Field[Any, Any]) -> bool:
    """Whether the driver takes the attribute's value as it is (what `get_db_prep_save` would give)."""
    if not isinstance(field, _PLAIN) or isinstance(field, _NOT_PLAIN):
        return False
    # A field class of the project (money, say) may store values its own way.
    return type(field).__module__.startswith("django.")
