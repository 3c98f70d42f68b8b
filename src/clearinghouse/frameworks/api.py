"""API routes of the frameworks app: the frameworks and each one's status."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.params.functions import Query

from clearinghouse.core.schemas import ErrorOut
from clearinghouse.frameworks import selectors
from clearinghouse.frameworks.models import Framework
from clearinghouse.frameworks.schemas import FrameworkOut, FrameworkStatusOut

router = Router(tags=["frameworks"])


def framework_out(f: Framework) -> dict[str, Any]:
    return {
        "slug": f.slug,
        "title": f.title,
        "start": f.start,
        "end": f.end,
        "target_amount": f.target_amount,
        "currency": f.currency,
        "group": f.group.code,
        "burden_key": f.burden_key.code,
        "exempt": sorted(p.code for p in f.exempt.all()),
        "counts": f.counts,
        "default_source": f.default_source,
        "source_note": f.source_note,
        "notes": f.notes,
    }


@router.get("", response=list[FrameworkOut])
def list_frameworks(request: HttpRequest) -> list[dict[str, Any]]:
    """Frameworks: one payment, several promises (a contribution counts toward each whose rule it meets)."""
    return [framework_out(f) for f in selectors.framework_list(user=request.user)]


@router.get("/{slug}", response={200: FrameworkOut, 404: ErrorOut})
def get_framework(request: HttpRequest, slug: str) -> dict[str, Any]:
    """One framework."""
    return framework_out(selectors.get_framework(user=request.user, slug=slug))


@router.get("/{slug}/status", response={200: FrameworkStatusOut, 404: ErrorOut, 422: ErrorOut}, by_alias=True)
def framework_status(
    request: HttpRequest,
    slug: str,
    from_: str | None = Query(None, alias="from", description="First day, YYYY-MM-DD"),
    to: str | None = Query(None, description="Last day, YYYY-MM-DD"),
    source: str | None = Query(None, description="records or kiel (default: the framework's)"),
) -> dict[str, Any]:
    """Every member's share, fair share (yearly target × share × period in years), actual military aid
    in the period (`source`: records or kiel) and gap (fair share − actual). `from`/`to` (YYYY-MM-DD)
    default to the framework's period. Amounts are decimal strings in the framework's currency."""
    framework = selectors.get_framework(user=request.user, slug=slug)
    chosen, status = selectors.status_of(framework, user=request.user, start=from_, end=to, source=source)
    return selectors.status_dict(framework, chosen, status)
