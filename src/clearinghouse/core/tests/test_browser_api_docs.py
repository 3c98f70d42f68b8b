"""Swagger UI renders with every request outside the app blocked (issue 9, item 16)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import pytest
from tests.browser import require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
require_chromium()


def test_api_docs_render_offline(open_page: Any, live_server: Any) -> None:
    own = urlparse(live_server.url).netloc
    outside: list[str] = []
    errors: list[str] = []
    page = open_page()

    def only_own(route: Any) -> None:
        if urlparse(route.request.url).netloc == own:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_own)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/api/v1/docs")
    page.wait_for_selector(".swagger-ui .opblock-tag-section", timeout=60_000)
    title = page.inner_text(".swagger-ui .info .title")
    tags = page.locator(".swagger-ui .opblock-tag").all_inner_texts()
    assert "Clearinghouse API" in title
    assert any("pledges" in t for t in tags)
    assert outside == [] and errors == []
