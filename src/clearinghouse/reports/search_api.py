"""GET /api/v1/search?q=: the global search (reports/search.py) as JSON."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from clearinghouse.core.schemas import ErrorOut
from clearinghouse.reports import search

router = Router(tags=["search"])


class HitOut(Schema):
    kind: str
    id: str
    title: str
    detail: str
    url: str


class SearchOut(Schema):
    q: str
    results: dict[str, list[HitOut]]
    count: int


@router.get("", response={200: SearchOut, 422: ErrorOut})
def search_records(request: HttpRequest, q: str = "") -> dict[str, Any]:
    """Requirements, pledges, packages, meetings and participants matching `q` (two characters or more;
    a number finds the record with that id) that you may see, by kind, at most 20 of each."""
    text = search.clean_query(q)
    return search.as_json(text, search.search(user=request.user, q=text))
