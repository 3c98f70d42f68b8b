"""API routes for tokens, the audit chain, sessions and background jobs."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from clearinghouse.core import account_services, audit, jobs, selectors, services
from clearinghouse.core.actors import signed_in
from clearinghouse.core.errors import PermissionDenied
from clearinghouse.core.models import ApiToken, AuditEvent, UserSession
from clearinghouse.core.pagination import LimitOffsetPagination
from clearinghouse.core.schemas import (
    AuditEventOut,
    AuditVerifyOut,
    ErrorOut,
    JobOut,
    SessionOut,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
)
from clearinghouse.core.validation import Id

tokens_router = Router(tags=["tokens"])
audit_router = Router(tags=["audit"])
sessions_router = Router(tags=["sessions"])
jobs_router = Router(tags=["jobs"])


@tokens_router.get("", response=list[TokenOut])
@paginate(LimitOffsetPagination)
def list_tokens(request: HttpRequest) -> QuerySet[ApiToken]:
    """Your personal API tokens (never the token itself)."""
    return selectors.token_list(user=request.user)


@tokens_router.post("", response={201: TokenCreatedOut, 403: ErrorOut, 422: ErrorOut})
def create_token(request: HttpRequest, payload: TokenIn) -> Status[Any]:
    """Create a personal API token (signed in with a session: a token cannot create tokens); the
    response carries it once. It expires after `days` (default and most: 90, set by the operator)."""
    new = services.create_token(
        actor=request.user,
        user=signed_in(request.user),
        name=payload.name,
        days=payload.days,
        by_token=getattr(request, "api_token", None) is not None,
    )
    out = TokenOut.from_orm(new.token).dict()
    return Status(201, {**out, "token": new.raw})


@tokens_router.delete("/{token_id}", response={200: TokenOut, 404: ErrorOut})
def revoke_token(request: HttpRequest, token_id: Id) -> ApiToken:
    """Revoke one of your tokens."""
    return services.revoke_token(actor=request.user, token_id=token_id)


def _require_auditor(request: HttpRequest) -> None:
    if not AuditEvent.readable_by(request.user):
        raise PermissionDenied("Only auditors read the audit chain.")


@audit_router.get("/events", response={200: list[AuditEventOut], 403: ErrorOut})
@paginate(LimitOffsetPagination)
def list_events(
    request: HttpRequest,
    object_type: str | None = None,
    object_id: str | None = None,
    actor: str | None = None,
) -> QuerySet[AuditEvent]:
    """The audit chain, in sequence order (auditors only)."""
    _require_auditor(request)
    return selectors.audit_event_list(
        user=request.user, object_type=object_type, object_id=object_id, actor=actor
    )


@audit_router.get("/verify", response={200: AuditVerifyOut, 403: ErrorOut})
def verify_chain(request: HttpRequest) -> dict[str, Any]:
    """Recompute the chain and report the first broken link (auditors only)."""
    _require_auditor(request)
    result = audit.verify()
    return {
        "ok": result.ok,
        "checked": result.checked,
        "broken_sequence": result.broken_sequence,
        "reason": result.reason,
        "checkpoints": result.checkpoints,
        "warnings": list(result.warnings),
    }


@sessions_router.get("", response=list[SessionOut])
@paginate(LimitOffsetPagination)
def list_sessions(request: HttpRequest) -> QuerySet[UserSession]:
    """Your signed-in browser sessions (an admin sees everybody's)."""
    return selectors.session_list(user=request.user)


@sessions_router.delete("/{session_id}", response={204: None, 404: ErrorOut})
def revoke_session(request: HttpRequest, session_id: int) -> Status[Any]:
    """End one of your browser sessions: whoever uses it is signed out at once."""
    account_services.revoke_session(actor=request.user, session_id=session_id)
    return Status(204, None)


@jobs_router.get("/{job_id}", response={200: JobOut, 404: ErrorOut})
def get_job(request: HttpRequest, job_id: Id):  # type: ignore[no-untyped-def]
    """A background job you started (coordinators and admins: any job): state, progress, result or
    error. A job whose worker died is answered `failed`, never `running` forever."""
    return jobs.as_json(jobs.get_job(user=request.user, job_id=job_id))
