"""Before any release is imported, the reports say so (no empty figures passed off as the tracker's)."""

from __future__ import annotations

from typing import Any

import pytest

from clearinghouse.core.errors import NotFound
from clearinghouse.reports import selectors

pytestmark = pytest.mark.django_db


def test_no_release_is_a_clear_not_found() -> None:
    with pytest.raises(NotFound, match="No Kiel tracker release is imported yet"):
        selectors.totals_report(user=None)


def test_the_pages_say_no_release_is_imported(
    personas: dict[str, Any], page_client: Any, api_client: Any
) -> None:
    html = page_client(personas["analyst"]).get("/reports/").content.decode()
    assert "No Kiel tracker release is imported yet" in html
    assert "No Kiel tracker release is imported yet" in page_client(None).get("/public/").content.decode()
    response = api_client(personas["analyst"]).get("/api/v1/reports/groups")
    assert response.status_code == 404
    assert page_client(None).get("/public/export/totals.csv").status_code == 404
