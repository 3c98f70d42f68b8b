"""The authorisation registry: every API operation and every page, with who may use it.

`tests/test_permission_matrix.py` enumerates the OpenAPI schema and the URL configuration and fails
when a route has no entry. Core routes are listed here; each app lists its own in
`clearinghouse/<app>/tests/access.py`, merged below.
"""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

from tests.access_rules import ALL, AUDITORS, Rule

APPS = [
    "governance",
    "catalog",
    "requirements",
    "pledges",
    "packages",
    "logistics",
    "clearing",
    "funds",
    "frameworks",
    "tracker",
    "reports",
    "inbox",
]


def _token_id(personas: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.core.services import create_token

    # A token of the analyst: only the analyst (and admins) may revoke it.
    return {"token_id": create_token(actor=personas["analyst"], user=personas["analyst"]).token.pk}


def _session_id(personas: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.core.models import UserSession

    # A session of the analyst: only the analyst (and admins) may end it.
    row = UserSession.objects.create(user=personas["analyst"], session_key="matrix-session-key")
    return {"session_id": row.pk}


def _job_id(personas: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.core.models import Job

    # A finished job of the analyst's: the owner, coordinators and admins read it; others get 404.
    job = Job.objects.create(kind="clearing.run", owner=personas["analyst"], state="succeeded", progress=1)
    return {"job_id": job.pk}


# Who reads the analyst's job (core.models.Job.view_q).
JOB_READERS = frozenset({"analyst", "coordinator", "admin"})


def _new_account(personas: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.participants.services import create_user

    create_user(actor=None, username="matrix-temp", participant="USA", role="analyst", password=None)
    return {"username": "matrix-temp"}


ADMINS = frozenset({"admin"})


def _adopted_handover_body(p: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.governance.tests.factories import adopted_handover

    handover = adopted_handover(p["admin"], "GBR", dt.date(2027, 1, 1))
    return {"to": "GBR", "on": "2027-01-01", "decision": handover.decision_id}


API: dict[tuple[str, str], Rule] = {
    ("GET", "/api/v1/participants"): Rule(ALL),
    ("GET", "/api/v1/participants/{code}"): Rule(ALL, setup=lambda p: {"code": "USA"}),
    ("GET", "/api/v1/mandates"): Rule(ALL),
    # The acceptance of an adopted handover decision: by the incoming participant's coordinator (no
    # persona acts for GBR) or an admin.
    ("POST", "/api/v1/mandates/handover"): Rule(
        ADMINS, ok=(201,), body=_adopted_handover_body, denied=(403,)
    ),
    ("GET", "/api/v1/tokens"): Rule(ALL),
    # The matrix calls with bearer tokens, and a token cannot create tokens (sessions can: test_security).
    ("POST", "/api/v1/tokens"): Rule(frozenset(), body=lambda p: {"name": "x"}, denied=(403,)),
    ("GET", "/api/v1/sessions"): Rule(ALL),
    ("DELETE", "/api/v1/sessions/{session_id}"): Rule(
        frozenset({"analyst", "admin"}), ok=(204,), setup=_session_id, denied=(404,)
    ),
    ("GET", "/api/v1/users"): Rule(ALL),
    ("POST", "/api/v1/users"): Rule(
        ADMINS,
        ok=(201,),
        body=lambda p: {"username": "matrix-new", "participant": "CHN", "role": "analyst"},
        denied=(403,),
    ),
    ("POST", "/api/v1/users/{username}/deactivate"): Rule(ADMINS, setup=_new_account),
    ("POST", "/api/v1/users/{username}/role"): Rule(
        ADMINS, setup=_new_account, body=lambda p: {"role": "auditor"}
    ),
    ("DELETE", "/api/v1/tokens/{token_id}"): Rule(frozenset({"analyst", "admin"}), setup=_token_id),
    ("GET", "/api/v1/audit/events"): Rule(AUDITORS),
    ("GET", "/api/v1/audit/verify"): Rule(AUDITORS),
    ("GET", "/api/v1/me"): Rule(ALL),
    ("GET", "/api/v1/jobs/{job_id}"): Rule(JOB_READERS, setup=_job_id, denied=(404,)),
}

PAGES: dict[str, Rule] = {
    "home": Rule(ALL),
    "login": Rule(ALL, public=True),
    "participant-list": Rule(ALL),
    "participant-detail": Rule(ALL, setup=lambda p: {"code": "DEU"}),
    "audit": Rule(AUDITORS),
    "tokens": Rule(ALL),
    # The confirmation step before revoking a token: the owner (and admins) only.
    "token-revoke": Rule(frozenset({"analyst", "admin"}), setup=_token_id, denied=(404,)),
    # Without a password step first, the second step sends everybody back to sign in.
    "login-mfa": Rule(ALL, ok=(302,)),
    "account": Rule(ALL),
    "account-mfa": Rule(ALL),
    "account-mfa-remove": Rule(ALL, ok=(200, 302)),
    "account-password": Rule(ALL),
    "session-revoke": Rule(frozenset({"analyst", "admin"}), setup=_session_id, denied=(404,)),
    "user-list": Rule(ADMINS, denied=(403,)),
    # A background job's progress card (polled by the page that started it).
    "job-progress": Rule(JOB_READERS, setup=_job_id, denied=(404,)),
    "user-deactivate": Rule(ADMINS, setup=_new_account, denied=(403,)),
    "user-role": Rule(ADMINS, setup=_new_account, denied=(403,)),
    # The spreadsheet upload page: donor officers import pledges (the coordination cell on donors'
    # behalf), the recipient's officers requirements; the others have nothing to import and get 403.
    "spreadsheet-import": Rule(
        frozenset({"donor_usa", "donor_deu", "donor_pol", "outsider", "recipient", "coordinator", "admin"}),
        denied=(403,),
    ),
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
NOT_PAGES = {"logout", "api", "admin", "openapi", "docs", "clearing-run-accept"}
# POST-only: new recovery codes (tested in core/tests/test_mfa.py).
NOT_PAGES |= {"account-recovery-codes"}
# POST-only: the language switcher of every page and the account's language and time zone
# (tested in core/tests/test_i18n.py).
NOT_PAGES |= {"set-language", "account-preferences"}
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
    "decision-position",
    "decision-close",
    # POST-only: a fund opt-out from the fund page (funds/tests/test_pages.py).
    "fund-opt-out",
    "fund-opt-out-withdraw",
    # POST-only: propose and accept a handover from the governance page (governance/tests/test_handover.py).
    "handover-propose",
    "handover-accept",
    "package-transition",
    "package-contract",
    # POST-only: mark one or every notification read (inbox/tests/test_notifications.py).
    "notification-read",
    "notification-read-all",
    # POST-only: logistics forms of the shipments pages (logistics/tests/test_pages.py).
    "shipment-create",
    "shipment-carrier-import",
    "shipment-event",
    "shipment-receipt",
    "shipment-resolve",
    "shipment-end-use",
}
# Operator endpoints, not pages: /healthz and /readyz answer everyone (probes), /metrics only the
# networks in CLEARINGHOUSE_METRICS_ALLOWED (tested in core/tests/test_health_metrics_logs.py).
NOT_PAGES |= {"healthz", "readyz", "metrics"}
# POST-only: accepting several offers at once, saving and deleting a list's saved view (wp2-offers;
# tested in pledges/tests/test_offers.py and core/tests/test_lists.py).
NOT_PAGES |= {"offer-accept", "saved-view-save", "saved-view-delete"}
