"""Funds pages: compliance table and charts, shares, contributions by releasability, the forms."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from clearinghouse.funds.models import Contribution
from clearinghouse.funds.tests.factories import cash, committed_pledge, trio_fund

pytestmark = pytest.mark.django_db


def test_fund_page_has_the_compliance_table_and_chart_data(
    personas: dict[str, Any], page_client: Any
) -> None:
    trio_fund(personas["admin"])
    cash(personas["finance"], "trio", "DEU", "100000.00", "EUR", "2024-03-01")
    r = page_client(personas["outsider"]).get(reverse("fund-detail", args=["trio"]) + "?year=2024")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="compliance"' in html and "250,000.00" in html and "40.00 %" in html
    assert 'id="members-chart"' in html and 'id="years-chart"' in html and "chart-4.6.1.umd.min.js" in html
    chart = r.context["chart"]
    assert chart["labels"] == ["DEU", "FRA", "POL"]
    assert chart["fair_share"] == [250000.0, 150000.0, 100000.0]
    # DEU's payment is marked coordination: the outsider sees it in DEU's credit, not as cash.
    assert (chart["credited_cash"][0], chart["credited_not_releasable"][0]) == (0.0, 100000.0)
    assert 'id="not-releasable-note"' in html
    assert chart["years"] == [2024, 2025, 2026]
    assert json.loads(html.split('id="fund-chart-data" type="application/json">')[1].split("</script>")[0])
    # Writers get the links to the forms; readers do not.
    assert reverse("fund-contribute", args=["trio"]) not in html
    assert (
        reverse("fund-contribute", args=["trio"])
        in page_client(personas["finance"]).get(reverse("fund-detail", args=["trio"])).content.decode()
    )


def test_shares_and_key_pages_show_the_rounding_and_sources(
    personas: dict[str, Any], page_client: Any
) -> None:
    trio_fund(personas["admin"])
    client = page_client(personas["analyst"])
    html = client.get(reverse("fund-shares", args=["trio"])).content.decode()
    assert "0.5000000000" in html and "Adjustment" in html
    key = client.get(reverse("burden-key-detail", args=["trio-key"])).content.decode()
    assert "test formula" in key and ">50<" in key
    assert client.get(reverse("burden-key-detail", args=["nope"])).status_code == 404
    assert client.get(reverse("fund-detail", args=["nope"])).status_code == 404


def test_contribution_list_honours_releasability(personas: dict[str, Any], page_client: Any) -> None:
    trio_fund(personas["admin"])
    cash(
        personas["finance"],
        "trio",
        "DEU",
        "1000.00",
        "EUR",
        "2024-03-01",
        reference="SECRET-DE",
        releasability="owner",
    )
    cash(
        personas["finance"],
        "trio",
        "FRA",
        "2000.00",
        "EUR",
        "2024-03-01",
        reference="OPEN-FR",
        releasability="contact_group",
    )
    url = reverse("fund-contributions", args=["trio"])
    usa = page_client(personas["donor_usa"]).get(url).content.decode()
    deu = page_client(personas["donor_deu"]).get(url).content.decode()
    assert "OPEN-FR" in usa and "SECRET-DE" not in usa
    assert "OPEN-FR" in deu and "SECRET-DE" in deu


def test_finance_officer_records_a_cash_contribution_through_the_form(
    personas: dict[str, Any], page_client: Any
) -> None:
    trio_fund(personas["admin"])
    client = page_client(personas["finance"])
    url = reverse("fund-contribute", args=["trio"])
    assert client.get(url).status_code == 200
    form = {
        "participant": "POL",
        "amount": "1000.00",
        "currency": "PLN",
        "value_date": "2024-06-03",
        "reference": "PL-1",
        "releasability": "contact_group",
    }
    # First the preview: the conversion with its ECB rate and rate date; nothing recorded yet.
    preview = client.post(url, form)
    assert preview.status_code == 200 and not Contribution.objects.exists()
    text = preview.content.decode()
    assert 'id="preview"' in text and "published 2024-06-03" in text and 'value="record"' in text
    assert 'name="currency"' in text and '<option value="PLN"' in text  # chosen, not typed
    form["step"] = "record"
    r = client.post(url, form)
    assert r.status_code == 302 and r["Location"] == reverse("fund-contributions", args=["trio"])
    c = Contribution.objects.get()
    assert (c.owner.code, c.currency, c.fx_date.isoformat()) == ("POL", "PLN", "2024-06-03")
    again = client.post(url, form)
    assert again.status_code == 200 and "already credited" in again.content.decode()
    bad = client.post(url, {**form, "reference": "PL-2", "currency": "ZZZ"})
    assert bad.status_code == 200 and "Select a valid choice" in bad.content.decode()
    assert Contribution.objects.count() == 1
    assert page_client(personas["donor_pol"]).post(url, {**form, "reference": "PL-3"}).status_code == 403


def test_finance_officer_credits_a_pledge_through_the_form(
    personas: dict[str, Any], page_client: Any
) -> None:
    trio_fund(personas["admin"])
    pledge = committed_pledge(personas)
    client = page_client(personas["finance"])
    url = reverse("fund-credit-pledge", args=["trio"])
    r = client.post(url, {"pledge_id": pledge.pk, "year": 2025})
    assert r.status_code == 302
    again = client.post(url, {"pledge_id": pledge.pk, "year": 2025})
    assert "credited once" in again.content.decode()


def test_fund_list(personas: dict[str, Any], page_client: Any) -> None:
    trio_fund(personas["admin"])
    html = page_client(personas["recipient"]).get(reverse("fund-list")).content.decode()
    assert "Fund trio" in html and "1,500,000.00 EUR" in html


def test_finance_officer_records_an_opt_out_citing_its_decision(
    personas: dict[str, Any], page_client: Any
) -> None:
    from clearinghouse.funds.models import FundOptOut
    from clearinghouse.funds.tests.factories import exemption

    trio_fund(personas["admin"])
    finance = page_client(personas["finance"])
    html = finance.get("/funds/trio/").content.decode()
    assert 'action="/funds/trio/opt-out/"' in html and 'name="decision"' in html
    assert (
        'action="/funds/trio/opt-out/"'
        not in page_client(personas["analyst"]).get("/funds/trio/").content.decode()
    )
    assert (
        page_client(personas["analyst"]).post("/funds/trio/opt-out/", {"participant": "POL"}).status_code
        == 403
    )
    # Without a decision: refused, the reason shown on the page.
    r = finance.post("/funds/trio/opt-out/", {"participant": "POL", "reason": "abstains"}, follow=True)
    assert "decision: required" in r.content.decode() and not FundOptOut.objects.exists()
    granted = exemption(personas["admin"], "trio", "POL")
    r = finance.post("/funds/trio/opt-out/", {"participant": "FRA", "decision": granted}, follow=True)
    assert "not an adopted decision exempting FRA" in r.content.decode() and not FundOptOut.objects.exists()
    r = finance.post(
        "/funds/trio/opt-out/", {"participant": "POL", "decision": granted, "reason": "abstains"}
    )
    assert r.status_code == 302 and FundOptOut.objects.get().decision_id == granted
    assert f"/governance/decisions/{granted}/" in finance.get("/funds/trio/").content.decode()
