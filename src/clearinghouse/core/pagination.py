"""The API's one paginator: `limit` and `offset`, both bounded.

django-ninja's own `LimitOffsetPagination` leaves `offset` unbounded, so `?offset=2**63` reached the
database and failed there (a 500). Here it stops at 2**63 - 1 like every integer from outside
(`core.validation`); a larger value is a 422 naming `query.offset`.
"""

from __future__ import annotations

from django.conf import settings
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination as NinjaLimitOffsetPagination

from clearinghouse.core.validation import MAX_ID


class LimitOffsetPagination(NinjaLimitOffsetPagination):
    """`?limit=` (1 to NINJA_PAGINATION_MAX_LIMIT) and `?offset=` (0 to 2**63 - 1)."""

    class Input(Schema):
        limit: int = Field(settings.NINJA_PAGINATION_PER_PAGE, ge=1, le=settings.NINJA_PAGINATION_MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_ID)
