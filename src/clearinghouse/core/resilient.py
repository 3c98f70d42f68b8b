"""One record that cannot be read must not take a whole page down with it.

A row the database holds but Python cannot turn into values (a decimal column holding text or a
number beyond any Decimal context, a date before year 1 or after 9999, a value written around the
services by hand) used to raise while a list was read, so every list, export, report and page that
included that row answered 500 for everyone until somebody repaired the database.

`ResilientQuerySetMixin` (mixed into `core.models.RestrictedQuerySet`, so every domain model has it)
reads as usual; only when reading fails does it read the same query again one record at a time,
leave out each record that cannot be read, and log it as an error with its model and id:

    clearinghouse.unreadable: pledges.Pledge 17 cannot be read and is left out (InvalidOperation: ...)

What is not done this way, on purpose: a locked read (`select_for_update`, the services' reads
before a write) still fails, so nothing is ever written on the strength of a partial read; and a
grouped or distinct-values query (an aggregate) still fails rather than give a wrong total.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from django.db import DataError
from django.db.models import QuerySet, prefetch_related_objects

logger = logging.getLogger("clearinghouse.unreadable")

# What converting a stored value can raise (decimal.InvalidOperation is an ArithmeticError; the
# PostgreSQL driver's conversion errors arrive as django.db.DataError).
UNREADABLE = (ArithmeticError, ValueError, TypeError, UnicodeDecodeError, DataError)


def log_unreadable(what: str, ident: Any, exc: BaseException) -> None:
    """The one log line for a record left out of a list, export or report."""
    logger.error("%s %s cannot be read and is left out (%s: %s)", what, ident, type(exc).__name__, exc)


class ResilientQuerySetMixin(QuerySet[Any]):
    """A queryset whose lists leave out (and log) the records that cannot be read.

    (Django's private queryset attributes are not in its type stubs: `qs: Any` reaches them.)
    """

    def _recoverable(self) -> bool:
        qs: Any = self
        query = qs.query
        return not (query.select_for_update or query.group_by or (query.distinct and qs._fields))

    def _one_by_one(self, first: BaseException) -> list[Any]:
        """The query's rows read one primary key at a time, unreadable ones left out and logged."""
        qs: Any = self
        label = qs.model._meta.label
        keys = qs._chain()
        keys._result_cache = None
        keys._prefetch_related_lookups = ()
        try:
            pks = list(QuerySet.values_list(keys, "pk", flat=True))
        except UNREADABLE:
            raise first from None
        rows: list[Any] = []
        base = qs._chain()
        base.query.clear_limits()
        base.query.clear_ordering(force=True)
        base._prefetch_related_lookups = ()
        for pk in pks:
            one = base.filter(pk=pk)
            try:
                rows.extend(one._iterable_class(one))
            except UNREADABLE as exc:
                log_unreadable(label, pk, exc)
        return rows

    def _fetch_all(self) -> None:
        qs: Any = self
        if qs._result_cache is None:
            try:
                qs._result_cache = list(qs._iterable_class(qs))
            except UNREADABLE as exc:
                if not self._recoverable():
                    raise
                qs._result_cache = self._one_by_one(exc)
        if qs._prefetch_related_lookups and not qs._prefetch_done:
            qs._prefetch_related_objects()

    def iterator(self, chunk_size: int | None = None) -> Iterator[Any]:
        if not self._recoverable():
            yield from super().iterator(chunk_size)
            return
        qs: Any = self
        try:
            # Read whole before yielding, so that a failure part-way yields nothing twice.
            rows: list[Any] = list(super().iterator(chunk_size))
        except UNREADABLE as exc:
            rows = self._one_by_one(exc)
            if qs._prefetch_related_lookups:
                prefetch_related_objects(rows, *qs._prefetch_related_lookups)
        yield from rows
