"""The authorisation registry: every API operation and every page, with who may use it.

`tests/test_permission_matrix.py` enumerates the OpenAPI schema and the URL configuration and fails
when a route has no entry. Core routes are listed here; each app lists its own in
`clearinghouse/<app>/tests/access.py`, merged below.
"""

from __future__ import annotations

import importlib
from typing import Any

from tests.access_rules import ALL, AUDITORS, COORDINATION, Rule

APPS = ["catalog", "requirements", "pledges", "clearing", "funds", "ingest", "reports"]


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
for _app in APPS:
    for _name in ("access", "access_pages"):
        try:
            _module = importlib.import_module(f"clearinghouse.{_app}.tests.{_name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"clearinghouse.{_app}.tests.{_name}":
                raise
            continue
        API.update(getattr(_module, "API", {}))
        PAGES.update(getattr(_module, "PAGES", {}))

# Routes that are not pages a persona browses: checked elsewhere (logout is POST-only, the API
# has its own matrix, the admin is Django's own, revoke is POST-only and tested in test_auth).
NOT_PAGES = {"logout", "token-revoke", "api", "admin", "openapi", "docs", "clearing-run-accept"}
# POST-only actions and inline validations of the requirement and pledge pages (GET answers 405;
# tested in requirements/tests/test_pages.py and pledges/tests/test_pages.py).
NOT_PAGES |= {
    "requirement-validate",
    "requirement-edit-validate",
    "requirement-cancel",
    "requirement-allocate",
    "pledge-validate",
    "pledge-edit-validate",
    "pledge-transition",
    "pledge-allocate",
    "delivery-record",
    "delivery-confirm",
    "allocation-change",
    "allocation-release",
}
