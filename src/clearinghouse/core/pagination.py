"""The API's one paginator: `limit` and `offset`, both bounded; a page leaves out a bad record.

django-ninja's own `LimitOffsetPagination` leaves `offset` unbounded, so `?offset=2**63` reached the
database and failed there (a 500). Here it stops at 2**63 - 1 like every integer from outside
(`core.validation`); a larger value is a 422 naming `query.offset`.

A record that cannot be read is left out of the page by the queryset itself (`core.resilient`);
one that can be read but not shown in the page's schema is left out here, and logged with its id,
so that the rest of the page still answers.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination as NinjaLimitOffsetPagination
from pydantic import ValidationError, ValidatorFunctionWrapHandler, field_validator

from clearinghouse.core.errors import InvalidInput
from clearinghouse.core.resilient import UNREADABLE, log_unreadable
from clearinghouse.core.validation import MAX_ID


def _ident(item: Any) -> tuple[str, Any]:
    meta = getattr(item, "_meta", None)
    if meta is not None:
        return meta.label, getattr(item, "pk", "?")
    if isinstance(item, dict):
        return "record", item.get("id", item.get("code", "?"))
    return type(item).__name__, "?"


class Page(Schema):
    """A page of items; an item its schema refuses is left out and logged instead of failing the page."""

    items: list[Any]
    count: int

    @field_validator("items", mode="wrap")
    @classmethod
    def _leave_out_what_cannot_be_shown(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except (ValidationError, *UNREADABLE):
            if not isinstance(value, list):
                raise
        kept: list[Any] = []
        for item in value:
            try:
                kept.extend(handler([item]))
            except (ValidationError, *UNREADABLE) as exc:
                what, ident = _ident(item)
                log_unreadable(what, ident, exc)
        return kept


class LimitOffsetPagination(NinjaLimitOffsetPagination):
    """`?limit=` (1 to NINJA_PAGINATION_MAX_LIMIT), `?offset=` (0 to 2**63 - 1) and, on a list ordered
    by id (pledges: newest first), `?cursor=ID`: the items after the one with that id (the last id of
    the page before), read by the index instead of skipping `offset` rows (at 50,000 pledges
    `offset=49000` cost PostgreSQL 180-310 ms). The answer keeps its shape, `{"items", "count"}`
    (`count` of the whole list); a list in another order refuses a cursor (422 `query.cursor`)."""

    class Input(Schema):
        limit: int = Field(settings.NINJA_PAGINATION_PER_PAGE, ge=1, le=settings.NINJA_PAGINATION_MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_ID)
        cursor: int | None = Field(
            None,
            ge=0,
            le=MAX_ID,
            description="On a list ordered by id: the items after this id (the last id of the page before).",
        )

    Output = Page  # type: ignore[assignment]  # ninja declares Output as a Schema class

    def paginate_queryset(self, queryset: Any, pagination: Any, request: Any, **params: Any) -> Any:
        cursor = getattr(pagination, "cursor", None)
        if cursor is None or not isinstance(queryset, QuerySet):
            return super().paginate_queryset(queryset, pagination, request, **params)
        order = tuple(queryset.query.order_by) or tuple(queryset.model._meta.ordering or ())
        if order in (("-id",), ("-pk",)):
            after = queryset.filter(pk__lt=cursor)
        elif order in (("id",), ("pk",)):
            after = queryset.filter(pk__gt=cursor)
        else:
            raise InvalidInput(
                "cursor: this list is not ordered by id; page it by offset", field="query.cursor"
            )
        offset = pagination.offset
        limit: int = min(pagination.limit, self.max_limit)
        return {self.items_attribute: after[offset : offset + limit], "count": self._items_count(queryset)}
