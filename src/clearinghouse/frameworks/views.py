"""Pages of the frameworks app: the frameworks, and one framework's fair share against actual."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from clearinghouse.core.errors import DomainError
from clearinghouse.frameworks import selectors
from clearinghouse.frameworks.choices import Source

SORTS = {
    "participant": lambda m: m["participant"],
    "share": lambda m: Decimal(m["share"]),
    "fair_share": lambda m: Decimal(m["fair_share"]),
    "actual": lambda m: Decimal(m["actual"]),
    "gap": lambda m: Decimal(m["gap"]),
}
COLUMNS = [
    ("participant", "Member", False),
    ("share", "Share", True),
    ("fair_share", "Fair share", True),
    ("actual", "Actual", True),
    ("gap", "Gap", True),
]


@login_required
def framework_list(request: HttpRequest) -> HttpResponse:
    """Frameworks with their period, yearly target, key and exempt members."""
    return render(
        request, "frameworks/framework_list.html", {"frameworks": selectors.framework_list(user=request.user)}
    )


def _sorted(members: list[dict[str, Any]], sort: str, order: str) -> list[dict[str, Any]]:
    key = SORTS.get(sort, SORTS["share"])
    return sorted(members, key=key, reverse=order != "asc")


@login_required
def framework_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The status table: share, fair share, actual and gap per member, sortable; a gap highlighted."""
    framework = selectors.get_framework(user=request.user, slug=slug)
    start, end = request.GET.get("from") or None, request.GET.get("to") or None
    source = request.GET.get("source") or None
    sort = request.GET.get("sort") or "share"
    if sort not in SORTS:
        sort = "share"
    order = "asc" if request.GET.get("order") == "asc" else "desc"
    data: dict[str, Any] | None = None
    error: DomainError | None = None
    try:
        chosen, status = selectors.status_of(
            framework, user=request.user, start=start, end=end, source=source
        )
        data = selectors.status_dict(framework, chosen, status)
        members = [{**m, "short": Decimal(m["gap"]) > 0} for m in data["members"]]
        data["members"] = _sorted(members, sort, order)
    except DomainError as exc:
        error = exc
    params = {"from": start or "", "to": end or "", "source": source or ""}
    columns = [
        {
            "key": key,
            "label": label,
            "num": num,
            "active": key == sort,
            "order": order,
            "next": "asc" if key == sort and order == "desc" else "desc",
        }
        for key, label, num in COLUMNS
    ]
    return render(
        request,
        "frameworks/framework_detail.html",
        {
            "framework": framework,
            "data": data,
            "error": error,
            "params": params,
            "sources": Source.choices,
            "columns": columns,
            "sort": sort,
            "order": order,
            "exempt": selectors.exempt_codes(framework),
        },
        status=422 if error is not None else 200,
    )
