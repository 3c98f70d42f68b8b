"""A background job's progress bar in a real browser: the upload page starts an import in the
background, the card polls itself with HTMX under the Content-Security-Policy, and ends on the
summary; the clearing page does the same for a run and links to it."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from typing import Any

import pytest

from tests.browser import require_chromium, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
require_chromium()

LISTEN = (
    "window.__csp = [];"
    "document.addEventListener('securitypolicyviolation',"
    " e => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));"
)


@pytest.fixture
def page(open_page: Any) -> Any:
    """A page that records Content-Security-Policy violations in `window.__csp`."""
    return open_page(init_script=LISTEN)


def wait_for_state(page: Any, state: str) -> None:
    """Polled from Python: the policy forbids the string evaluation `wait_for_function` relies on."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if page.locator(f'#job-progress[data-state="{state}"]').count():
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"the job card never read {state}: {page.inner_text('#job-progress')}")


def test_an_import_in_the_background_shows_its_progress_then_its_summary(
    page: Any, live_server: Any, personas: dict[str, Any], tmp_path: Path
) -> None:
    from clearinghouse.pledges.models import Pledge
    from clearinghouse.pledges.spreadsheets import COLUMNS
    from clearinghouse.pledges.tests import factories

    factories.ensure_catalog()
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    for i in range(25):
        writer.writerow(
            {
                "external_ref": f"B-{i}",
                "donor": "USA",
                "kind": "in_kind",
                "item_type": "AMM-155-HE",
                "quantity": "10",
                "unit_value": "3000.00",
                "currency": "EUR",
                "available_from": "2024-01-02",
                "releasability": "coordination",
            }
        )
    path = tmp_path / "background.csv"
    path.write_text(out.getvalue())

    sign_in(page, live_server, "donor_usa")
    page.goto(f"{live_server.url}/import/?kind=pledges")
    page.set_input_files("#id_file", str(path))
    page.check("#id_background")
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#job-progress")
    assert page.locator("#job-bar").count() == 1
    wait_for_state(page, "succeeded")
    assert "Imported 25 pledge rows from background.csv: 25 created" in page.inner_text("#job-result")
    assert page.get_attribute("#job-bar", "value") == "1.000"
    assert Pledge.objects.filter(external_ref__startswith="B-").count() == 25
    assert page.evaluate("window.__csp") == []


def test_a_clearing_run_in_the_background_links_to_the_run(
    page: Any, live_server: Any, personas: dict[str, Any]
) -> None:
    from clearinghouse.clearing.models import ClearingRun

    sign_in(page, live_server, "coordinator")
    page.goto(f"{live_server.url}/clearing/")
    page.fill("#id_name", "in the background")
    page.check("#id_background")
    page.click("text=Run now")
    page.wait_for_selector("#job-progress")
    assert "?job=" in page.url
    wait_for_state(page, "succeeded")
    run = ClearingRun.objects.get(name="in the background")
    page.click("#job-result a")
    page.wait_for_url(f"**/clearing/runs/{run.pk}/")
    assert page.evaluate("window.__csp") == []
