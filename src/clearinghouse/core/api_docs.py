"""Swagger UI for `/api/v1/docs`, served from the app's own static files (no CDN: the page works
without internet access and under a strict Content-Security-Policy)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import Swagger

# The vendored swagger-ui-dist release under static/vendor/ (see its README.md).
SWAGGER_UI = "vendor/swagger-ui-5.31.0"


class LocalSwagger(Swagger):
    """django-ninja's Swagger page, rendered from `core/swagger.html` with vendored assets."""

    template = "core/swagger.html"

    def render_page(self, request: HttpRequest, api: Any, **kwargs: Any) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {
            # The settings are JSON inside a <script type="application/json">: escape "</" so that no
            # value can close the element.
            "swagger_settings": json.dumps(self.settings).replace("</", "<\\/"),
            "api": api,
            "add_csrf": True,
            "swagger_ui": SWAGGER_UI,
        }
        return render(request, self.template, context)
