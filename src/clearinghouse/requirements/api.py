"""API routes of the requirements app."""

from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Router
from ninja.pagination import paginate

from clearinghouse.core import idempotency
from clearinghouse.core.etag import etag_for, tag_created
from clearinghouse.core.openapi import FILE_RESPONSES
from clearinghouse.core.pagination import LimitOffsetPagination
from clearinghouse.core.schemas import ErrorOut
from clearinghouse.core.validation import Id
from clearinghouse.requirements import selectors, services, spreadsheets
from clearinghouse.requirements.choices import Priority, RequirementStatus
from clearinghouse.requirements.models import Requirement
from clearinghouse.requirements.schemas import CancelIn, RequirementIn, RequirementOut, RequirementPatch

router = Router(tags=["requirements"])

ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 412: ErrorOut, 422: ErrorOut}


def _detail(request: HttpRequest, response: HttpResponse, requirement_id: Id) -> Requirement:
    requirement = selectors.get_requirement(user=request.user, requirement_id=requirement_id)
    response["ETag"] = etag_for(requirement)
    return requirement


@router.get("", response=list[RequirementOut])
@paginate(LimitOffsetPagination)
def list_requirements(
    request: HttpRequest,
    capability: str | None = None,
    priority: Priority | None = None,
    status: RequirementStatus | Literal["mostly_covered"] | None = None,
    item_type: str | None = None,
    q: str | None = None,
) -> QuerySet[Requirement]:
    """Requirements you may see, most urgent first; filter by capability, priority, status, item type.

    Coverage and status count every allocation, including those from pledges not releasable to you,
    without giving those away: see each item's `coverage` (and docs/confidentiality.md).
    """
    return selectors.requirement_list(
        user=request.user, capability=capability, priority=priority, status=status, item_type=item_type, q=q
    )


@router.post("", response={201: RequirementOut, **ERRORS})
def create_requirement(request: HttpRequest, payload: RequirementIn) -> JsonResponse:
    """Enter a requirement (the recipient's officers). Send `Idempotency-Key` to make retries safe."""

    def create() -> tuple[int, dict[str, Any]]:
        created = services.create_requirement(actor=request.user, data=payload.dict())
        requirement = selectors.get_requirement(user=request.user, requirement_id=created.pk)
        return 201, idempotency.to_json(RequirementOut.from_orm(requirement).model_dump())

    return tag_created(idempotency.run(request, create), "requirements.requirement")


@router.get("/export", response={200: None, 422: ErrorOut}, openapi_extra=FILE_RESPONSES)
def export_requirements(request: HttpRequest, format: str = "csv", hxl: bool = False) -> HttpResponse:
    """Every requirement you may see as a `csv` or `xlsx` file in the import's columns (re-imports as is);
    `hxl=true`: the CSV with the HXL hashtag row under the header."""
    content, content_type, name = spreadsheets.export_file(user=request.user, fmt=format, hxl=hxl)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.get("/{requirement_id}", response={200: RequirementOut, 404: ErrorOut})
def get_requirement(request: HttpRequest, response: HttpResponse, requirement_id: Id) -> Requirement:
    """One requirement, with its coverage; the `ETag` header is what a later PATCH sends as `If-Match`."""
    return _detail(request, response, requirement_id)


@router.patch("/{requirement_id}", response={200: RequirementOut, **ERRORS})
def update_requirement(
    request: HttpRequest, response: HttpResponse, requirement_id: Id, payload: RequirementPatch
) -> Requirement:
    """Change some fields (the owning recipient's officers); a stale `If-Match` gets 412."""
    services.update_requirement(
        actor=request.user,
        requirement_id=requirement_id,
        changes=payload.dict(exclude_unset=True),
        if_match=request.headers.get("If-Match"),
    )
    return _detail(request, response, requirement_id)


@router.post("/{requirement_id}/cancel", response={200: RequirementOut, **ERRORS})
def cancel_requirement(
    request: HttpRequest, response: HttpResponse, requirement_id: Id, payload: CancelIn
) -> Requirement:
    """Cancel a requirement with nothing allocated and undelivered (the owning recipient's officers),
    giving the reason (`{"reason": "..."}`, required; kept in the audit chain)."""
    services.cancel_requirement(
        actor=request.user,
        requirement_id=requirement_id,
        if_match=request.headers.get("If-Match"),
        reason=payload.reason,
    )
    return _detail(request, response, requirement_id)
