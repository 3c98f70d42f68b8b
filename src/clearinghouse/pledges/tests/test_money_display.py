"""Pages show money with thousands separators and units, never a raw `140000000.00 EUR` (issue 9,
item 19)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from clearinghouse.pledges.tests import factories

pytestmark = pytest.mark.django_db

RAW_AMOUNT = re.compile(r"(?<![\d,.])\d{5,}(?:\.\d+)?(?![\d,])")


def visible_text(html: str) -> str:
    """The page's text, without tags and attribute values (a tooltip may hold the exact amount)."""
    return re.sub(r"<[^>]+>", " ", html)


def test_pledge_pages_format_money(personas: dict[str, Any], page_client: Any) -> None:
    pledge = factories.financial(personas, amount="140000000.00", currency="EUR")
    client = page_client(personas["coordinator"])
    detail = client.get(reverse("pledge-detail", args=[pledge.pk])).content.decode()
    assert '<span class="money" title="140,000,000.00 EUR">140.0 m EUR</span>' in detail
    assert "140000000" not in detail
    listing = client.get(reverse("pledge-list")).content.decode()
    assert "140.0 m EUR" in listing and "140000000" not in listing
    for page in (detail, listing, client.get(reverse("home")).content.decode()):
        text = visible_text(re.split(r"<main[^>]*>", page)[1])
        found = [m for m in RAW_AMOUNT.findall(text) if not re.fullmatch(r"(19|20)\d\d", m)]
        assert found == [], found


def test_in_kind_values_and_catalog_prices(personas: dict[str, Any], page_client: Any) -> None:
    pledge = factories.pledge(personas, quantity=2500)  # 2,500 rounds at 3,000 EUR = 7.5 m EUR
    client = page_client(personas["coordinator"])
    detail = client.get(reverse("pledge-detail", args=[pledge.pk])).content.decode()
    assert "3,000.00 EUR" in detail and "7.5 m EUR" in detail and 'title="7,500,000.00 EUR"' in detail
    catalog = client.get(reverse("catalog-list")).content.decode()
    assert "4.8 m EUR" in catalog and "4778745.65" not in catalog


def test_cli_counts_are_singular_for_one(personas: dict[str, Any], capsys: Any) -> None:
    factories.requirement(personas)
    call_command("requirements", "list", "--as", "recipient")
    out = capsys.readouterr().out
    assert out.rstrip().endswith("1 requirement") and "1 requirements" not in out
