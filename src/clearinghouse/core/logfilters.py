"""Logging filters. A refused request (403) is routine, not a fault: it gets one log line with the
path and the reason, never the traceback Django attaches to a PermissionDenied."""

from __future__ import annotations

import logging


class OneLineForbidden(logging.Filter):
    """Drop the traceback of 403 records on `django.request`; keep the exception's message."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403 and record.exc_info:
            exc = record.exc_info[1]
            detail = str(exc).splitlines()[0] if exc is not None and str(exc) else ""
            if detail:
                # The message is a %-format string with its args: escape the detail's own % signs.
                record.msg = f"{record.msg} ({detail.replace('%', '%%')})"
            record.exc_info = None
            record.exc_text = None
        return True
