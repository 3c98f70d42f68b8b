"""Logs as JSON lines, one object a line, and never a secret in them.

Every record carries the request id of the request or command it belongs to; the request log
(`clearinghouse.request`, one line per answered request) adds the user, the route name, the method,
the path (never its query string), the status and the duration. `RedactSecrets` runs on every record
before any handler writes it: bearer tokens, Authorization and Cookie values, and anything shaped
`password=...`, `token=...`, `secret=...` (or the JSON equivalent) become `[redacted]`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from clearinghouse.core.context import current_request_id_or_none

REDACTED = "[redacted]"
_SECRET_WORDS = r"(?:password|passwd|pwd|token|secret|api[_-]?key|authorization|cookie|sessionid|csrftoken)"
_PATTERNS = [
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"),
    # key=value and key: value (headers, query strings, form bodies, Python reprs)
    re.compile(rf"(?i)(\b[\w-]*{_SECRET_WORDS}[\w-]*['\"]?\s*[=:]\s*)(?!\[redacted\])(['\"]?)[^\s,;&'\"}}]+"),
]
# Fields a request log line may carry besides the standard ones; anything else passed as `extra` is dropped.
_FIELDS = ("user", "route", "method", "path", "status", "duration_ms", "job_id", "kind")


def redact(text: str) -> str:
    """The text with every token, password and secret value replaced by `[redacted]`."""
    text = _PATTERNS[0].sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    return _PATTERNS[1].sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)


class RedactSecrets(logging.Filter):
    """Rewrite a record's message and traceback with secrets redacted (the record is changed in place)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        # The traceback is formatted once here, redacted, and cached where every formatter looks first.
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        for name in _FIELDS:
            value = getattr(record, name, None)
            if isinstance(value, str):
                setattr(record, name, redact(value))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, and the request fields."""

    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        rid = getattr(record, "request_id", None) or current_request_id_or_none()
        if rid:
            body["request_id"] = rid
        for name in _FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                body[name] = value
        if record.exc_text:
            body["error"] = redact(record.exc_text)
        elif record.exc_info:
            body["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(body, default=str, ensure_ascii=False)


request_logger = logging.getLogger("clearinghouse.request")


class RequestLogMiddleware:
    """One log line and one latency observation per answered request (after the request id is bound)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from clearinghouse.core.metrics import observe_request

        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        match = getattr(request, "resolver_match", None)
        route = (match.view_name or match.url_name or "") if match is not None else ""
        route = route or ("static" if request.path.startswith("/static/") else "unmatched")
        observe_request(route, request.method or "", response.status_code, seconds)
        user = getattr(request, "user", None)
        request_logger.info(
            "%s %s %s",
            request.method,
            route,
            response.status_code,
            extra={
                "request_id": getattr(request, "request_id", None),
                "user": user.get_username() if user is not None and user.is_authenticated else "",
                "route": route,
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 2),
            },
        )
        return response
