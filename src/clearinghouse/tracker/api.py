"""API routes of the Kiel tracker releases: the imported releases and what a release revised."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate
from ninja.params.functions import Query

from clearinghouse.core import jobs as core_jobs
from clearinghouse.core.pagination import LimitOffsetPagination
from clearinghouse.core.schemas import ErrorOut, JobOut
from clearinghouse.core.validation import Id
from clearinghouse.tracker import jobs, selectors
from clearinghouse.tracker.models import KielRelease
from clearinghouse.tracker.schemas import ReleaseOut, RevisionOut

router = Router(tags=["kiel"])


@router.get("/releases", response=list[ReleaseOut])
@paginate(LimitOffsetPagination)
def list_releases(request: HttpRequest) -> QuerySet[KielRelease]:
    """Imported releases of the Kiel tracker, newest first, with the rows that break their identities."""
    return selectors.release_list(user=request.user)


# The multipart body, declared by hand: the handler checks who may import before it reads the files.
UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "The release's CSV files, or one ZIP of them.",
                        }
                    },
                }
            }
        },
    }
}


@router.post("/releases", response={202: JobOut, 403: ErrorOut, 422: ErrorOut}, openapi_extra=UPLOAD_BODY)
def upload_release(request: HttpRequest) -> Any:
    """Import a release from its CSV files, or a ZIP of them (multipart, field `files`; the
    coordination cell's coordinators and analysts, or an admin): a background job (202), all or
    nothing as on the command line. Follow it at GET /api/v1/jobs/{id}: its error names file, row
    and column; its result links the revisions against the previous release."""
    uploaded = [(f.name or "", f.read()) for f in request.FILES.getlist("files")]
    job = jobs.start_upload(actor=request.user, files=uploaded)
    return Status(202, core_jobs.as_json(job))


@router.get("/releases/{number}", response={200: ReleaseOut, 404: ErrorOut})
def get_release(request: HttpRequest, number: Id) -> KielRelease:
    """One imported release by its number."""
    return selectors.get_release(user=request.user, number=number)


@router.get("/revisions", response={200: list[RevisionOut], 422: ErrorOut})
@paginate(LimitOffsetPagination)
def list_revisions(
    request: HttpRequest,
    from_release: Id | None = Query(None, alias="from", description="Older release (default: second latest)"),
    to_release: Id | None = Query(None, alias="to", description="Newer release (default: latest)"),
) -> list[dict[str, Any]]:
    """Values that differ between two releases: donor, month, type, old, new (EUR billion)."""
    old, new, changes = selectors.revisions(
        user=request.user, from_release=from_release, to_release=to_release
    )
    return [
        {
            "from_release": old.number,
            "to_release": new.number,
            "participant": c.participant,
            "name": c.name,
            "period": c.period,
            "year": c.year,
            "month": c.month,
            "type": c.type,
            "old": c.old,
            "new": c.new,
            "change": c.change,
        }
        for c in changes
    ]
