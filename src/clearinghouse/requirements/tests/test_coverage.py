"""Requirement coverage hides the allocations a viewer may not see (issue 10, item 10).

The attack: DEU's officer sees its own allocation to a requirement, and the requirement's coverage.
The USA's allocation, from an owner-marked pledge, is hidden from DEU (and from the recipient). If
the exact total were shown, total minus DEU's own allocation would be the USA's. The test changes
the hidden allocation (its size, its donor, its date) and checks that nothing DEU can get from any
door changes: then nothing DEU gets can tell what the hidden allocation is.
"""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from clearinghouse.core import clock
from clearinghouse.pledges import services as pledge_services
from clearinghouse.pledges.models import Allocation, Pledge
from clearinghouse.pledges.tests import factories
from clearinghouse.requirements import coverage

pytestmark = pytest.mark.django_db

STATUSES = ("open", "partly_covered", "covered", "mostly_covered", "delivered", "cancelled")
# Per-request values that differ between any two answers: CSRF tokens and the CSP nonce.
_TOKEN = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": "|nonce="|"inlineScriptNonce": ")[^"]+')


def _pledge(personas: dict[str, Any], donor: str, quantity: int, **data: Any) -> Pledge:
    return factories.accepted(personas, donor=donor, quantity=quantity, **data)


def _allocate(personas: dict[str, Any], pledge: Pledge, requirement: Any, units: int) -> Allocation:
    return pledge_services.allocate(
        actor=personas["coordinator"], pledge_id=pledge.pk, requirement_id=requirement.pk, quantity=units
    )


@pytest.fixture
def board(personas: dict[str, Any]) -> dict[str, Any]:
    """A requirement of 1000 rounds: 200 from DEU (visible to DEU), 150 from an owner-marked USA pledge."""
    requirement = factories.requirement(personas, quantity=1000)
    own = _pledge(personas, "donor_deu", 300, releasability="contact_group")
    hidden = _pledge(personas, "donor_usa", 300, releasability="owner")
    return {
        "requirement": requirement,
        "own": _allocate(personas, own, requirement, 200),
        "hidden": _allocate(personas, hidden, requirement, 150),
        "hidden_pledge": hidden,
    }


def _everything(personas: dict[str, Any], api_client: Any, page_client: Any, who: str, rid: int) -> Any:
    """Everything `who` can get about the requirement's coverage, from every door."""
    api = api_client(personas[who])
    pages = page_client(personas[who])
    got: dict[str, Any] = {}
    detail = api.get(f"/api/v1/requirements/{rid}")
    got["api-detail"] = detail.json()
    got["etag"] = detail["ETag"]
    for status in STATUSES:
        got[f"api-{status}"] = [
            r["id"] for r in api.get(f"/api/v1/requirements?status={status}").json()["items"]
        ]
    for status in ("", "open", "unallocated", "partly_covered", "mostly_covered", "covered", "delivered"):
        got[f"page-{status}"] = _TOKEN.sub("", pages.get(f"/requirements/?status={status}").content.decode())
    got["page-detail"] = _TOKEN.sub("", pages.get(f"/requirements/{rid}/").content.decode())
    got["home"] = _TOKEN.sub("", pages.get("/").content.decode())
    got["shortfalls"] = api.get("/api/v1/clearing/shortfalls").json()
    got["shortfalls-page"] = _TOKEN.sub("", pages.get("/shortfalls/").content.decode())
    got["allocations"] = api.get(f"/api/v1/allocations?requirement={rid}").json()
    out = StringIO()
    call_command("requirements", "list", "--as", personas[who].username, "--format", "json", stdout=out)
    got["cli"] = out.getvalue()
    return got


@pytest.mark.parametrize("who", ["donor_deu", "recipient"])
def test_a_hidden_allocation_cannot_be_derived(
    board: dict[str, Any], personas: dict[str, Any], api_client: Any, page_client: Any, who: str
) -> None:
    rid = board["requirement"].pk
    before = _everything(personas, api_client, page_client, who, rid)
    shown = before["api-detail"]
    # The total is not given exactly (it would be a subtraction away from the hidden 150).
    assert shown["allocated_quantity"] is None and shown["coverage_pct"] is None
    assert shown["coverage"]["mode"] == "coarse"
    assert shown["coverage"]["allocated_band"] == [25, 50]  # 350 of 1000, hidden part included
    assert shown["coverage"]["hidden_allocated"] is None
    assert shown["status"] == "partly_covered"
    assert "150" not in before["page-detail"] and "350" not in before["page-detail"]
    assert "pledges not releasable to you" in before["page-detail"]
    coordinator = api_client(personas["coordinator"])
    hidden = board["hidden"]
    # Another size within the band: DEU (or the recipient) gets exactly what it got.
    pledge_services.update_allocation(
        actor=personas["coordinator"], allocation_id=hidden.pk, changes={"quantity": 240}
    )
    assert _everything(personas, api_client, page_client, who, rid) == before
    # Another donor and another date: the same again.
    pledge_services.release_allocation(actor=personas["coordinator"], allocation_id=hidden.pk)
    other = _pledge(personas, "donor_pol", 300, releasability="owner", available_from="2025-06-30")
    _allocate(personas, other, board["requirement"], 60)
    assert _everything(personas, api_client, page_client, who, rid) == before
    # The coordination cell sees the change (so it was real), and every allocation exactly.
    cell = coordinator.get(f"/api/v1/requirements/{rid}").json()
    assert (cell["allocated_quantity"], cell["coverage"]["mode"]) == (260, "exact")


def test_the_exact_total_leaked_the_hidden_allocation_before(
    board: dict[str, Any], personas: dict[str, Any], api_client: Any
) -> None:
    """What the old rule gave away: total (350) minus the visible allocation (200) = the USA's 150."""
    body = api_client(personas["donor_deu"]).get(f"/api/v1/requirements/{board['requirement'].pk}").json()
    visible = sum(
        a["quantity"] for a in api_client(personas["donor_deu"]).get("/api/v1/allocations").json()["items"]
    )
    assert visible == 200
    assert body["allocated_quantity"] is None  # 350 before: 350 - 200 = 150, the hidden allocation


def test_three_hidden_donors_are_shown_as_one_aggregate(
    board: dict[str, Any], personas: dict[str, Any], api_client: Any, page_client: Any
) -> None:
    requirement = board["requirement"]
    for donor in ("donor_pol", "outsider"):
        _allocate(personas, _pledge(personas, donor, 300, releasability="owner"), requirement, 50)
    body = api_client(personas["donor_deu"]).get(f"/api/v1/requirements/{requirement.pk}").json()
    assert body["coverage"]["mode"] == "aggregate"
    assert (body["allocated_quantity"], body["coverage"]["hidden_allocated"]) == (450, 250)
    assert body["status"] == "partly_covered" and body["coverage_pct"] == 45.0
    html = page_client(personas["donor_deu"]).get(f"/requirements/{requirement.pk}/").content.decode()
    assert "250 allocated, 0 delivered (several donors)" in html
    # How the 250 splits between USA, POL and JPN is not shown: moving units between them changes nothing.
    before = _everything(personas, api_client, page_client, "donor_deu", requirement.pk)
    pledge_services.update_allocation(
        actor=personas["coordinator"], allocation_id=board["hidden"].pk, changes={"quantity": 100}
    )
    extra = _pledge(personas, "donor_pol", 300, releasability="owner")
    _allocate(personas, extra, requirement, 50)
    assert _everything(personas, api_client, page_client, "donor_deu", requirement.pk) == before


def test_the_coordination_cell_and_a_viewer_who_sees_all_get_exact_figures(
    board: dict[str, Any], personas: dict[str, Any], api_client: Any
) -> None:
    body = api_client(personas["analyst"]).get(f"/api/v1/requirements/{board['requirement'].pk}").json()
    assert (body["allocated_quantity"], body["coverage_pct"], body["coverage"]["mode"]) == (
        350,
        35.0,
        "exact",
    )
    # The USA's officer sees both allocations (its own and DEU's contact-group one): exact.
    usa = api_client(personas["donor_usa"]).get(f"/api/v1/requirements/{board['requirement'].pk}").json()
    assert (usa["allocated_quantity"], usa["coverage"]["mode"]) == (350, "exact")


def test_covered_is_not_said_where_it_would_pin_the_hidden_part(
    board: dict[str, Any], personas: dict[str, Any], api_client: Any
) -> None:
    requirement = board["requirement"]
    pledge_services.update_allocation(
        actor=personas["coordinator"], allocation_id=board["hidden"].pk, changes={"quantity": 300}
    )
    more = _pledge(personas, "donor_usa", 500, releasability="owner")
    _allocate(personas, more, requirement, 500)  # 200 + 300 + 500 = 1000: covered
    body = api_client(personas["donor_deu"]).get(f"/api/v1/requirements/{requirement.pk}").json()
    # "covered" would say the hidden part is 1000 - 200 = 800 exactly.
    assert body["status"] == coverage.MOSTLY_COVERED
    assert body["coverage"]["allocated_band"] == [75, 100]

    def ids(status: str) -> set[int]:
        return {
            r["id"]
            for r in api_client(personas["donor_deu"])
            .get(f"/api/v1/requirements?status={status}")
            .json()["items"]
        }

    assert requirement.pk not in ids("covered") and requirement.pk in ids("mostly_covered")


def test_the_owner_cannot_probe_the_total_by_changing_the_quantity(
    board: dict[str, Any], personas: dict[str, Any], api_client: Any
) -> None:
    """Refusals depend only on the band the recipient is shown, never on the hidden total."""
    from clearinghouse.core.errors import Conflict
    from clearinghouse.requirements import services

    rid = board["requirement"].pk
    recipient = personas["recipient"]
    for quantity in (360, 400, 499):  # all above the true 350, all below the band's end (500)
        with pytest.raises(Conflict, match="below 500: allocations from pledges not releasable to you"):
            services.update_requirement(actor=recipient, requirement_id=rid, changes={"quantity": quantity})
    changed = services.update_requirement(actor=recipient, requirement_id=rid, changes={"quantity": 500})
    assert changed.quantity == 500
    with pytest.raises(Conflict, match="not releasable to you"):
        services.cancel_requirement(actor=recipient, requirement_id=rid)


def test_allocations_do_not_date_themselves_through_the_requirement(
    board: dict[str, Any], personas: dict[str, Any]
) -> None:
    from clearinghouse.requirements.models import Requirement

    requirement = Requirement.objects.get(pk=board["requirement"].pk)
    version, updated = requirement.version, requirement.updated_at
    pledge_services.update_allocation(
        actor=personas["coordinator"], allocation_id=board["hidden"].pk, changes={"quantity": 100}
    )
    again = Requirement.objects.get(pk=requirement.pk)
    assert (again.version, again.updated_at, again.allocated_quantity) == (version, updated, 300)
    assert again.updated_at <= clock.now()


@pytest.mark.parametrize("status", ["open", "partly_covered", "covered", "delivered", "mostly_covered"])
def test_the_largest_quantity_filters_by_status_without_overflow(
    personas: dict[str, Any], api_client: Any, status: str
) -> None:
    """Thousandths of the largest accepted quantity (2,000,000,000) pass PostgreSQL's 32-bit integer:
    the status filters and the provided ≤ quantity check compute in 64 bits (found by the API fuzz)."""
    r = factories.requirement(personas, quantity=2_000_000_000)
    pledge = _pledge(personas, "donor_usa", 10)
    _allocate(personas, pledge, r, 10)
    answer = api_client(personas["donor_usa"]).get("/api/v1/requirements", {"status": status})
    assert answer.status_code == 200, answer.content
    ids = {row["id"] for row in answer.json()["items"]}
    assert (r.pk in ids) == (status == "partly_covered")
