"""Issue 17: a Kiel release uploaded and reviewed in a real browser (Debian's chromium).

An analyst of the coordination cell uploads release 29 as its CSV files, then the R31 preview as a
ZIP, on the upload page; the job card follows each import under the Content-Security-Policy and,
when the second is done, links the revision view against release 29, which lists the revised values.
A broken file is refused on the page with its file, row and column, and nothing is imported.
"""

from __future__ import annotations

import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from tests.browser import require_chromium, sign_in

from clearinghouse.tracker.tests.kiel_files import R29, R31_PREVIEW, copy_release, set_cell

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
require_chromium()

LISTEN = (
    "window.__csp = [];"
    "document.addEventListener('securitypolicyviolation',"
    " e => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));"
)


def _wait_for_state(page: Any, state: str) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if page.locator(f'#job-progress[data-state="{state}"]').count():
            return
        if page.locator('#job-progress[data-state="failed"]').count():
            raise AssertionError(f"the import failed: {page.inner_text('#job-progress')}")
        page.wait_for_timeout(250)
    raise AssertionError(f"the job card never read {state}: {page.inner_text('#job-progress')}")


def _upload(page: Any, live_server: Any, files: list[Path]) -> None:
    page.goto(f"{live_server.url}/kiel/releases/")
    page.click("#upload-release")
    page.wait_for_url("**/kiel/releases/upload/")
    page.set_input_files("#upload-form input[name=files]", [str(p) for p in files])
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#job-progress")


def test_an_analyst_uploads_two_releases_and_reviews_the_revisions(
    open_page: Any, live_server: Any, personas: dict[str, Any], tmp_path: Path
) -> None:
    from clearinghouse.tracker.models import KielRelease

    page = open_page(init_script=LISTEN)
    sign_in(page, live_server, "analyst")
    _upload(page, live_server, sorted(R29.glob("*.csv")))
    _wait_for_state(page, "succeeded")
    assert "Imported" in page.inner_text("#job-result")
    assert KielRelease.objects.get(number=29).is_current

    archive = tmp_path / "kiel-r31-preview.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in sorted(R31_PREVIEW.iterdir()):
            zf.write(p, f"kiel-r31/{p.name}")
    _upload(page, live_server, [archive])
    _wait_for_state(page, "succeeded")
    assert "it is now current (was release 29)" in page.inner_text("#job-result")

    page.click("#job-result a")
    page.wait_for_url("**/kiel/releases/?from=29&to=31#revisions")
    summary = page.inner_text("#content") if page.locator("#content").count() else page.inner_text("body")
    assert "Release 29 → 31:" in summary
    revised = page.locator("table#revisions tbody tr")
    assert revised.count() > 0
    # The first revised value's old and new figures differ, as the table says.
    cells = revised.first.locator("td").all_inner_texts()
    assert cells[3] != cells[4], cells
    assert page.evaluate("window.__csp") == []


def test_a_broken_release_is_refused_on_the_page_with_file_row_and_column(
    open_page: Any, live_server: Any, personas: dict[str, Any], tmp_path: Path
) -> None:
    from clearinghouse.tracker.models import KielRelease

    broken = copy_release(R29, tmp_path / "broken")
    set_cell(broken, "data_explorer.csv", 5, "financial", "1,5")

    page = open_page(init_script=LISTEN)
    sign_in(page, live_server, "coordinator")
    _upload(page, live_server, sorted(broken.glob("*.csv")))
    _wait_for_state(page, "failed")
    error = page.inner_text("#job-progress")
    assert "Nothing was changed." in error
    assert "data_explorer.csv, row 5, column 'financial': not a number: '1,5'" in error, error
    assert KielRelease.objects.count() == 0
    assert page.evaluate("window.__csp") == []
