"""The fund pages in a real browser: charts drawn by the static script (no inline script), and a typo
caught by the preview, confirmed, then corrected by a reversal."""

from __future__ import annotations

from typing import Any

import pytest
from tests.browser import require_chromium, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
require_chromium()


@pytest.fixture
def page(open_page: Any) -> Any:
    return open_page(height=900)


def test_a_typo_is_previewed_confirmed_and_reversed_and_the_charts_draw(
    page: Any, live_server: Any, personas: dict[str, Any]
) -> None:
    from clearinghouse.funds.models import Contribution
    from clearinghouse.funds.tests.factories import trio_fund

    trio_fund(personas["admin"])
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # Script errors only (a missing favicon is a resource error; a missing script fails the chart wait).
    page.on(
        "console", lambda m: errors.append(m.text) if m.type == "error" and "resource" not in m.text else None
    )
    sign_in(page, live_server, "finance")  # finance officers sign in with an authenticator
    page.wait_for_selector("header nav")

    page.goto(f"{live_server.url}/funds/trio/contribute/")
    page.select_option("#id_participant", "DEU")
    page.fill("#id_amount", "99999999999999")
    page.select_option("#id_currency", "ISK")
    page.fill("#id_value_date", "2025-03-14")
    page.click("button[value=preview]")
    page.wait_for_selector("#preview")
    assert "published 2025-03-14" in page.inner_text("#preview") and page.is_visible("#outlier")
    page.click("button[value=record]")
    page.wait_for_selector("text=larger than DEU's fair share")
    assert Contribution.objects.count() == 0
    page.check("#id_confirm")
    page.click("button[value=record]")
    page.wait_for_url(f"{live_server.url}/funds/trio/contributions/")
    typo = Contribution.objects.get()

    page.click(f"#contribution-{typo.pk} a:has-text('Reverse')")
    page.fill("#id_reason", "typo: ISK")
    page.click("button[type=submit]:has-text('Reverse it')")
    page.wait_for_selector(f"#contribution-{typo.pk} :text('reversed by')")

    page.goto(f"{live_server.url}/funds/trio/")
    page.wait_for_function(
        "() => ['members-chart', 'years-chart'].every(id => Chart.getChart(document.getElementById(id)))"
    )
    assert errors == []
