"""Every download of the report pages has its own descriptive file name (issue 9, item 17)."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest

from clearinghouse.core import clock
from clearinghouse.reports.filenames import export_name

pytestmark = pytest.mark.django_db


def _filenames(client: Any, page: str) -> dict[str, str]:
    html = client.get(page).content.decode()
    block = re.findall(r'<span class="downloads">(.*?)</span>', html, re.S)
    links = [unescape(h) for b in block for h in re.findall(r'href="([^"]+)"', b)]
    assert links, page
    names = {}
    for link in links:
        response = client.get(link)
        assert response.status_code == 200, link
        found = re.search(r'filename="([^"]+)"', response["Content-Disposition"])
        assert found is not None
        names[link] = found.group(1)
    return names


def test_dashboard_downloads_have_distinct_descriptive_names(
    r29: Any, personas: dict[str, Any], page_client: Any
) -> None:
    names = _filenames(page_client(personas["analyst"]), "/reports/")
    assert len(set(names.values())) == len(names), names
    assert {"totals-by-year-tracker-r29.csv", "totals-by-month-tracker-r29.csv"} <= set(names.values())
    assert "donors-total-per-gdp-tracker-r29.xlsx" in names.values()


def test_public_downloads_are_named_apart_from_the_dashboards(r29: Any, client: Any) -> None:
    names = _filenames(client, "/public/")
    assert len(set(names.values())) == len(names), names
    assert all(n.rsplit(".", 1)[0].endswith("-public") for n in names.values()), names


def test_names_say_table_source_and_release_or_date() -> None:
    today = clock.today().isoformat()
    records = {"source": "records", "release": None, "by": "month"}
    assert export_name("totals", records, "csv") == f"totals-by-month-records-{today}.csv"
    window = {
        "source": "tracker",
        "release": {"number": 29},
        "type": "military",
        "with_eu_share": True,
        "from_month": "2024-01",
        "to_month": None,
    }
    assert export_name("donors", window, "xlsx", public=True) == (
        "donors-military-with-eu-share-2024-01-to-end-tracker-r29-public.xlsx"
    )
