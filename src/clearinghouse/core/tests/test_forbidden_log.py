"""A 403 writes one line to the server log, not a traceback (issue 9, item 18)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def _forbidden_records(caplog: Any) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "django.request" and getattr(r, "status_code", 0) == 403]


def test_a_forbidden_page_logs_one_line(personas: dict[str, Any], page_client: Any, caplog: Any) -> None:
    caplog.set_level(logging.WARNING)
    response = page_client(personas["donor_usa"]).get("/clearing/")  # the cell's page
    assert response.status_code == 403
    [record] = _forbidden_records(caplog)
    assert record.exc_info is None and record.exc_text is None
    line = record.getMessage()
    assert "\n" not in line and "/clearing/" in line and "Forbidden" in line
    assert "Traceback" not in caplog.text


def test_a_forbidden_api_call_logs_one_line(personas: dict[str, Any], api_client: Any, caplog: Any) -> None:
    caplog.set_level(logging.WARNING)
    response = api_client(personas["analyst"]).post(
        "/api/v1/clearing/runs", {"lateness_penalty": 100}, content_type="application/json"
    )
    assert response.status_code == 403
    records = _forbidden_records(caplog)
    assert len(records) == 1 and records[0].exc_info is None
    assert "Traceback" not in caplog.text


def test_the_formatted_log_has_no_traceback(personas: dict[str, Any], page_client: Any) -> None:
    """What the console handler would write: format the record the way logging does."""
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(self.format(record))

    handler = Keep(level=logging.WARNING)
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        assert page_client(personas["donor_usa"]).get("/clearing/").status_code == 403
    finally:
        logger.removeHandler(handler)
    assert seen and all("\n" not in line for line in seen), seen
