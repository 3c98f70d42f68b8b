"""Pages of the catalog: item types with their unit, compatibility family and reference price."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from clearinghouse.catalog import selectors
from clearinghouse.core import clock


@login_required
def catalog_list(request: HttpRequest) -> HttpResponse:
    """Item types by capability area, with the reference price in force today and its history."""
    capability = request.GET.get("capability") or ""
    q = (request.GET.get("q") or "").strip()
    items = selectors.item_type_list(user=request.user, capability=capability or None, q=q or None)
    page = Paginator(items, 100).get_page(request.GET.get("page"))
    today = clock.today()
    rows = []
    for item in page.object_list:
        prices = sorted(item.prices.all(), key=lambda p: p.valid_from)  # prefetched: no query
        in_force = [p for p in prices if p.valid_from <= today]
        rows.append((item, in_force[-1] if in_force else None, prices))
    return render(
        request,
        "catalog/catalog_list.html",
        {
            "page": page,
            "rows": rows,
            "capabilities": selectors.capability_list(user=request.user),
            "capability": capability,
            "q": q,
        },
    )
