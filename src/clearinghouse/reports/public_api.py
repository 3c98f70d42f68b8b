"""The anonymous public API (`/api/v1/public/...`): the public page's figures for anyone, no account.

Every answer is the public page's table as its selector computes it (`public=True`: the tracker's
published figures, or the `public` records with small cells suppressed), wrapped as
`{"release", "citation", "url", "rows": [...]}` with money as decimal strings. Answers carry a strong
`ETag` (a digest of the body) and `Cache-Control: public, max-age=PUBLIC_API_MAX_AGE`; a request
whose `If-None-Match` names the current tag gets 304 and no body. Each client address may make
`PUBLIC_API_RATE_LIMIT` requests per `PUBLIC_API_RATE_WINDOW` seconds (counted in Django's cache,
shared by every app process); beyond that, 429 with `Retry-After`.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any, Literal

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from ninja.params.functions import Query
from pydantic import Field

from clearinghouse.core import busy, clock
from clearinghouse.core.schemas import ErrorOut
from clearinghouse.core.throttle import client_address
from clearinghouse.core.validation import Id
from clearinghouse.reports import citation, selectors
from clearinghouse.reports.schemas import (
    DonorOut,
    GroupOut,
    ReleaseRef,
    SuppressionOut,
    TotalsRowOut,
    WeaponsRowOut,
)
from clearinghouse.tracker import selectors as tracker_selectors

router = Router(tags=["public"], auth=None)

Source = Literal["tracker", "records"]
AidType = Literal["military", "financial", "humanitarian", "total"]
RESPONSES: dict[int, Any] = {304: None, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}
RELEASE_HELP = "A tracker release by number (default: the current one); cite with it to keep the figures."


class PublicOut(Schema):
    release: ReleaseRef | None = Field(description="The tracker release the figures come from.")
    citation: str = Field(description="How to cite this table: source, release and its stable address.")
    url: str = Field(description="The table's stable address: its parameters and its release.")
    source: str
    source_label: str
    unit: str = "EUR billion"
    suppression: SuppressionOut | None = None


class PublicTotalsOut(PublicOut):
    by: str
    columns: list[str]
    rows: list[TotalsRowOut]


class PublicDonorsOut(PublicOut):
    type: str
    per_gdp: bool
    from_month: str | None = None
    to_month: str | None = None
    ranked_by: str
    rows: list[DonorOut]


class PublicGroupsOut(PublicOut):
    rows: list[GroupOut] = Field(description="Each group, then all donors (`group`: all_donors).")


class PublicWeaponsOut(PublicOut):
    rows: list[WeaponsRowOut]
    by_category: list[WeaponsRowOut]
    by_donor: list[WeaponsRowOut]


class PublicReleaseOut(Schema):
    number: int
    period: str
    date: str
    label: str
    citation: str
    is_current: bool
    url: str = Field(description="The totals of this release (its stable address).")


class PublicReleasesOut(Schema):
    release: ReleaseRef | None
    citation: str
    url: str
    rows: list[PublicReleaseOut]


# --- rate limit and caching ---------------------------------------------------------------------


def retry_after(request: HttpRequest) -> int | None:
    """Count this request against its address's window; the seconds to wait when over the limit."""
    limit = int(settings.PUBLIC_API_RATE_LIMIT)
    window = max(1, int(settings.PUBLIC_API_RATE_WINDOW))
    moment = clock.now().timestamp()
    slot = int(moment // window)
    who = hashlib.sha256(client_address(request).encode()).hexdigest()[:32]
    key = f"public-api:{who}:{slot}"
    try:
        # A count on a read path: waits a moment at most for the (database cache's) lock; while
        # long work holds it the request is let through uncounted rather than kept waiting.
        with busy.quick_lock():
            cache.add(key, 0, window + 1)
            try:
                count = cache.incr(key)
            except ValueError:  # the entry expired between add and incr
                cache.set(key, 1, window + 1)
                count = 1
    except DatabaseError:
        return None
    if count <= limit:
        return None
    return max(1, math.ceil((slot + 1) * window - moment))


def _too_many(wait: int) -> HttpResponse:
    body = {"detail": f"Too many requests from your address: try again in {wait} s."}
    response = HttpResponse(json.dumps(body), status=429, content_type="application/json")
    response["Retry-After"] = str(wait)
    return response


def _tags(header: str) -> set[str]:
    return {t.strip().removeprefix("W/") for t in header.split(",") if t.strip()}


def answer(request: HttpRequest, schema: type[Schema], envelope: dict[str, Any]) -> HttpResponse:
    """The envelope as JSON through its schema (money as decimal strings), with ETag and caching."""
    body = json.dumps(
        schema.model_validate(envelope).model_dump(mode="json"), ensure_ascii=False, separators=(",", ":")
    ).encode()
    tag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    given = request.headers.get("If-None-Match", "")
    if given and (tag in _tags(given) or "*" in _tags(given)):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["ETag"] = tag
    response["Cache-Control"] = f"public, max-age={int(settings.PUBLIC_API_MAX_AGE)}"
    return response


def envelope(
    request: HttpRequest, report: str, params: dict[str, Any], payload: dict[str, Any]
) -> dict[str, Any]:
    """The payload with the release, its stable address and the text to cite it by."""
    url = request.build_absolute_uri(citation.stable_url(f"/api/v1/public/{report}", params, payload))
    return {**payload, "url": url, "citation": citation.cite(report, payload, url)}


def throttled(request: HttpRequest) -> HttpResponse | None:
    wait = retry_after(request)
    return None if wait is None else _too_many(wait)


# --- the routes -----------------------------------------------------------------------------------


@router.get("/totals", response={200: PublicTotalsOut, **RESPONSES})
def public_totals(
    request: HttpRequest,
    by: Literal["year", "month"] = "year",
    source: Source = "tracker",
    release: Id | None = Query(None, description=RELEASE_HELP),
) -> HttpResponse:
    """Aid by year or month and type (EUR billion), as on the public page. No account needed."""
    if (limited := throttled(request)) is not None:
        return limited
    params: dict[str, Any] = {"by": by, "source": source}
    payload = selectors.totals_report(user=None, public=True, release=release, **params)
    return answer(request, PublicTotalsOut, envelope(request, "totals", params, payload))


@router.get("/donors", response={200: PublicDonorsOut, **RESPONSES})
def public_donors(
    request: HttpRequest,
    type: AidType = "total",
    per_gdp: bool = False,
    month_from: str | None = Query(None, alias="from", description="First month, YYYY-MM"),
    month_to: str | None = Query(None, alias="to", description="Last month, YYYY-MM"),
    source: Source = "tracker",
    release: Id | None = Query(None, description=RELEASE_HELP),
) -> HttpResponse:
    """Donors ranked by one type of aid, or by its percent of 2021 GDP. No account needed."""
    if (limited := throttled(request)) is not None:
        return limited
    payload = selectors.donors_report(
        user=None,
        type=type,
        per_gdp=per_gdp,
        month_from=month_from,
        month_to=month_to,
        source=source,
        public=True,
        release=release,
    )
    params = {"type": type, "per_gdp": per_gdp, "from": month_from, "to": month_to, "source": source}
    out = envelope(request, "donors", params, payload)
    out["rows"] = out.pop("donors")
    return answer(request, PublicDonorsOut, out)


@router.get("/groups", response={200: PublicGroupsOut, **RESPONSES})
def public_groups(
    request: HttpRequest,
    source: Source = "tracker",
    release: Id | None = Query(None, description=RELEASE_HELP),
) -> HttpResponse:
    """Aid by group of donors (allies, partners, EU27, …) and type, then all donors. No account needed."""
    if (limited := throttled(request)) is not None:
        return limited
    payload = selectors.groups_report(user=None, source=source, public=True, release=release)
    out = envelope(request, "groups", {"source": source}, payload)
    out["rows"] = [*out.pop("groups"), out.pop("all_donors")]
    return answer(request, PublicGroupsOut, out)


@router.get("/weapons", response={200: PublicWeaponsOut, **RESPONSES})
def public_weapons(
    request: HttpRequest,
    source: Source = "tracker",
    release: Id | None = Query(None, description=RELEASE_HELP),
) -> HttpResponse:
    """Heavy weapons by category and donor: count and value. No account needed."""
    if (limited := throttled(request)) is not None:
        return limited
    payload = selectors.weapons_report(user=None, source=source, public=True, release=release)
    return answer(request, PublicWeaponsOut, envelope(request, "weapons", {"source": source}, payload))


@router.get("/releases", response={200: PublicReleasesOut, **RESPONSES})
def public_releases(
    request: HttpRequest,
    limit: int = Query(100, ge=1, le=1000, description="At most this many releases, newest first."),
) -> HttpResponse:
    """The imported tracker releases, newest first, each with the stable address of its totals."""
    if (limited := throttled(request)) is not None:
        return limited
    releases = list(tracker_selectors.release_list(user=None)[:limit])
    current = tracker_selectors.release_list(user=None).filter(is_current=True).first()
    rows = [
        {
            **selectors.release_meta(r),
            "is_current": r.is_current,
            "url": request.build_absolute_uri(f"/api/v1/public/totals?release={r.number}"),
        }
        for r in releases
    ]
    meta = selectors.release_meta(current) if current else None
    url = request.build_absolute_uri("/api/v1/public/releases")
    payload = {"release": meta, "source": "tracker"}
    body = {"release": meta, "url": url, "citation": citation.cite("releases", payload, url), "rows": rows}
    return answer(request, PublicReleasesOut, body)
