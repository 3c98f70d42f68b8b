"""The fund's right answers (issue 9, items 4-6): credit as of the value date, credit that follows the
pledge, corrections as reversal entries, outliers confirmed, stale rates shown, opted-out members
refused; through the service, the API, the page and the command line."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any, cast

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from clearinghouse.core import clock
from clearinghouse.core.errors import Conflict, InvalidInput
from clearinghouse.core.models import AuditEvent
from clearinghouse.funds import selectors, services
from clearinghouse.funds.models import Contribution, Fund
from clearinghouse.funds.tests.factories import cash, committed_pledge, opt_out, trio_fund

pytestmark = pytest.mark.django_db
D = Decimal
JSON = "application/json"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("fund", *args, stdout=out)
    return out.getvalue()


def member(status: Any, code: str) -> Any:
    return next(m for m in status.members if m.participant == code)


# --- item 4: credit as of the value date ---------------------------------------------------------


def test_status_as_of_a_date_credits_only_what_was_due_by_then(
    personas: dict[str, Any], api_client: Any
) -> None:
    fund = trio_fund(personas["admin"])
    for day, amount in (("2025-02-24", "100.00"), ("2025-03-14", "200.00"), ("2025-04-30", "400.00")):
        cash(personas["finance"], "trio", "DEU", amount, "EUR", day, year=2025)
    cash(personas["finance"], "trio", "DEU", "800.00", "EUR", "2026-06-01", year=2025)

    def credited(on: str) -> Decimal:
        return cast(
            "Decimal",
            member(selectors.status_of(fund, year=2025, as_of=dt.date.fromisoformat(on)), "DEU").credited,
        )

    assert credited("2025-03-01") == D("100.00")
    assert credited("2025-03-13") == D("100.00")
    assert credited("2025-03-14") == D("300.00")
    assert credited("2025-12-31") == D("700.00")
    assert credited("2026-06-01") == D("1500.00")
    body = api_client(personas["finance"]).get("/api/v1/funds/trio/status?year=2025&as_of=2025-03-01").json()
    assert next(m for m in body["members"] if m["participant"] == "DEU")["credited"] == "100.00"
    assert body["years"][1]["credited"] == "100.00" and body["totals"]["credited"] == "100.00"
    data = json.loads(run("status", "trio", "--as-of", "2025-03-01", "--format", "json"))
    assert next(m for m in data["members"] if m["participant"] == "DEU")["credited"] == "100.00"


# --- item 5: credit follows the pledge's state ---------------------------------------------------


def test_a_withdrawn_pledge_loses_its_credit_from_the_day_of_the_withdrawal(
    personas: dict[str, Any], api_client: Any
) -> None:
    from clearinghouse.pledges import services as pledge_services

    fund = trio_fund(personas["admin"])
    pledge = committed_pledge(personas, amount="100000.00")
    credit = services.credit_pledge(actor=personas["finance"], slug="trio", pledge_id=pledge.pk, year=2025)
    yesterday = clock.today() - dt.timedelta(days=1)
    assert member(selectors.status_of(fund, year=2025), "DEU").credited_in_kind == D("100000.00")

    pledge_services.transition_pledge(
        actor=personas["donor_deu"], pledge_id=pledge.pk, to="withdrawn", reason="stocks needed at home"
    )

    reversal = Contribution.objects.get(reverses=credit)
    assert (reversal.amount, reversal.converted_amount, reversal.value_date) == (
        D("-100000.00"),
        D("-100000.00"),
        clock.today(),
    )
    assert reversal.reason == f"pledge {pledge.pk} withdrawn"
    assert member(selectors.status_of(fund, year=2025), "DEU").credited == 0
    # It counted until the withdrawal: the status of yesterday still shows it.
    assert member(selectors.status_of(fund, year=2025, as_of=yesterday), "DEU").credited == D("100000.00")
    event = AuditEvent.objects.get(action="reverse", object_id=str(reversal.pk))
    assert event.after is not None
    assert (event.actor, event.after["reverses_id"], event.after["reason"]) == (
        "donor_deu",
        credit.pk,
        f"pledge {pledge.pk} withdrawn",
    )
    listed = api_client(personas["finance"]).get("/api/v1/funds/trio/contributions").json()["items"]
    by_id = {c["id"]: c for c in listed}
    assert by_id[credit.pk]["reversed_by"] == reversal.pk and by_id[reversal.pk]["reverses"] == credit.pk
    # Withdrawn, it cannot be credited again.
    with pytest.raises(Conflict, match="is withdrawn"):
        services.credit_pledge(actor=personas["finance"], slug="trio", pledge_id=pledge.pk, year=2025)


def test_a_re_valued_pledge_is_credited_at_its_new_valuation(personas: dict[str, Any]) -> None:
    from clearinghouse.pledges import services as pledge_services

    fund = trio_fund(personas["admin"])
    pledge = committed_pledge(personas, amount="100000.00")
    credit = services.credit_pledge(actor=personas["finance"], slug="trio", pledge_id=pledge.pk, year=2025)
    pledge_services.update_pledge(
        actor=personas["donor_deu"], pledge_id=pledge.pk, changes={"amount": "60000"}
    )
    assert credit.reversed_by is not None or Contribution.objects.filter(reverses=credit).exists()
    live = list(services.in_force().filter(pledge=pledge))
    assert [(c.amount, c.value_date, c.year) for c in live] == [(D("60000.00"), credit.value_date, 2025)]
    deu = member(selectors.status_of(fund, year=2025, as_of=credit.value_date), "DEU")
    assert deu.credited_in_kind == D("60000.00")


# --- item 6: corrections, outliers, stale rates, currencies, opt-outs ---------------------------


def test_a_typo_is_corrected_by_a_reversal_entry_and_both_entries_stay(
    personas: dict[str, Any], api_client: Any
) -> None:
    fund = trio_fund(personas["admin"])
    typo = services.record_cash_contribution(
        actor=personas["finance"],
        slug="trio",
        data={
            "participant": "DEU",
            "amount": "99999999999999",
            "currency": "ISK",
            "value_date": "2025-03-14",
        },
        confirm=True,
    )
    before = (typo.amount, typo.converted_amount, typo.value_date, typo.fx_rate)
    # The huge amount does not break the status (money is a decimal string in JSON).
    finance = api_client(personas["finance"])
    status = finance.get("/api/v1/funds/trio/status").json()
    assert Decimal(next(m for m in status["members"] if m["participant"] == "DEU")["credited"]) > 10**11
    r = finance.post(
        f"/api/v1/funds/trio/contributions/{typo.pk}/reversal",
        {"reason": "typo: ISK, not EUR"},
        content_type=JSON,
    )
    assert r.status_code == 201, r.content
    entry = r.json()
    assert (entry["reverses"], entry["reason"], entry["amount"]) == (
        typo.pk,
        "typo: ISK, not EUR",
        "-99999999999999",
    )
    assert entry["value_date"] == "2025-03-14"  # restated: the entry was wrong from the start
    typo.refresh_from_db()
    assert (typo.amount, typo.converted_amount, typo.value_date, typo.fx_rate) == before  # never edited
    listed = {c["id"]: c for c in finance.get("/api/v1/funds/trio/contributions").json()["items"]}
    assert set(listed) == {typo.pk, entry["id"]} and listed[typo.pk]["reversed_by"] == entry["id"]
    for on in (dt.date(2025, 3, 14), dt.date(2025, 12, 31), None):
        assert member(selectors.status_of(fund, as_of=on), "DEU").credited == 0
    # Once: neither the original again, nor the reversal itself.
    again = finance.post(
        f"/api/v1/funds/trio/contributions/{typo.pk}/reversal", {"reason": "again"}, content_type=JSON
    )
    assert again.status_code == 409
    of_reversal = finance.post(
        f"/api/v1/funds/trio/contributions/{entry['id']}/reversal", {"reason": "undo"}, content_type=JSON
    )
    assert of_reversal.status_code == 409 and "itself the reversal" in of_reversal.json()["detail"]
    assert (
        finance.post(
            f"/api/v1/funds/trio/contributions/{typo.pk}/reversal", {"reason": ""}, content_type=JSON
        ).status_code
        == 422
    )
    donor = api_client(personas["donor_deu"]).post(
        f"/api/v1/funds/trio/contributions/{typo.pk}/reversal", {"reason": "x"}, content_type=JSON
    )
    assert donor.status_code == 403
    assert (
        finance.post(
            "/api/v1/funds/trio/contributions/999999/reversal", {"reason": "x"}, content_type=JSON
        ).status_code
        == 404
    )
    assert Contribution.objects.count() == 2


def test_the_command_line_reverses_a_contribution(personas: dict[str, Any]) -> None:
    trio_fund(personas["admin"])
    c = cash(personas["finance"], "trio", "FRA", "1000.00", "EUR", "2024-05-02", reference="FR-1")
    out = run("reverse", str(c.pk), "--reason", "paid twice", "--as", "finance")
    entry = Contribution.objects.get(reverses=c)
    assert f"contribution {entry.pk} reverses contribution {c.pk} of FRA in trio" in out
    listing = run("contributions", "trio", "--as", "finance")
    assert f"reverses {c.pk}: paid twice" in listing and f"reversed by {entry.pk}" in listing
    with pytest.raises(CommandError, match="already reversed"):
        run("reverse", str(c.pk), "--reason", "again", "--as", "finance")
    with pytest.raises(CommandError, match="reason"):
        run("reverse", str(c.pk), "--reason", "  ", "--as", "finance")
    # The payment reference may be credited again once its first credit is reversed.
    cash(personas["finance"], "trio", "FRA", "100.00", "EUR", "2024-05-02", reference="FR-1")


def test_a_contribution_larger_than_the_members_whole_fund_fair_share_needs_confirmation(
    personas: dict[str, Any], api_client: Any
) -> None:
    trio_fund(personas["admin"])  # DEU's fair share of the whole fund: 750,000.00 EUR
    assert services.whole_fund_fair_share(Fund.objects.get(slug="trio"), "DEU") == D("750000.00")
    body = {"participant": "DEU", "amount": "99999999999999", "currency": "ISK", "value_date": "2025-03-14"}
    finance = api_client(personas["finance"])
    refused = finance.post("/api/v1/funds/trio/contributions", body, content_type=JSON)
    assert refused.status_code == 422 and refused.json()["field"] == "confirm"
    assert "larger than DEU's fair share of the whole fund (750,000.00 EUR)" in refused.json()["detail"]
    assert "ECB rate" in refused.json()["detail"] and not Contribution.objects.exists()
    # Just below the fair share needs nothing; the confirmed outlier is recorded and audited as such.
    assert (
        finance.post(
            "/api/v1/funds/trio/contributions",
            {**body, "amount": "750000.00", "currency": "EUR"},
            content_type=JSON,
        ).status_code
        == 201
    )
    ok = finance.post("/api/v1/funds/trio/contributions", {**body, "confirm": True}, content_type=JSON)
    assert ok.status_code == 201
    event = AuditEvent.objects.get(object_type="funds.contribution", object_id=str(ok.json()["id"]))
    assert event.after is not None
    assert event.after["confirmed_above_fair_share"] == "750000.00"
    with pytest.raises(CommandError, match="confirm"):
        run("contribute", "trio", "FRA", "99999999999999", "ISK", "--date", "2025-03-14", "--as", "finance")
    out = run(
        "contribute",
        "trio",
        "FRA",
        "99999999999999",
        "ISK",
        "--date",
        "2025-03-14",
        "--confirm",
        "--as",
        "finance",
    )
    assert "contribution" in out and Contribution.objects.filter(owner__code="FRA").count() == 1


def test_a_stale_rate_is_shown_as_stale(personas: dict[str, Any], api_client: Any) -> None:
    from clearinghouse.core import fx

    trio_fund(personas["admin"])
    # The ECB stopped publishing RUB in March 2022: a 2024 value date gets the last rate, two years old.
    c = cash(personas["finance"], "trio", "POL", "1000.00", "RUB", "2024-03-01")
    assert c.fx_date < dt.date(2022, 3, 31) and fx.is_stale(c.fx_date, c.value_date)
    fresh = cash(personas["finance"], "trio", "POL", "1000.00", "PLN", "2024-03-02")  # a Saturday
    assert not fx.is_stale(fresh.fx_date, fresh.value_date)
    listed = {
        x["id"]: x
        for x in api_client(personas["finance"]).get("/api/v1/funds/trio/contributions").json()["items"]
    }
    assert (listed[c.pk]["fx_stale"], listed[fresh.pk]["fx_stale"]) == (True, False)
    lines = {
        line.split("\t")[0]: line for line in run("contributions", "trio", "--as", "finance").splitlines()
    }
    assert "stale" in lines[str(c.pk)] and "stale" not in lines[str(fresh.pk)]
    # Five business days is the limit: Monday's rate for the next Monday is not stale, for Tuesday it is.
    assert not fx.is_stale(dt.date(2024, 3, 4), dt.date(2024, 3, 11))
    assert fx.is_stale(dt.date(2024, 3, 4), dt.date(2024, 3, 12))


def test_a_member_that_opted_out_cannot_contribute(personas: dict[str, Any], api_client: Any) -> None:
    trio_fund(personas["admin"])
    opt_out(personas["admin"], "trio", "POL", actor=personas["finance"], reason="abstains")
    r = api_client(personas["finance"]).post(
        "/api/v1/funds/trio/contributions",
        {"participant": "POL", "amount": "10.00", "currency": "EUR", "value_date": "2024-03-01"},
        content_type=JSON,
    )
    assert r.status_code == 422 and r.json()["field"] == "participant"
    assert "POL has opted out of trio (abstains)" in r.json()["detail"]
    pledge = committed_pledge(personas, donor="POL")
    with pytest.raises(InvalidInput, match="opted out") as e:
        services.credit_pledge(actor=personas["finance"], slug="trio", pledge_id=pledge.pk, year=2025)
    assert e.value.field == "pledge_id" and not Contribution.objects.exists()


def test_the_contribution_page_previews_confirms_and_reverses(
    personas: dict[str, Any], page_client: Any
) -> None:
    trio_fund(personas["admin"])
    client = page_client(personas["finance"])
    url = reverse("fund-contribute", args=["trio"])
    form = {
        "participant": "DEU",
        "amount": "99999999999999",
        "currency": "ISK",
        "value_date": "2025-03-14",
        "releasability": "contact_group",
    }
    page = client.get(url).content.decode()
    assert '<select name="currency"' in page and '<option value="ISK">ISK</option>' in page
    preview = client.post(url, form).content.decode()
    assert 'id="preview"' in preview and "published 2025-03-14" in preview and 'id="outlier"' in preview
    refused = client.post(url, {**form, "step": "record"}).content.decode()
    assert "larger than DEU&#x27;s fair share" in refused and 'value="99999999999999"' in refused
    assert not Contribution.objects.exists()
    done = client.post(url, {**form, "step": "record", "confirm": "on"})
    assert done.status_code == 302
    typo = Contribution.objects.get()
    reverse_url = reverse("fund-contribution-reverse", args=["trio", typo.pk])
    assert reverse_url in client.get(reverse("fund-contributions", args=["trio"])).content.decode()
    form_page = client.get(reverse_url).content.decode()
    assert "99,999,999,999,999.00 ISK" in form_page
    assert "This field is required" in client.post(reverse_url, {"reason": ""}).content.decode()
    assert client.post(reverse_url, {"reason": "typo"}).status_code == 302
    listing = client.get(reverse("fund-contributions", args=["trio"])).content.decode()
    entry = Contribution.objects.get(reverses=typo)
    assert f"reversed by {entry.pk}" in listing and f"reverses {typo.pk}" in listing
    assert page_client(personas["donor_deu"]).get(reverse_url).status_code == 403
    assert client.get(reverse("fund-contribution-reverse", args=["trio", 99999])).status_code == 404
