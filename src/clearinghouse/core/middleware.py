"""Request id, the door an action came through, session timeouts, and pages' domain refusals."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.sessions.backends.base import UpdateError
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.handlers.exception import response_for_exception
from django.http import Http404, HttpRequest, HttpResponse

from clearinghouse.core import busy
from clearinghouse.core.context import request_context
from clearinghouse.core.errors import NotFound, PermissionDenied
from clearinghouse.core.releasability import membership_cache


class RequestIdMiddleware:
    """Bind a new request id and the door (page or api, client address) for audit events.

    A client's own X-Request-ID is never trusted as the id: anyone could send the id of another
    request and blur whose actions the audit chain groups together.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        via = "api" if request.path.startswith("/api/") else "page"
        origin = request.META.get("REMOTE_ADDR") or ""
        with request_context(via=via, origin=origin) as rid, membership_cache():
            request.request_id = rid  # type: ignore[attr-defined]  # per-request attribute
            response = self.get_response(request)
        response["X-Request-ID"] = rid
        return response


# A session's last activity is written at most this often (the idle timeout is minutes long).
TOUCH_SECONDS = 60


class SessionTimeoutMiddleware:
    """Log out a session idle for SESSION_IDLE_TIMEOUT or older than SESSION_ABSOLUTE_TIMEOUT."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        touch = False
        if user is not None and user.is_authenticated and "_auth_user_id" in request.session:
            now = int(time.time())
            started = request.session.get("started_at", now)
            last = request.session.get("last_seen_at", now)
            if (
                now - last > settings.SESSION_IDLE_TIMEOUT
                or now - started > settings.SESSION_ABSOLUTE_TIMEOUT
            ):
                logout(request)
            else:
                # Activity is noted at most once a TOUCH_SECONDS, never as a write that could fail a read.
                touch = (
                    now - last >= TOUCH_SECONDS
                    or "last_seen_at" not in request.session
                    or "started_at" not in request.session
                )
        response = self.get_response(request)
        if touch:
            self._touch(request)
        return response

    @staticmethod
    def _touch(request: HttpRequest) -> None:
        """Note the session's last activity. With the view's own changes to the session it is saved
        with them (SessionMiddleware); alone, it is a best-effort write outside any transaction,
        skipped when the database is busy (the read it rides on answers anyway)."""
        session = request.session
        if "_auth_user_id" not in session:  # signed out by the view
            return
        changed = session.modified
        now = int(time.time())
        session.setdefault("started_at", now)
        session["last_seen_at"] = now
        if changed:
            return

        def save() -> None:
            with contextlib.suppress(UpdateError):  # the session was deleted meanwhile (signed out)
                session.save()

        busy.best_effort(save, what="session activity")
        session.modified = False  # saved (or skipped): SessionMiddleware has nothing more to write


class DomainErrorPagesMiddleware:
    """Answer a page's domain refusals in one place, as the API's exception handlers do for the API:
    a `NotFound` (missing or invisible: the same answer) is the 404 page, a `PermissionDenied` the
    403 page. Views let them propagate; other domain errors are shown by the page that caught them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, NotFound):
            return response_for_exception(request, Http404(exception.message))
        if isinstance(exception, PermissionDenied):
            return response_for_exception(request, DjangoPermissionDenied(exception.message))
        return None
