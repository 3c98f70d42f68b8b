"""Accessibility and small screens, in a real browser (Debian's Chromium, Playwright) over the demo data.

Each persona signs in once and visits every page its navigation links to, at 1440 × 900 and at
390 × 844 (the second context reuses the first one's session). On every page:

* axe-core (tests/vendor, shipped with the tests: nothing is downloaded) checks WCAG 2.0/2.1/2.2 A and
  AA; any violation of impact "serious" or "critical" fails, listed with the page, rule and elements;
* the page as a whole does not scroll sideways (`scrollWidth <= innerWidth`): wide tables scroll
  inside their own container.

A second test checks the pages one step from the navigation where each persona works (forms,
records), a third the collapsing menu, the skip link and the checkbox lists, and a fourth that the
check itself fails on a page with a known violation.

axe is added as an init script (which the page's Content-Security-Policy does not govern), so the
pages render under their real policy, exactly as a person sees them. docs/accessibility.md says more.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.browser import require_chromium, sign_in
from tests.snapshot import Step

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
require_chromium()

AXE_VERSION = "4.14.1"
AXE = Path(__file__).parent / "vendor" / f"axe-{AXE_VERSION}.min.js"
WIDTHS = [(1440, 900), (390, 844)]
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FAILING_IMPACTS = {"serious", "critical"}
# One persona per role; None: nobody signed in (the sign-in and public pages).
PERSONAS = ["coordinator", "donor_usa", "recipient", "finance", "analyst", "auditor", "admin"]
PUBLIC_PAGES = ["/login/", "/public/"]
# The same page whoever asks (Swagger UI over the OpenAPI schema, slow to build): checked for one persona.
SAME_FOR_EVERYONE = {"/api/v1/docs": "coordinator"}
# Rules a page is excused from, and why. Swagger UI's operation headers are buttons holding the
# operation's link (nested interactive controls): its own markup, which no stylesheet changes.
EXCUSED = {"/api/v1/docs": {"nested-interactive"}}
# Pages drawn by script after they load: what to wait for before checking them.
READY = {"/api/v1/docs": "#swagger-ui .info"}
# Extra demo accounts the demo's stories are told by (the personas are `donor_usa`, the demo `donor-usa`).
DEMO_DONORS = {"donor-usa": "USA", "donor-deu": "DEU", "donor-pol": "POL"}

RUN_AXE = (
    (
        "async () => { const r = await axe.run(document, {runOnly: {type: 'tag', values: __TAGS__},"
        " resultTypes: ['violations'], iframes: false, noHtml: true});"
        " return r.violations.filter(v => __IMPACTS__.includes(v.impact)).map(v => ({"
        " id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n =>"
        " n.target.join(' ') + ' — ' + (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 240)),"
        " count: v.nodes.length})); }"
    )
    .replace("__TAGS__", json.dumps(TAGS))
    .replace("__IMPACTS__", json.dumps(sorted(FAILING_IMPACTS)))
)
OVERFLOW = (
    "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth,"
    " wide: [...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right"
    " > window.innerWidth + 1 && !e.closest('.table-scroll')).slice(0, 5)"
    ".map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && e.className.baseVal"
    " === undefined ? '.' + String(e.className).trim().split(/\\s+/).join('.') : '')),"
    " cut: [...document.querySelectorAll('.table-scroll')].filter(b => b.scrollWidth > b.clientWidth + 1)"
    ".map(b => { const t = b.querySelector('table'); return (t && t.id ? '#' + t.id : 'table') + ' '"
    " + b.scrollWidth + '>' + b.clientWidth; })})"
)


def _seed_demo() -> None:
    """Every app's demo records, told by the demo's own accounts next to the personas."""
    import importlib

    from clearinghouse.demo import DEMO_APPS, _announced_at_meetings
    from clearinghouse.participants.models import User
    from clearinghouse.participants.services import create_user

    for username, code in DEMO_DONORS.items():
        create_user(actor=None, username=username, participant=code, role="donor_officer", password=None)
    admin = User.objects.get(username="admin")
    for app in DEMO_APPS:
        importlib.import_module(f"clearinghouse.{app}.demo").seed(admin)
    _announced_at_meetings(admin)


_DEMO = Step(_seed_demo)


@pytest.fixture
def demo(personas: dict[str, Any]) -> dict[str, Any]:
    _DEMO.run()
    return personas


def nav_paths(page: Any, username: str) -> list[str]:
    """The pages the header links to (its navigation and the account link), in order, once each."""
    hrefs = page.eval_on_selector_all("header a[href]", "links => links.map(a => a.getAttribute('href'))")
    paths: list[str] = []
    for href in hrefs:
        path = urlparse(href).path
        if not path.startswith("/") or path in paths:
            continue
        if SAME_FOR_EVERYONE.get(path, username) == username:
            paths.append(path)
    return paths


def check(page: Any, url: str, width: int) -> list[str]:
    """What is wrong with one page at one width: axe's serious and critical violations, and overflow."""
    path = urlparse(url).path
    where = f"{path} @ {width}px"
    response = page.goto(url)
    if response is None or response.status >= 400:
        return [f"{where}: answered {None if response is None else response.status}"]
    if path in READY:
        page.wait_for_selector(READY[path])
    problems = []
    for v in page.evaluate(RUN_AXE):
        if v["id"] in EXCUSED.get(path, set()):
            continue
        nodes = "".join(f"\n      {node}" for node in v["nodes"])
        problems.append(f"{where}: {v['impact']} {v['id']} ({v['help']}), {v['count']} element(s):{nodes}")
    size = page.evaluate(OVERFLOW)
    if os.environ.get("A11Y_VERBOSE"):
        print(f"{where}: {size}")
    if size["scroll"] > size["inner"]:
        problems.append(
            f"{where}: the page scrolls sideways ({size['scroll']} px wide in a {size['inner']} px window);"
            f" widest: {', '.join(size['wide'])}"
        )
    return problems


def visit(browser: Any, live_server: Any, username: str | None, paths: list[str] | None = None) -> list[str]:
    """Visit `paths` (default: the header's links) as `username` at each width; the problems found."""
    problems: list[str] = []
    state: Any = None
    for width, height in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": height}, storage_state=state)
        try:
            context.add_init_script(path=str(AXE))
            page = context.new_page()
            if username is not None and state is None:
                sign_in(page, live_server, username)
                page.wait_for_selector("header nav")
                state = context.storage_state()
                if paths is None:
                    paths = nav_paths(page, username)
            for path in paths or PUBLIC_PAGES:
                problems.extend(check(page, f"{live_server.url}{path}", width))
        finally:
            context.close()
    return problems


def report(problems: list[str]) -> str:
    return f"{len(problems)} problem(s):\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("username", [*PERSONAS, None], ids=[*PERSONAS, "public"])
def test_every_page_in_the_navigation_passes_axe_and_fits_the_screen(
    browser: Any, live_server: Any, demo: dict[str, Any], username: str | None
) -> None:
    problems = visit(browser, live_server, username)
    assert not problems, report(problems)


def task_pages(username: str) -> list[str]:
    """Pages one step from the navigation where each persona does its work: forms and records."""
    from clearinghouse.clearing.models import ClearingRun
    from clearinghouse.funds.models import Fund
    from clearinghouse.packages.models import Package
    from clearinghouse.pledges.models import Pledge
    from clearinghouse.requirements.models import Requirement

    requirement = Requirement.objects.order_by("pk").values_list("pk", flat=True).first()
    pledge = Pledge.objects.filter(owner__code="USA").order_by("pk").values_list("pk", flat=True).first()
    run = ClearingRun.objects.order_by("-pk").values_list("pk", flat=True).first()
    fund = Fund.objects.order_by("pk").values_list("slug", flat=True).first()
    package = Package.objects.order_by("pk").values_list("pk", flat=True).first()
    pages = {
        "recipient": ["/requirements/new/", f"/requirements/{requirement}/"],
        "donor_usa": ["/pledges/new/", f"/pledges/{pledge}/"],
        "coordinator": [
            "/clearing/scenario/",
            f"/clearing/runs/{run}/",
            f"/funds/{fund}/",
            "/packages/",
            f"/packages/{package}/",
            "/governance/meetings/",
        ],
    }
    return pages[username]


@pytest.mark.parametrize("username", ["recipient", "donor_usa", "coordinator"])
def test_the_task_pages_pass_axe_and_fit_the_screen(
    browser: Any, live_server: Any, demo: dict[str, Any], username: str
) -> None:
    problems = visit(browser, live_server, username, task_pages(username))
    assert not problems, report(problems)


def test_at_390_px_the_menu_collapses_the_skip_link_reaches_main_and_choices_are_checkboxes(
    open_page: Any, live_server: Any, personas: dict[str, Any]
) -> None:
    from clearinghouse.pledges.tests import factories

    factories.ensure_catalog()
    page = open_page(width=390, height=844)
    sign_in(page, live_server, "recipient")
    page.wait_for_selector("header .nav-toggle")
    nav, toggle = page.locator("#site-nav"), page.locator("header .nav-toggle")
    assert not nav.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    assert nav.is_visible() and toggle.get_attribute("aria-expanded") == "true"
    assert page.locator("#site-nav a", has_text="Requirements").is_visible()
    page.keyboard.press("Escape")
    assert not nav.is_visible() and toggle.get_attribute("aria-expanded") == "false"

    page.goto(f"{live_server.url}/requirements/new/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("a => a === document.activeElement") and skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"

    # Several acceptable item types are ticked one by one, no Ctrl-click: the form posts `item_types`.
    assert page.locator("select[multiple]").count() == 0
    boxes = page.locator("#field-item_types fieldset input[type=checkbox][name=item_types]")
    assert boxes.count() >= 2
    boxes.nth(0).check()
    boxes.nth(1).check()
    assert page.locator("input[name=item_types]:checked").count() == 2
    assert "Acceptable item types" in page.inner_text("#field-item_types legend")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_check_fails_on_low_contrast_an_unlabelled_field_and_a_page_too_wide(browser: Any) -> None:
    """The harness itself: a page with known faults is reported (so a green run means something)."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.set_content(
            '<html lang="en"><head><title>Faults</title></head><body><main>'
            '<p style="color:#b26a00;background:#fff1d6">amber on cream</p>'
            '<input type="text"><div style="width:800px">wide</div></main></body></html>'
        )
        page.add_script_tag(path=str(AXE))
        found = {v["id"] for v in page.evaluate(RUN_AXE)}
        size = page.evaluate(OVERFLOW)
    finally:
        context.close()
    assert {"color-contrast", "label"} <= found
    assert size["scroll"] > size["inner"] and "div" in size["wide"]
