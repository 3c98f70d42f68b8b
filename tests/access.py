"""The authorisation registry: every API operation and every page, with who may use it.

`tests/test_permission_matrix.py` enumerates the OpenAPI schema and the URL configuration and fails
when a route has no entry here. Each app adds its routes when it adds them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ALL = frozenset(
    {
        "coordinator",
        "donor_usa",
        "donor_deu",
        "donor_pol",
        "recipient",
        "finance",
        "analyst",
        "auditor",
        "admin",
        "outsider",
    }
)
COORDINATION = frozenset({"coordinator", "admin"})
AUDITORS = frozenset({"auditor", "admin"})


@dataclass(frozen=True)
class Rule:
    """Who may call a route, how to build the call, and what success looks like.

    `setup(personas)` may create records and returns the values for the path's placeholders.
    Personas outside `allowed` must get one of `denied` (403, or 404 where the object is invisible).
    """

    allowed: frozenset[str]
    ok: tuple[int, ...] = (200,)
    setup: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    body: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    denied: tuple[int, ...] = (403, 404)
    public: bool = False
    query: str = ""
    notes: str = field(default="")


def _token_id(personas: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.core.services import create_token

    # A token of the analyst: only the analyst (and admins) may revoke it.
    return {"token_id": create_token(actor=personas["analyst"], user=personas["analyst"]).token.pk}


API: dict[tuple[str, str], Rule] = {
    ("GET", "/api/v1/participants"): Rule(ALL),
    ("GET", "/api/v1/participants/{code}"): Rule(ALL, setup=lambda p: {"code": "USA"}),
    ("GET", "/api/v1/mandates"): Rule(ALL),
    ("POST", "/api/v1/mandates/handover"): Rule(
        COORDINATION, ok=(201,), body=lambda p: {"to": "GBR", "on": "2027-01-01"}
    ),
    ("GET", "/api/v1/tokens"): Rule(ALL),
    ("POST", "/api/v1/tokens"): Rule(ALL, ok=(201,), body=lambda p: {"name": "x"}),
    ("DELETE", "/api/v1/tokens/{token_id}"): Rule(frozenset({"analyst", "admin"}), setup=_token_id),
    ("GET", "/api/v1/audit/events"): Rule(AUDITORS),
    ("GET", "/api/v1/audit/verify"): Rule(AUDITORS),
    ("GET", "/api/v1/me"): Rule(ALL),
}

PAGES: dict[str, Rule] = {
    "home": Rule(ALL),
    "login": Rule(ALL, public=True),
    "participant-list": Rule(ALL),
    "participant-detail": Rule(ALL, setup=lambda p: {"code": "DEU"}),
    "audit": Rule(AUDITORS),
    "tokens": Rule(ALL),
}
# Routes that are not pages a persona browses: checked elsewhere (logout is POST-only, the API
# has its own matrix, the admin is Django's own, revoke is POST-only and tested in test_auth).
NOT_PAGES = {"logout", "token-revoke", "api", "admin", "openapi", "docs"}
