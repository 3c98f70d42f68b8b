"""Pledges through the services: entry, valuation and FX, lifecycle, allocations, deliveries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from clearinghouse.catalog.models import ItemPrice
from clearinghouse.catalog.services import load_catalog
from clearinghouse.core import clock
from clearinghouse.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from clearinghouse.core.models import AuditEvent
from clearinghouse.pledges import selectors, services
from clearinghouse.pledges.choices import TRANSITIONS, PledgeStatus
from clearinghouse.pledges.models import Allocation, Pledge
from clearinghouse.pledges.tests import factories
from clearinghouse.requirements.models import Requirement

pytestmark = pytest.mark.django_db


# --- entry, valuation, FX --------------------------------------------------------------------------


def test_fx_uses_the_ecb_reference_rate_of_the_value_date(personas: dict[str, Any]) -> None:
    # ECB euro foreign exchange reference rate, 2 January 2024: 1 EUR = 1.0956 USD.
    p = factories.financial(personas, amount="1095600.00", currency="USD", available_from="2024-01-02")
    assert (p.fx_rate, p.fx_date) == (Decimal("1.0956"), dt.date(2024, 1, 2))
    assert p.value_eur == Decimal("1000000.00") and p.value_amount == Decimal("1095600.00")


def test_fx_on_a_weekend_uses_the_last_rate_before_it_and_stores_its_date(personas: dict[str, Any]) -> None:
    # Saturday 6 January 2024: the last ECB rate is Friday 5 January's, 1 EUR = 1.0921 USD.
    p = factories.financial(personas, amount="1092100", currency="USD", available_from="2024-01-06")
    assert (p.fx_rate, p.fx_date, p.value_eur) == (
        Decimal("1.0921"),
        dt.date(2024, 1, 5),
        Decimal("1000000.00"),
    )
    lower_case = factories.financial(personas, currency="usd", available_from="2024-01-02")
    assert (lower_case.currency, lower_case.fx_rate) == ("USD", Decimal("1.0956"))


def test_fx_beyond_the_bundled_history_uses_its_last_rate(personas: dict[str, Any]) -> None:
    from clearinghouse.core import fx

    last = fx.converter().bounds["USD"].last_date
    p = factories.financial(personas, available_from=(last + dt.timedelta(days=400)).isoformat())
    assert p.fx_date == last and p.fx_rate == fx.ecb_rate("USD", "EUR", last).eur_from


def test_euro_needs_no_conversion(personas: dict[str, Any]) -> None:
    p = factories.financial(personas, amount="5", currency="EUR", available_from="2024-01-06")
    assert (p.fx_rate, p.fx_date, p.value_eur) == (Decimal(1), dt.date(2024, 1, 6), Decimal("5.00"))


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"currency": "XYZ"}, "currency", "not an ISO 4217"),
        ({"currency": "UAH"}, "currency", "no ECB reference rate"),
        ({"currency": ""}, "currency", "required"),
        ({"amount": "0"}, "amount", "positive"),
        ({"amount": "1.005"}, "amount", "two decimal places"),
        ({"amount": "lots"}, "amount", "not a number"),
        ({"available_from": "1990-01-01"}, "currency", "starts on"),
        ({"available_from": ""}, "available_from", "required"),
        ({"quantity": 5}, "quantity", "only for in-kind"),
        ({"tranches": [{"year": 2024, "amount": "1"}]}, "tranches", "add up"),
        (
            {"tranches": [{"year": 2024, "amount": "500000"}, {"year": 2024, "amount": "500000"}]},
            "tranches.1.year",
            "twice",
        ),
        ({"kind": "loan"}, "kind", "not one of"),
    ],
)
def test_bad_financial_pledges_are_refused_with_the_field(
    personas: dict[str, Any], data: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(InvalidInput) as exc:
        factories.financial(personas, **data)
    assert exc.value.field == field and words in exc.value.message
    assert not Pledge.objects.exists()


def test_multi_year_tranches_add_up_to_the_amount(personas: dict[str, Any]) -> None:
    p = factories.financial(
        personas,
        amount="3000000",
        tranches=[{"year": 2026, "amount": "2000000"}, {"year": 2025, "amount": 1000000}],
    )
    assert [(t.year, t.amount) for t in p.tranches.order_by("year")] == [
        (2025, Decimal("1000000.00")),
        (2026, Decimal("2000000.00")),
    ]


def test_in_kind_is_valued_at_the_catalog_price_of_its_date_unless_the_donor_values_it(
    personas: dict[str, Any],
) -> None:
    load_catalog()
    old = factories.pledge(personas, unit_value="", currency="", available_from="2023-06-01", quantity=10)
    new = factories.pledge(personas, unit_value="", currency="", available_from="2024-06-03", quantity=10)
    assert (old.unit_value, old.currency, old.value_eur) == (Decimal("3000.00"), "EUR", Decimal("30000.00"))
    assert new.unit_value == Decimal("8000.00") and "valid from 2024-01-01" in new.valuation_source
    # A later revision of the price list does not rewrite an earlier valuation.
    assert old.item_type is not None
    ItemPrice.objects.create(
        item_type=old.item_type,
        unit_value=Decimal("1"),
        currency="EUR",
        source="t",
        valid_from=dt.date(2023, 1, 1),
    )
    services.update_pledge(actor=personas["donor_usa"], pledge_id=old.pk, changes={"notes": "n"})
    old.refresh_from_db()
    assert old.unit_value == Decimal("3000.00")
    own = factories.pledge(personas, unit_value="2500", currency="EUR", quantity=4)
    assert own.value_amount == Decimal("10000.00") and own.valuation_source == "donor's valuation"
    # Priced in euros, pledged in dollars: converted at the rate of the value date (1.0956).
    usd = factories.pledge(personas, unit_value="", currency="USD", available_from="2024-01-02", quantity=1)
    assert usd.unit_value == Decimal("8764.80") and usd.value_eur == Decimal("8000.00")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"item_type": "NOPE"}, "item_type"),
        ({"item_type": ""}, "item_type"),
        ({"quantity": -3}, "quantity"),
        ({"unit_value": "-1"}, "unit_value"),
        ({"amount": "100"}, "amount"),
        ({"currency": ""}, "currency"),
        ({"donor": "XXX"}, "donor"),
    ],
)
def test_bad_in_kind_pledges_are_refused_with_the_field(
    personas: dict[str, Any], data: dict[str, Any], field: str
) -> None:
    if field == "donor":
        with pytest.raises(InvalidInput) as exc:
            services.create_pledge(actor=personas["admin"], data={"donor": "XXX", "kind": "in_kind"})
    else:
        with pytest.raises(InvalidInput) as exc:
            factories.pledge(personas, **data)
    assert exc.value.field == field


@pytest.mark.parametrize("name", ["donor_deu", "recipient", "coordinator", "analyst", "auditor", "finance"])
def test_donor_officers_enter_only_their_own_participants_pledges(
    personas: dict[str, Any], name: str
) -> None:
    factories.ensure_catalog()
    data = {
        "donor": "USA",
        "kind": "financial",
        "amount": "1",
        "currency": "EUR",
        "available_from": "2024-01-02",
    }
    with pytest.raises(PermissionDenied):
        services.create_pledge(actor=personas[name], data=data)
    assert services.create_pledge(actor=personas["admin"], data=data).owner.code == "USA"


def test_only_the_donor_edits_and_the_external_ref_is_unique_per_donor(personas: dict[str, Any]) -> None:
    p = factories.pledge(personas, external_ref="US-1")
    factories.pledge(personas, donor="donor_deu", external_ref="US-1")  # another donor may reuse it
    with pytest.raises(Conflict, match="already has a pledge"):
        factories.pledge(personas, external_ref="US-1")
    for name in ("donor_deu", "coordinator", "recipient"):
        with pytest.raises((PermissionDenied, NotFound)):
            services.update_pledge(actor=personas[name], pledge_id=p.pk, changes={"notes": "x"})
    with pytest.raises(InvalidInput, match="kind cannot change"):
        services.update_pledge(actor=personas["donor_usa"], pledge_id=p.pk, changes={"kind": "financial"})
    p = services.update_pledge(
        actor=personas["donor_usa"], pledge_id=p.pk, changes={"quantity": 200, "available_from": "2024-01-06"}
    )
    assert p.value_amount == Decimal("600000.00") and p.version == 2


def test_upsert_by_donor_and_external_ref(personas: dict[str, Any]) -> None:
    factories.ensure_catalog()
    row = {
        "external_ref": "P-7",
        "donor": "USA",
        "kind": "in_kind",
        "item_type": "AMM-155-HE",
        "quantity": "10",
        "unit_value": "3000",
        "amount": "",
        "currency": "EUR",
        "available_from": "2024-01-02",
        "releasability": "",
        "notes": "",
    }
    first, what = services.upsert_pledge(actor=personas["donor_usa"], data=row)
    assert what == "created"
    assert services.upsert_pledge(actor=personas["donor_usa"], data=row) == (first, "unchanged")
    updated, what = services.upsert_pledge(actor=personas["donor_usa"], data={**row, "quantity": "11"})
    assert (updated.pk, what, updated.quantity) == (first.pk, "updated", 11)


# --- lifecycle -------------------------------------------------------------------------------------


def test_the_lifecycle_of_a_financial_pledge(personas: dict[str, Any]) -> None:
    p = factories.financial(personas)
    cell, donor = personas["coordinator"], personas["donor_usa"]
    for actor, to in [(cell, "accepted"), (donor, "committed"), (donor, "in_delivery"), (cell, "delivered")]:
        p = services.transition_pledge(actor=actor, pledge_id=p.pk, to=to)
        assert p.status == to
    events = AuditEvent.objects.filter(object_type="pledges.pledge", object_id=str(p.pk), action="transition")
    assert [e.after["status"] for e in events] == ["accepted", "committed", "in_delivery", "delivered"]


ILLEGAL = [
    (s, t)
    for s in PledgeStatus.values
    for t in PledgeStatus.values
    if (t not in TRANSITIONS[s] and s != PledgeStatus.OFFERED) or (s == t == PledgeStatus.OFFERED)
]
PATH = {
    "offered": [],
    "accepted": ["accepted"],
    "committed": ["accepted", "committed"],
    "in_delivery": ["accepted", "committed", "in_delivery"],
    "delivered": ["accepted", "committed", "in_delivery", "delivered"],
    "withdrawn": ["withdrawn"],
    "declined": ["declined"],
}


@pytest.mark.parametrize(("start", "to"), ILLEGAL, ids=[f"{s}->{t}" for s, t in ILLEGAL])
def test_an_illegal_transition_is_a_conflict_naming_both_states(
    personas: dict[str, Any], start: str, to: str
) -> None:
    p = factories.financial(personas)
    for step in PATH[start]:
        services.transition_pledge(actor=personas["admin"], pledge_id=p.pk, to=step, reason="test")
    with pytest.raises(Conflict) as exc:
        services.transition_pledge(actor=personas["admin"], pledge_id=p.pk, to=to)
    assert exc.value.message == f"cannot move pledge {p.pk} from {start} to {to}"
    assert Pledge.objects.get(pk=p.pk).status == start


def test_who_may_move_a_pledge(personas: dict[str, Any]) -> None:
    p = factories.financial(personas)
    with pytest.raises(PermissionDenied):
        services.transition_pledge(actor=personas["donor_usa"], pledge_id=p.pk, to="accepted")
    with pytest.raises(PermissionDenied):
        services.transition_pledge(actor=personas["coordinator"], pledge_id=p.pk, to="withdrawn")
    with pytest.raises(PermissionDenied):
        services.transition_pledge(actor=personas["analyst"], pledge_id=p.pk, to="declined")
    with pytest.raises(NotFound):  # the pledge is marked coordination: invisible to another donor
        services.transition_pledge(actor=personas["donor_deu"], pledge_id=p.pk, to="withdrawn")
    with pytest.raises(InvalidInput):
        services.transition_pledge(actor=personas["coordinator"], pledge_id=p.pk, to="lost")
    assert (
        services.transition_pledge(
            actor=personas["coordinator"], pledge_id=p.pk, to="declined", reason="duplicate"
        ).status
        == "declined"
    )


def test_an_in_kind_pledge_reaches_delivery_only_through_deliveries(personas: dict[str, Any]) -> None:
    p = factories.accepted(personas)
    services.transition_pledge(actor=personas["donor_usa"], pledge_id=p.pk, to="committed")
    with pytest.raises(Conflict, match="from committed to in_delivery: an in-kind pledge"):
        services.transition_pledge(actor=personas["donor_usa"], pledge_id=p.pk, to="in_delivery")


def test_withdrawing_releases_the_allocations(personas: dict[str, Any]) -> None:
    a = factories.allocation(personas, quantity=30)
    services.transition_pledge(
        actor=personas["donor_usa"], pledge_id=a.pledge_id, to="withdrawn", reason="stocks needed at home"
    )
    assert not Allocation.objects.exists()
    assert Requirement.objects.get(pk=a.requirement_id).allocated_quantity == 0
    assert Pledge.objects.get(pk=a.pledge_id).allocated_quantity == 0
    assert AuditEvent.objects.filter(object_type="pledges.allocation", action="delete").count() == 1


# --- allocations -----------------------------------------------------------------------------------


def test_allocation_rules(personas: dict[str, Any]) -> None:
    cell = personas["coordinator"]
    r = factories.requirement(personas, quantity=50)
    offered = factories.pledge(personas)
    with pytest.raises(Conflict, match="while it is offered"):
        services.allocate(actor=cell, pledge_id=offered.pk, requirement_id=r.pk, quantity=1)
    money = factories.financial(personas)
    services.transition_pledge(actor=cell, pledge_id=money.pk, to="accepted")
    with pytest.raises(Conflict, match="financial"):
        services.allocate(actor=cell, pledge_id=money.pk, requirement_id=r.pk, quantity=1)
    guns = factories.accepted(personas, item_type="ART-M777", quantity=5)
    with pytest.raises(Conflict, match="does not accept item type ART-M777"):
        services.allocate(actor=cell, pledge_id=guns.pk, requirement_id=r.pk, quantity=1)
    p = factories.accepted(personas, quantity=100)
    with pytest.raises(Conflict, match="only 50 of its 50 are still open"):
        services.allocate(actor=cell, pledge_id=p.pk, requirement_id=r.pk, quantity=51)
    other = factories.requirement(personas, quantity=1000)
    services.allocate(actor=cell, pledge_id=p.pk, requirement_id=other.pk, quantity=80)
    with pytest.raises(Conflict, match="only 20 of its 100 are not allocated"):
        services.allocate(actor=cell, pledge_id=p.pk, requirement_id=r.pk, quantity=21)
    with pytest.raises(PermissionDenied):
        services.allocate(actor=personas["donor_usa"], pledge_id=p.pk, requirement_id=r.pk, quantity=1)
    with pytest.raises(InvalidInput):
        services.allocate(actor=cell, pledge_id=p.pk, requirement_id=r.pk, quantity=0)
    with pytest.raises(NotFound):
        services.allocate(actor=cell, pledge_id=p.pk, requirement_id=999_999, quantity=1)
    a = services.allocate(actor=cell, pledge_id=p.pk, requirement_id=r.pk, quantity=20, source="clearing:7")
    assert (a.source, a.created_by) == ("clearing:7", cell)
    assert (
        Pledge.objects.get(pk=p.pk).allocated_quantity,
        Requirement.objects.get(pk=r.pk).allocated_quantity,
    ) == (
        100,
        20,
    )


def test_the_database_itself_refuses_over_allocation(personas: dict[str, Any]) -> None:
    a = factories.allocation(personas, quantity=50)
    with pytest.raises(IntegrityError), transaction.atomic():
        Pledge.objects.filter(pk=a.pledge_id).update(allocated_quantity=101)
    with pytest.raises(IntegrityError), transaction.atomic():
        # What is allocated counts in the requirement's units (units × factor), in thousandths.
        Requirement.objects.filter(pk=a.requirement_id).update(allocated_milli=1001 * 1000)
    with pytest.raises(IntegrityError), transaction.atomic():
        Requirement.objects.filter(pk=a.requirement_id).update(delivered_milli=51 * 1000)
    with pytest.raises(IntegrityError), transaction.atomic():
        Allocation.objects.filter(pk=a.pk).update(delivered_quantity=51)


def test_changing_and_releasing_allocations(personas: dict[str, Any]) -> None:
    cell = personas["coordinator"]
    a = factories.allocation(personas, quantity=50)
    services.record_delivery(
        actor=personas["donor_usa"], allocation_id=a.pk, quantity=10, delivered_on="2024-02-01"
    )
    with pytest.raises(Conflict, match="10 were delivered already"):
        services.update_allocation(actor=cell, allocation_id=a.pk, changes={"quantity": 9})
    with pytest.raises(Conflict, match="only 50 of its 100 are not allocated"):
        services.update_allocation(actor=cell, allocation_id=a.pk, changes={"quantity": 101})
    a = services.update_allocation(actor=cell, allocation_id=a.pk, changes={"quantity": 70})
    assert Pledge.objects.get(pk=a.pledge_id).allocated_quantity == 70
    kept = services.release_allocation(actor=cell, allocation_id=a.pk)
    assert kept is not None and kept.quantity == 10
    assert Requirement.objects.get(pk=a.requirement_id).allocated_quantity == 10


# --- deliveries ------------------------------------------------------------------------------------


def test_deliveries_move_the_pledge_to_in_delivery_then_delivered(personas: dict[str, Any]) -> None:
    cell, donor = personas["coordinator"], personas["donor_usa"]
    p = factories.accepted(personas, quantity=100)
    first, second = factories.requirement(personas), factories.requirement(personas)
    a1 = services.allocate(actor=cell, pledge_id=p.pk, requirement_id=first.pk, quantity=60)
    services.record_delivery(actor=donor, allocation_id=a1.pk, quantity=60, delivered_on="2024-02-01")
    p.refresh_from_db()
    assert p.status == "in_delivery"  # all allocated units delivered, but 40 not allocated yet
    with pytest.raises(Conflict, match="only 0 of its 60 are not delivered"):
        services.record_delivery(actor=donor, allocation_id=a1.pk, quantity=1, delivered_on="2024-02-01")
    a2 = services.allocate(actor=cell, pledge_id=p.pk, requirement_id=second.pk, quantity=40)
    services.record_delivery(actor=cell, allocation_id=a2.pk, quantity=39, delivered_on="2024-02-02")
    p.refresh_from_db()
    assert p.status == "in_delivery"
    services.record_delivery(actor=donor, allocation_id=a2.pk, quantity=1, delivered_on="2024-02-03")
    p.refresh_from_db()
    assert (p.status, p.delivered_quantity) == ("delivered", 100)
    reasons = [
        e.after.get("reason")
        for e in AuditEvent.objects.filter(
            object_type="pledges.pledge", object_id=str(p.pk), action="transition"
        )
    ]
    assert reasons[1].startswith("first delivery") and reasons[2] == "all units allocated and delivered"


def test_reducing_the_pledge_to_what_was_delivered_completes_it(personas: dict[str, Any]) -> None:
    d = factories.delivery(personas, quantity=50)  # allocation of 50 out of 100, all delivered
    p = services.update_pledge(
        actor=personas["donor_usa"], pledge_id=d.allocation.pledge_id, changes={"quantity": 50}
    )
    assert p.status == "delivered"
    with pytest.raises(Conflict, match="is delivered: only its notes"):
        services.update_pledge(actor=personas["donor_usa"], pledge_id=p.pk, changes={"quantity": 60})


def test_delivery_rules(personas: dict[str, Any]) -> None:
    a = factories.allocation(personas)
    donor = personas["donor_usa"]
    with pytest.raises(PermissionDenied):
        services.record_delivery(
            actor=personas["recipient"], allocation_id=a.pk, quantity=1, delivered_on="2024-01-01"
        )
    with pytest.raises(InvalidInput, match="in the future"):
        services.record_delivery(
            actor=donor, allocation_id=a.pk, quantity=1, delivered_on=clock.today() + dt.timedelta(days=5)
        )
    d = services.record_delivery(actor=donor, allocation_id=a.pk, quantity=5, delivered_on="2024-03-01")
    d = services.update_delivery(actor=donor, delivery_id=d.pk, changes={"quantity": 7})
    assert Allocation.objects.get(pk=a.pk).delivered_quantity == 7
    with pytest.raises(PermissionDenied):
        services.confirm_delivery(actor=donor, delivery_id=d.pk)
    d = services.confirm_delivery(actor=personas["recipient"], delivery_id=d.pk)
    assert d.confirmed and d.confirmed_by == personas["recipient"]
    with pytest.raises(Conflict, match="already confirmed"):
        services.confirm_delivery(actor=personas["recipient"], delivery_id=d.pk)
    with pytest.raises(Conflict, match="only its notes"):
        services.update_delivery(actor=donor, delivery_id=d.pk, changes={"quantity": 6})
    assert services.update_delivery(actor=donor, delivery_id=d.pk, changes={"notes": "ok"}).notes == "ok"


def test_pipeline_sums_value_in_eur_by_status(personas: dict[str, Any]) -> None:
    factories.financial(personas, amount="1095600", currency="USD")
    factories.pledge(personas, quantity=10)
    factories.pledge(personas, donor="donor_deu", quantity=1, releasability="owner")
    seen_by_usa = selectors.pipeline(user=personas["donor_usa"])
    assert seen_by_usa["offered"] == {"count": 2, "value_eur": Decimal("1030000.00")}
    assert selectors.pipeline(user=personas["coordinator"])["offered"]["count"] == 3
