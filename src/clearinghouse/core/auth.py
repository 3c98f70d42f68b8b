"""API authentication: personal bearer tokens, or the browser session with CSRF."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, django_auth

from clearinghouse.core.services import token_for


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>` with a personal API token (unrevoked, unexpired, active user)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any | None:
        found = token_for(token)
        if found is None:
            return None
        request.user = found.user
        request.api_token = found  # type: ignore[attr-defined]  # a token may not create tokens
        return found.user


API_AUTH = [BearerToken(), django_auth]
