"""The Content-Security-Policy in a real browser: the main pages run (charts draw, HTMX works) and
report no violation; the second sign-in step is completed as a person with an authenticator would."""

from __future__ import annotations

from typing import Any

import pytest
from tests.browser import require_chromium, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
require_chromium()

# Recorded before any page script runs (init scripts are not subject to the page's policy).
LISTEN = (
    "window.__csp = [];"
    "document.addEventListener('securitypolicyviolation',"
    " e => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile));"
)


@pytest.fixture
def page(open_page: Any) -> Any:
    p = open_page(init_script=LISTEN)
    p.console_errors = []
    p.on("console", lambda m: p.console_errors.append(m.text) if m.type == "error" else None)
    return p


@pytest.fixture
def data(personas: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.funds.tests.factories import alliance_fund
    from clearinghouse.pledges.tests import factories
    from clearinghouse.tracker import services
    from clearinghouse.tracker.tests.kiel_files import R29

    factories.ensure_catalog()
    services.import_kiel_release(actor=personas["admin"], directory=R29)
    fund = alliance_fund(personas["admin"])
    return {"fund": fund.slug}


def violations(page: Any) -> list[str]:
    return [*page.evaluate("window.__csp"), *[e for e in page.console_errors if "Content Security" in e]]


def test_main_pages_report_no_policy_violation(page: Any, live_server: Any, data: dict[str, Any]) -> None:
    sign_in(page, live_server, "coordinator")
    assert page.url.rstrip("/") == live_server.url, "the coordinator enrolled and signed in"
    paths = [
        "/",
        "/requirements/",
        "/requirements/new/",
        "/pledges/",
        "/pledges/new/",
        "/catalog/",
        "/clearing/",
        "/shortfalls/",
        "/reports/",
        f"/funds/{data['fund']}/",
        "/funds/",
        "/participants/",
        "/tokens/",
        "/account/",
        "/kiel/releases/",
        "/public/",
    ]
    found = {}
    for path in paths:
        page.console_errors.clear()
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        if violations(page):
            found[path] = violations(page)
    assert found == {}
    # The charts are drawn by scripts the policy allows (files, and the nonce-carrying inline ones).
    page.goto(f"{live_server.url}/reports/")
    page.wait_for_selector("#chart-timeline[data-rendered=true]", state="attached")
    assert violations(page) == []


def test_htmx_works_without_eval(page: Any, live_server: Any, personas: dict[str, Any]) -> None:
    sign_in(page, live_server, "donor_usa")
    page.goto(f"{live_server.url}/pledges/new/")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("htmx.config.allowEval") is False
    assert page.evaluate("htmx.config.includeIndicatorStyles") is False
    # An inline validation request (hx-post) still answers and swaps.
    page.fill("#id_quantity", "0")
    page.locator("#id_quantity").blur()
    page.wait_for_load_state("networkidle")
    assert violations(page) == []


def test_admin_and_account_pages_under_the_policy(
    page: Any, live_server: Any, personas: dict[str, Any]
) -> None:
    sign_in(page, live_server, "admin")
    for path in ("/admin/", "/admin/participants/user/", "/users/", "/audit/?verify=1"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        assert "/login/" not in page.url, path
        assert violations(page) == [], path


def test_swagger_ui_under_the_policy(page: Any, live_server: Any, personas: dict[str, Any]) -> None:
    sign_in(page, live_server, "analyst")
    page.goto(f"{live_server.url}/api/v1/docs")
    html = page.content()
    assert "cdn.jsdelivr.net" not in html  # served from the app's own static files
    page.wait_for_selector(".swagger-ui .info", timeout=15000)
    assert violations(page) == []
