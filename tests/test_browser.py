"""A real browser (Debian's Chromium, driven by Playwright) against the live app."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import PASSWORD

from tests.browser import complete_second_factor, require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
require_chromium()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1366, "height": 800})
    p = context.new_page()
    yield p
    context.close()


def login(page: Any, live_server: Any, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    complete_second_factor(page, username)


def test_coordinator_logs_in_and_sees_home(page: Any, live_server: Any, personas: dict[str, Any]) -> None:
    login(page, live_server, "coordinator", PASSWORD)
    page.wait_for_selector("#lead")
    assert page.url.rstrip("/") == live_server.url
    assert "North Atlantic Treaty Organization" in page.inner_text("#lead")
    assert "coordinator" in page.inner_text("header")
    assert page.locator("#participants-by-kind .card").count() >= 4


def test_wrong_password_shows_an_error_and_logs_nobody_in(
    page: Any, live_server: Any, personas: dict[str, Any]
) -> None:
    login(page, live_server, "coordinator", "not-the-password")
    page.wait_for_selector("#login-error")
    assert "correct username and password" in page.inner_text("#login-error")
    page.goto(f"{live_server.url}/")
    assert "/login/" in page.url
