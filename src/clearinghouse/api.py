"""The one NinjaAPI at /api/v1/: routers of every app, auth, and error handling."""

from __future__ import annotations

from typing import Any

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from clearinghouse.catalog.api import router as catalog_router
from clearinghouse.clearing.api import router as clearing_router
from clearinghouse.core import busy
from clearinghouse.core.api import audit_router, jobs_router, sessions_router, tokens_router
from clearinghouse.core.api_docs import LocalSwagger
from clearinghouse.core.auth import API_AUTH
from clearinghouse.core.errors import DomainError
from clearinghouse.core.openapi import complete
from clearinghouse.frameworks.api import router as frameworks_router
from clearinghouse.funds.api import gdp_router, keys_router
from clearinghouse.funds.api import router as funds_router
from clearinghouse.governance.api import (
    bodies_router,
    decisions_router,
    handovers_router,
    mandate_handover_router,
    meetings_router,
)
from clearinghouse.inbox.api import inbox_router, notifications_router
from clearinghouse.logistics.api import (
    discrepancies_router,
    end_use_router,
    shipments_router,
    sites_router,
)
from clearinghouse.packages.api import router as packages_router
from clearinghouse.participants.api import mandates_router, me_router, participants_router, users_router
from clearinghouse.pledges.api import allocations_router, deliveries_router, pledges_router
from clearinghouse.reports.api import router as reports_router
from clearinghouse.reports.public_api import router as public_router
from clearinghouse.reports.search_api import router as search_router
from clearinghouse.requirements.api import router as requirements_router
from clearinghouse.tracker.api import router as kiel_router


class ClearinghouseAPI(NinjaAPI):
    """The NinjaAPI whose OpenAPI document also states the 400 and 422 answers (`core.openapi`)."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        return complete(super().get_openapi_schema(*args, **kwargs))


api = ClearinghouseAPI(
    title="Clearinghouse API",
    version="1",
    description="Coordination of security assistance: participants, requirements, pledges, the clearing "
    "house, the fund and transparency reports. Authenticate with `Authorization: Bearer <token>` "
    "(create one with `clearinghouse token create USERNAME` or POST /api/v1/tokens) or a browser session. "
    "The `/public/` operations need no account (docs/open-data.md).",
    auth=API_AUTH,
    urls_namespace="api",
    docs_url="/docs",
    docs=LocalSwagger(),
    openapi_url="/openapi.json",
)


def _translated(message: str) -> str:
    """The message in the request's language when the catalogue has it (never gettext("")),
    else as it is."""
    return gettext(message) if message else message


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    # Messages follow Accept-Language (LocaleMiddleware): those in the catalogue are translated,
    # the rest stay English; keys and field paths never change (docs/i18n.md).
    body: dict[str, object] = {"detail": _translated(exc.message)}
    if exc.field:
        body["field"] = exc.field
    return api.create_response(request, body, status=exc.status)


@api.exception_handler(OperationalError)
def database_busy(request: HttpRequest, exc: OperationalError) -> HttpResponse:
    """A lock not had in time (an import or a clearing run holds it): 503 with Retry-After."""
    if not busy.is_busy(exc):
        raise exc
    busy.logger.warning("database busy: %s %s answered 503 (%s)", request.method, request.path, exc)
    return busy.busy_response(request)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {
            "loc": list(e.get("loc", ())),
            "field": ".".join(str(p) for p in e.get("loc", ())),
            "msg": _translated(e.get("msg", "")),
        }
        for e in exc.errors
    ]
    first = errors[0] if errors else {"field": "", "msg": gettext("invalid input")}
    return api.create_response(
        request,
        {"detail": f"{first['field']}: {first['msg']}", "field": first["field"], "errors": errors},
        status=422,
    )


@api.exception_handler(AuthenticationError)
def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"detail": gettext("Authentication required.")}, status=401)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"detail": _translated(str(exc))}, status=exc.status_code)


api.add_router("/participants", participants_router)
api.add_router("/mandates", mandates_router)
api.add_router("/mandates", mandate_handover_router)
api.add_router("/bodies", bodies_router)
api.add_router("/meetings", meetings_router)
api.add_router("/decisions", decisions_router)
api.add_router("/handovers", handovers_router)
api.add_router("/tokens", tokens_router)
api.add_router("/sessions", sessions_router)
api.add_router("/audit", audit_router)
api.add_router("/jobs", jobs_router)
api.add_router("/me", me_router)
api.add_router("/users", users_router)
api.add_router("/catalog", catalog_router)
api.add_router("/requirements", requirements_router)
api.add_router("/pledges", pledges_router)
api.add_router("/allocations", allocations_router)
api.add_router("/deliveries", deliveries_router)
api.add_router("/packages", packages_router)
api.add_router("/sites", sites_router)
api.add_router("/shipments", shipments_router)
api.add_router("/discrepancies", discrepancies_router)
api.add_router("/end-use-checks", end_use_router)
api.add_router("/clearing", clearing_router)
api.add_router("/funds", funds_router)
api.add_router("/burden-keys", keys_router)
api.add_router("/gdp", gdp_router)
api.add_router("/frameworks", frameworks_router)
api.add_router("/kiel", kiel_router)
api.add_router("/reports", reports_router)
api.add_router("/public", public_router)
api.add_router("/inbox", inbox_router)
api.add_router("/notifications", notifications_router)
api.add_router("/search", search_router)
