"""A real browser (Debian's Chromium, driven by Playwright) on the transparency dashboard and public page."""

from __future__ import annotations

from typing import Any

import pytest
from tests.browser import require_chromium, sign_in, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
require_chromium()


@pytest.fixture
def page(open_page: Any) -> Any:
    # A laptop screen: the dashboard must read well at 1366×768.
    return open_page(height=768)


@pytest.fixture
def release(personas: dict[str, Any]) -> Any:
    from clearinghouse.tracker import services
    from clearinghouse.tracker.tests.kiel_files import R29

    return services.import_kiel_release(actor=personas["admin"], directory=R29).release


def login(page: Any, live_server: Any, username: str) -> None:
    sign_in(page, live_server, username)
    page.wait_for_selector("header .who")


CHARTS = ["chart-timeline", "chart-donors", "chart-gdp", "chart-groups", "chart-weapons"]


def charts_rendered(page: Any) -> list[str]:
    for chart in CHARTS:
        page.wait_for_selector(f"#{chart}[data-rendered=true]", state="attached")
    return [c for c in CHARTS if page.locator(f"canvas#{c}[data-rendered=true]").count() == 1]


def test_the_dashboard_draws_its_charts_under_the_release(page: Any, live_server: Any, release: Any) -> None:
    login(page, live_server, "analyst")
    page.click("header nav >> text=Transparency")
    page.wait_for_url(f"{live_server.url}/reports/")
    assert charts_rendered(page) == CHARTS
    assert page.evaluate("typeof Chart") == "function"
    assert page.inner_text("#release-label") == "Kiel tracker: Release 29 (04/2026)"
    assert page.inner_text("#release-date") == "published 2026-08-04"
    assert "Kiel Institute for the World Economy, Ukraine Support Tracker, Release 29" in page.inner_text(
        "#release-bar"
    )
    # The charts have a size on a laptop screen, and the release stays in sight when scrolling.
    box = page.locator("#chart-timeline").bounding_box()
    assert box["width"] > 1000 and box["height"] > 200
    page.mouse.wheel(0, 1500)
    wait_until(page, "window.scrollY > 1000")
    bar = page.locator("#release-bar").bounding_box()
    assert 0 <= bar["y"] < 80
    # The table's download link goes through the API with the browser's session.
    with page.expect_download() as download:
        page.locator("a[href*='/api/v1/reports/groups'][href*='format=xlsx']").click()
    assert download.value.suggested_filename == "groups-tracker-r29.xlsx"


def test_the_source_toggle_shows_the_records_apart(page: Any, live_server: Any, release: Any) -> None:
    login(page, live_server, "donor_pol")
    page.goto(f"{live_server.url}/reports/")
    page.click("#toggle-records")
    page.wait_for_selector("#records-note")
    assert "not the Kiel tracker's figures" in page.inner_text("#records-note")
    assert "Release 29" in page.inner_text("#release-label")  # the tracker's release stays in sight
    assert charts_rendered(page) == CHARTS


def test_the_public_page_draws_the_published_figures_for_anyone(
    page: Any, live_server: Any, release: Any
) -> None:
    page.goto(f"{live_server.url}/public/")
    assert "/login/" not in page.url
    assert charts_rendered(page) == CHARTS
    assert page.inner_text("#release-label") == "Kiel tracker: Release 29 (04/2026)"
    assert "Sign in" in page.inner_text("header")
    assert page.locator("#table-records-totals").count() == 1
