"""Issue 18 (4): a clearing run from the database builds its problem from value queries, inserts its
proposals in a few statements, stores the offers review needs, and the command prints a summary
unless asked for every proposal (`--verbose`, `--format json`)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clearinghouse.clearing import services
from clearinghouse.clearing.models import ClearingRun, Proposal

pytestmark = pytest.mark.django_db


def test_problem_from_values_is_the_problem_from_objects(situation: dict[str, Any]) -> None:
    """The elements match the records one by one (values, factors, residuals), in few queries."""
    from clearinghouse.pledges.models import Pledge
    from clearinghouse.requirements.models import Requirement

    with CaptureQueriesContext(connection) as queries:
        built = services.build_problem(on=situation["today"])
    assert len(queries) <= 4  # requirements, their item types, pledges (no query per record)
    for r in Requirement.objects.filter(cancelled=False).prefetch_related("item_types"):
        element = built.requirements.get(services.req_key(r.pk))
        residual = int(r.quantity - r.allocated_provides)
        if residual <= 0:
            assert element is None
            continue
        assert element is not None
        assert element["item_types"] == sorted(r.factors()) and element["quantity"] == residual
        assert element["priority"] == r.priority and element["capability"] == r.capability.code
    for p in Pledge.objects.filter(kind="in_kind", status__in=services.MATCHABLE_PLEDGE_STATUSES):
        offer = built.offers[services.offer_key(p.pk)]
        assert (offer["donor"], offer["item_type"]) == (p.owner.code, p.item_type.code)
        assert offer["quantity"] == (p.quantity or 0) - p.allocated_quantity


def test_proposals_inserted_in_bulk_read_back_exactly(
    situation: dict[str, Any], personas: dict[str, Any]
) -> None:
    run = services.run_matching(actor=personas["coordinator"], on=situation["today"])
    stored = list(run.proposals.order_by("pk"))
    assert stored
    assert all(p.state == "proposed" and p.reason == "" and p.allocation_id is None for p in stored)
    assert sum(p.quantity for p in stored) == sum(a["quantity"] for a in run.result["allocations"])
    # An exact decimal with places survives the raw insert (SQLite stores it scaled).
    services.insert_proposals(
        run,
        [
            {
                "requirement_id": stored[0].requirement_id,
                "pledge_id": stored[0].pledge_id,
                "quantity": 3,
                "provides": Decimal("1.125"),
                "worth_per_unit": 12.5,
                "displaced": "x",
            }
        ],
    )
    extra = Proposal.objects.order_by("-pk").first()
    assert extra is not None and extra.provides == Decimal("1.125") and extra.worth_per_unit == 12.5
    # Review keeps the offers the run proposes (acceptance re-checks them), not every pledge.
    offers = run.parameters["elements"]["offers"]
    assert set(offers) == {services.offer_key(p.pledge_id) for p in stored}
    assert len(run.problem["offers"]) >= len(offers)


def test_cli_prints_a_summary_unless_asked(situation: dict[str, Any], capsys: Any) -> None:
    call_command("clearing", "run", "--as", "coordinator")
    out = capsys.readouterr().out
    run = ClearingRun.objects.get()
    assert out.splitlines()[0].startswith(f"run {run.pk}: OPTIMAL")
    assert "proposal " not in out and "--verbose" in out
    call_command("clearing", "run", "--verbose", "--as", "coordinator")
    verbose = capsys.readouterr().out
    latest = ClearingRun.objects.order_by("-pk").first()
    assert latest is not None
    assert verbose.count("  proposal ") == latest.proposals.count() > 0
    call_command("clearing", "run", "--format", "json", "--as", "coordinator")
    doc = json.loads(capsys.readouterr().out)
    last = ClearingRun.objects.order_by("-pk").first()
    assert last is not None and doc["id"] == last.pk and doc["proposals"] == last.proposals.count()
    assert {"id", "status", "objective", "bound", "input_digest", "timings", "items"} <= set(doc)
    first = doc["items"][0]
    assert set(first) == {
        "id",
        "requirement",
        "pledge",
        "package",
        "quantity",
        "provides",
        "worth_per_unit",
        "state",
        "reason",
        "allocation",
        "displaced",
    }
    assert isinstance(first["provides"], str)


def test_the_run_page_pages_its_proposals(
    situation: dict[str, Any], personas: dict[str, Any], page_client: Any
) -> None:
    run = services.run_matching(actor=personas["coordinator"], on=situation["today"])
    first = run.proposals.order_by("pk").first()
    assert first is not None
    services.insert_proposals(
        run,
        [
            {
                "requirement_id": first.requirement_id,
                "pledge_id": first.pledge_id,
                "quantity": 1,
                "provides": Decimal(1),
                "worth_per_unit": -float(i),
                "displaced": "",
            }
            for i in range(70)
        ],
    )
    total = run.proposals.count()
    client = page_client(personas["coordinator"])
    one = client.get(f"/clearing/runs/{run.pk}/").content.decode()
    two = client.get(f"/clearing/runs/{run.pk}/?page=2").content.decode()
    rows = one.count('name="proposal"'), two.count('name="proposal"')
    assert rows == (50, total - 50)
    assert f"Page 1 of 2 · {total} in all" in one and "page=2" in one
