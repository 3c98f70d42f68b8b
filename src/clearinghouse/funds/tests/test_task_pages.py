"""Fund creation and burden key versions on pages (not only the CLI and the API): who may, errors
beside their field, nothing written on a refusal, and the audit event of each creation."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from clearinghouse.core.models import AuditEvent
from clearinghouse.funds.models import BurdenKeyVersion, Fund
from clearinghouse.funds.tests.factories import trio_fund

pytestmark = pytest.mark.django_db


def _fund_post(**changes: Any) -> dict[str, Any]:
    return {
        "slug": "page-fund",
        "name": "Page fund",
        "target_amount": "300,000.00",
        "currency": "EUR",
        "first_year": "2024",
        "years": "3",
        "group": "trio",
        "burden_key": "trio-key",
        "shortfall_policy": "redistribute",
        "in_kind_credit": "at_delivery",
        "counts_kinds": ["in_kind", "financial"],
        **changes,
    }


def test_a_finance_officer_creates_a_fund_on_the_page(personas: dict[str, Any], page_client: Any) -> None:
    trio_fund(personas["admin"])
    client = page_client(personas["finance"])
    form = client.get(reverse("fund-create"))
    assert form.status_code == 200 and 'name="burden_key"' in form.content.decode()
    assert reverse("fund-create") in client.get(reverse("fund-list")).content.decode()
    r = client.post(reverse("fund-create"), _fund_post())
    assert r.status_code == 302 and r["Location"] == reverse("fund-detail", args=["page-fund"])
    fund = Fund.objects.get(slug="page-fund")
    assert [y.target for y in fund.year_targets.order_by("year")] == [100000, 100000, 100000]
    event = AuditEvent.objects.filter(object_type="funds.fund", object_id=str(fund.pk)).get()
    assert event.action == "create" and event.actor == personas["finance"].username


def test_fund_errors_are_shown_beside_their_field_and_nothing_is_written(
    personas: dict[str, Any], page_client: Any
) -> None:
    trio_fund(personas["admin"])
    client = page_client(personas["finance"])
    # A reserved slug is refused by the service: its message stands beside the slug.
    r = client.post(reverse("fund-create"), _fund_post(slug="new"))
    assert r.status_code == 422
    html = r.content.decode()
    slug_errors = html.split('id="err-slug"')[1].split("</ul>")[0]
    assert "reserved word" in slug_errors
    # A form error (no year count) and an unknown key choice.
    r = client.post(reverse("fund-create"), _fund_post(years="", burden_key="nope"))
    assert r.status_code == 422
    html = r.content.decode()
    assert "required" in html.split('id="err-years"')[1].split("</ul>")[0]
    assert "nope" in html.split('id="err-burden_key"')[1].split("</ul>")[0]
    assert not Fund.objects.filter(slug__in=["new", "page-fund"]).exists()


def test_fund_and_key_forms_are_for_finance_officers(personas: dict[str, Any], page_client: Any) -> None:
    for persona in ("coordinator", "analyst", "donor_deu"):
        client = page_client(personas[persona])
        assert client.get(reverse("fund-create")).status_code == 403
        assert client.post(reverse("fund-create"), _fund_post()).status_code == 403
        assert client.post(reverse("burden-key-create"), {"key": "k"}).status_code == 403
    assert not Fund.objects.filter(slug="page-fund").exists()


def test_a_fixed_burden_key_version_from_the_page(personas: dict[str, Any], page_client: Any) -> None:
    trio_fund(personas["admin"])
    client = page_client(personas["finance"])
    key_page = client.get(reverse("burden-key-detail", args=["trio-key"])).content.decode()
    assert reverse("burden-key-create") + "?key=trio-key" in key_page
    assert 'value="trio-key"' in client.get(reverse("burden-key-create") + "?key=trio-key").content.decode()
    post = {
        "key": "trio-key",
        "effective_year": "2026",
        "kind": "fixed",
        "weights": "DEU 40\nFRA, 40\nPOL=20\n",
        "source": "revised formula",
    }
    r = client.post(reverse("burden-key-create"), post)
    assert r.status_code == 302, r.content.decode()[:2000]
    version = BurdenKeyVersion.objects.get(key__code="trio-key", effective_year=2026)
    weights = {w.participant.code: w.weight for w in version.weights.all()}
    assert weights == {"DEU": 40, "FRA": 40, "POL": 20}
    event = AuditEvent.objects.filter(object_type="funds.burdenkeyversion", object_id=str(version.pk)).get()
    assert set(event.after["weights"]) == {"DEU", "FRA", "POL"}


def test_burden_key_errors_name_the_line_and_the_participant(
    personas: dict[str, Any], page_client: Any
) -> None:
    trio_fund(personas["admin"])
    client = page_client(personas["finance"])
    base = {"key": "new-key", "effective_year": "2025", "kind": "fixed", "source": "s"}
    r = client.post(reverse("burden-key-create"), {**base, "weights": "DEU 40\nFRA"})
    assert r.status_code == 422
    assert "Line 2" in r.content.decode().split('id="err-weights"')[1].split("</ul>")[0]
    r = client.post(reverse("burden-key-create"), {**base, "weights": "DEU 40\nXXX 60"})
    assert r.status_code == 422
    assert "XXX" in r.content.decode().split('id="err-weights"')[1].split("</ul>")[0]
    # A second version for the same year is a conflict, shown on top of the form.
    again = {**base, "key": "trio-key", "effective_year": "2024", "weights": "DEU 1"}
    r = client.post(reverse("burden-key-create"), again)
    assert r.status_code == 422 and "already has a version" in r.content.decode()
    assert not BurdenKeyVersion.objects.filter(key__code="new-key").exists()


def test_an_opt_out_is_withdrawn_from_the_fund_page(personas: dict[str, Any], page_client: Any) -> None:
    from clearinghouse.funds.models import FundOptOut
    from clearinghouse.funds.tests.factories import opt_out

    trio_fund(personas["admin"])
    opt_out(personas["admin"], "trio", "POL")
    withdraw = reverse("fund-opt-out-withdraw", args=["trio"])
    assert withdraw not in page_client(personas["analyst"]).get("/funds/trio/").content.decode()
    assert page_client(personas["analyst"]).post(withdraw, {"participant": "POL"}).status_code == 403
    finance = page_client(personas["finance"])
    assert withdraw in finance.get("/funds/trio/").content.decode()
    r = finance.post(withdraw, {"participant": "FRA"}, follow=True)
    assert "FRA has not opted out" in r.content.decode() and FundOptOut.objects.count() == 1
    r = finance.post(withdraw, {"participant": "POL"})
    assert r.status_code == 302 and not FundOptOut.objects.exists()
    event = AuditEvent.objects.filter(object_type="funds.fundoptout", action="delete").get()
    assert event.actor == "finance" and event.before is not None
