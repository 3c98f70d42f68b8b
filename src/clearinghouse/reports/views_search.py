"""The global search page (/search/?q=): the same search as GET /api/v1/search."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from clearinghouse.core.errors import InvalidInput
from clearinghouse.reports import search


@login_required
def search_page(request: HttpRequest) -> HttpResponse:
    """Records of every kind you may see that match the words typed in the header's search box."""
    error = ""
    try:
        q = search.clean_query(request.GET.get("q"))
    except InvalidInput as exc:
        q, error = "", exc.message
    found = search.search(user=request.user, q=q)
    groups = [(kind, search.LABELS[kind], found[kind]) for kind in search.KINDS]
    return render(
        request,
        "reports/search.html",
        {
            "q": q,
            "error": error,
            "groups": groups,
            "count": sum(len(h) for h in found.values()),
            "limit": search.LIMIT,
        },
    )
