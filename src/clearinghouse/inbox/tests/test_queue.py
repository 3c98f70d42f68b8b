"""The work queue: each kind of item appears for the users whose work it is, with a link to where it
is done, and disappears once done (records made through the real services)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clearinghouse.core.choices import JobState
from clearinghouse.core.models import Job
from clearinghouse.inbox import selectors
from clearinghouse.inbox.choices import ItemKind
from clearinghouse.pledges import services as pledge_services
from clearinghouse.pledges.tests import factories

pytestmark = pytest.mark.django_db


def queue(user: Any) -> dict[str, list[selectors.Item]]:
    return {k.kind: k.items for k in selectors.work_queue(user=user)}


def urls(user: Any, kind: str) -> list[str]:
    return [i.url for i in queue(user).get(kind, [])]


def test_offers_wait_for_the_cell_until_accepted_or_declined(personas: dict[str, Any]) -> None:
    one = factories.pledge(personas)
    two = factories.pledge(personas, "donor_deu")
    assert urls(personas["coordinator"], ItemKind.OFFER) == [f"/pledges/{one.pk}/", f"/pledges/{two.pk}/"]
    item = queue(personas["coordinator"])[ItemKind.OFFER][0]
    assert item.title.startswith(f"Pledge {one.pk} of USA: 100 rounds of AMM-155-HE")
    for other in ("donor_usa", "recipient", "finance", "analyst"):
        assert ItemKind.OFFER not in queue(personas[other])
    pledge_services.transition_pledge(actor=personas["coordinator"], pledge_id=one.pk, to="accepted")
    pledge_services.transition_pledge(
        actor=personas["coordinator"], pledge_id=two.pk, to="declined", reason="not needed"
    )
    assert ItemKind.OFFER not in queue(personas["coordinator"])


def test_receipts_wait_for_the_recipient_until_confirmed(personas: dict[str, Any]) -> None:
    delivery = factories.delivery(personas)
    requirement_id = delivery.allocation.requirement_id
    assert urls(personas["recipient"], ItemKind.RECEIPT) == [f"/requirements/{requirement_id}/"]
    assert ItemKind.RECEIPT not in queue(personas["donor_usa"])
    assert ItemKind.RECEIPT not in queue(personas["coordinator"])
    pledge_services.confirm_delivery(actor=personas["recipient"], delivery_id=delivery.pk)
    assert ItemKind.RECEIPT not in queue(personas["recipient"])


def test_requirements_without_a_compatible_offer_the_user_may_see(personas: dict[str, Any]) -> None:
    need = factories.requirement(personas)
    other = factories.requirement(personas, item_types=["AMM-152-HE"], capability="ammunition")
    for who in ("recipient", "coordinator"):
        assert urls(personas[who], ItemKind.UNMATCHED) == [
            f"/requirements/{need.pk}/",
            f"/requirements/{other.pk}/",
        ]
    assert ItemKind.UNMATCHED not in queue(personas["donor_usa"])
    # An offer of an acceptable type takes the first off; one marked for its owner only takes it off
    # for the cell (which sees it), not for the recipient (which may not know of it).
    factories.pledge(personas, item_type="AMM-155-HE")
    factories.pledge(personas, "donor_deu", item_type="AMM-152-HE", releasability="owner")
    assert urls(personas["coordinator"], ItemKind.UNMATCHED) == []
    assert urls(personas["recipient"], ItemKind.UNMATCHED) == [f"/requirements/{other.pk}/"]


def test_failed_imports_wait_for_their_owner_until_an_import_of_the_kind_succeeds(
    personas: dict[str, Any],
) -> None:
    user = personas["donor_usa"]
    failed = Job.objects.create(
        kind="import.pledges",
        owner=user,
        state=JobState.FAILED,
        error="pledges.csv row 3: bad",
        input_name="p.csv",
    )
    Job.objects.create(kind="clearing.run", owner=user, state=JobState.FAILED, error="x")
    items = queue(user)[ItemKind.IMPORT]
    assert [i.url for i in items] == [f"/jobs/{failed.pk}/"]
    assert items[0].title == "Import of p.csv failed: pledges.csv row 3: bad"
    assert ItemKind.IMPORT not in queue(personas["donor_deu"])
    assert ItemKind.IMPORT not in queue(personas["coordinator"])  # sees the job, but it is not its import
    Job.objects.create(kind="import.pledges", owner=user, state=JobState.SUCCEEDED)
    assert ItemKind.IMPORT not in queue(user)


def test_decisions_await_the_position_of_the_members_officers(personas: dict[str, Any]) -> None:
    from clearinghouse.governance import services as governance
    from clearinghouse.governance.models import Body

    Body.objects.create(code="test-council", name="Test council", kind="council", procedure="consensus")
    for code in ("USA", "UKR"):
        governance.add_member(
            actor=personas["coordinator"],
            body="test-council",
            participant=code,
            start=dt.date(2020, 1, 1),
            source="t",
        )
    decision = governance.propose_decision(
        actor=personas["coordinator"], data={"body": "test-council", "title": "Winter package"}
    )
    assert urls(personas["donor_usa"], ItemKind.DECISION) == [f"/governance/decisions/{decision.pk}/"]
    assert urls(personas["recipient"], ItemKind.DECISION) == [f"/governance/decisions/{decision.pk}/"]
    for other in ("donor_deu", "analyst", "finance"):
        assert ItemKind.DECISION not in queue(personas[other])
    governance.record_position(
        actor=personas["donor_usa"], decision_id=decision.pk, participant="USA", position="agree"
    )
    assert ItemKind.DECISION not in queue(personas["donor_usa"])
    assert ItemKind.DECISION in queue(personas["recipient"])


def test_fund_members_in_arrears_for_finance_officers(personas: dict[str, Any]) -> None:
    from clearinghouse.funds.tests.factories import cash, trio_fund

    fund = trio_fund(personas["admin"])
    items = queue(personas["finance"])[ItemKind.ARREARS]
    assert [i.url for i in items] == [f"/funds/{fund.slug}/"]
    assert "3 members in arrears (DEU, FRA, POL)" in items[0].title
    for other in ("analyst", "donor_deu", "coordinator"):
        assert ItemKind.ARREARS not in queue(personas[other])
    # DEU pays its whole share of the three years: the others stay in arrears.
    cash(personas["admin"], fund.slug, "DEU", "750000.00", "EUR", "2024-06-01")
    assert "2 members in arrears (FRA, POL)" in queue(personas["finance"])[ItemKind.ARREARS][0].title


def test_deliveries_overdue_against_a_package_schedule(personas: dict[str, Any]) -> None:
    from clearinghouse.packages.tests.factories import contracted

    factories.ensure_catalog()
    package = contracted(
        personas["coordinator"],
        items=[{"item_type": "AMM-155-HE", "quantity": 600, "unit_value": "3000.00", "currency": "EUR"}],
        funders=[
            {"participant": "NLD", "amount": "1200000.00", "currency": "EUR"},
            {"participant": "DEU", "amount": "600000.00", "currency": "EUR"},
        ],
        schedule=[
            {"month": "2024-03", "item_type": "AMM-155-HE", "quantity": 300},
            {"month": "2099-01", "item_type": "AMM-155-HE", "quantity": 300},
        ],
        signed="2024-01-15",
        value="1750000.00",
    )
    items = queue(personas["coordinator"])[ItemKind.OVERDUE]
    assert [i.url for i in items] == [f"/packages/{package.pk}/"]  # the future month is not due yet
    assert "300 of 300 rounds of AMM-155-HE due in 2024-03" in items[0].title
    assert items[0].since == dt.datetime(2024, 4, 1, tzinfo=dt.UTC)
    assert urls(personas["donor_usa"], ItemKind.OVERDUE) == [f"/packages/{package.pk}/"]  # the implementer
    for other in ("donor_deu", "recipient", "analyst"):
        assert ItemKind.OVERDUE not in queue(personas[other])


def test_the_latest_runs_proposals_wait_for_the_cell_until_accepted(personas: dict[str, Any]) -> None:
    from clearinghouse.clearing import services as clearing

    factories.requirement(personas)
    factories.accepted(personas)
    run = clearing.run_matching(actor=personas["coordinator"])
    items = queue(personas["coordinator"])[ItemKind.PROPOSALS]
    assert [i.url for i in items] == [f"/clearing/runs/{run.pk}/"]
    assert items[0].title == f"Clearing run {run.pk}: 1 proposed allocation"
    assert ItemKind.PROPOSALS not in queue(personas["analyst"])
    assert ItemKind.PROPOSALS not in queue(personas["auditor"])  # sees the run, does not decide it
    clearing.accept_proposals(actor=personas["coordinator"], run_id=run.pk)
    assert ItemKind.PROPOSALS not in queue(personas["coordinator"])


def test_the_queue_costs_as_many_queries_for_five_records_as_for_one(personas: dict[str, Any]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def cost(user: Any) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            total = sum(k.count for k in selectors.work_queue(user=user))
        return total, len(ctx.captured_queries)

    factories.pledge(personas)
    factories.requirement(personas, item_types=["AMM-152-HE"])
    factories.delivery(personas)
    one = {who: cost(personas[who]) for who in ("coordinator", "recipient", "donor_usa")}
    for _ in range(4):
        factories.pledge(personas)
        factories.requirement(personas, item_types=["AMM-152-HE"])
        factories.delivery(personas)
    five = {who: cost(personas[who]) for who in ("coordinator", "recipient", "donor_usa")}
    assert five["coordinator"][0] > one["coordinator"][0] and five["recipient"][0] > one["recipient"][0]
    assert {w: q for w, (_, q) in five.items()} == {w: q for w, (_, q) in one.items()}
