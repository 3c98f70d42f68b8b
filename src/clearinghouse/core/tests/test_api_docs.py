"""`/api/v1/docs` works without internet: Swagger UI comes from the app's own static files (issue 9,
item 16)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.django_db


def test_docs_reference_only_same_origin_assets_and_they_are_served(
    personas: dict[str, Any], page_client
) -> None:
    client = page_client(personas["analyst"])
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    assert any(a.endswith("swagger-ui.css") for a in assets)
    for asset in assets:
        parsed = urlparse(asset)
        assert not parsed.scheme and not parsed.netloc and asset.startswith("/"), asset
        served = client.get(asset)
        assert served.status_code == 200, asset
        body = b"".join(served.streaming_content) if served.streaming else served.content
        assert len(body) > 500, asset
    # No inline script: the settings travel as JSON data, the code in static files.
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert "cdn" not in html.lower()
    settings = re.search(r'<script type="application/json" id="swagger-settings">(.*?)</script>', html, re.S)
    assert settings is not None and '"url": "/api/v1/openapi.json"' in settings.group(1)


def test_the_licence_ships_with_the_vendored_files() -> None:
    from pathlib import Path

    import clearinghouse
    from clearinghouse.core.api_docs import SWAGGER_UI

    folder = Path(clearinghouse.__file__).parent / "static" / SWAGGER_UI
    assert "Apache License" in (folder / "LICENSE").read_text()
    assert (folder / "swagger-ui-bundle.js").stat().st_size > 1_000_000
