"""Dependent needs: a delivered platform creates or raises the requirements its catalog rules derive
(ammunition allowance, spares, training), linked to the delivery and audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clearinghouse.catalog.models import DependentNeedRule
from clearinghouse.catalog.services import load_catalog
from clearinghouse.clearing import services as clearing_services
from clearinghouse.core.audit import verify
from clearinghouse.core.models import AuditEvent
from clearinghouse.pledges import services as pledge_services
from clearinghouse.pledges.models import Allocation, DerivedNeed
from clearinghouse.requirements import services as requirement_services
from clearinghouse.requirements.models import Requirement

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 10)


def _batteries(personas: dict[str, Any], quantity: int = 4) -> Allocation:
    """An accepted pledge of `quantity` Patriot batteries allocated to the recipient's requirement."""
    need = requirement_services.create_requirement(
        actor=personas["recipient"],
        data={
            "external_ref": "AD-PAT",
            "item_types": "AD-PATRIOT",
            "quantity": quantity,
            "priority": "critical",
        },
    )
    pledge = pledge_services.create_pledge(
        actor=personas["donor_deu"],
        data={
            "donor": "DEU",
            "kind": "in_kind",
            "item_type": "AD-PATRIOT",
            "quantity": quantity,
            "unit_value": "1000000.00",
            "currency": "EUR",
            "available_from": "2026-01-05",
        },
    )
    pledge_services.transition_pledge(actor=personas["coordinator"], pledge_id=pledge.pk, to="accepted")
    return pledge_services.allocate(
        actor=personas["coordinator"], pledge_id=pledge.pk, requirement_id=need.pk, quantity=quantity
    )


def _deliver(personas: dict[str, Any], allocation: Allocation, units: int, day: dt.date = DAY) -> Any:
    return pledge_services.record_delivery(
        actor=personas["donor_deu"], allocation_id=allocation.pk, quantity=units, delivered_on=day
    )


def test_the_catalog_ships_reviewed_rules(personas: dict[str, Any]) -> None:
    load_catalog()
    rule = DependentNeedRule.objects.get(platform__code="AD-PATRIOT", item_type__code="AMM-PATRIOT")
    assert rule.per_month and rule.per_unit > 0 and 0 < rule.months <= 120
    assert all(r.rationale and r.source for r in DependentNeedRule.objects.all())


def test_delivering_two_batteries_derives_an_interceptor_rate_and_a_second_delivery_raises_it(
    personas: dict[str, Any], api_client: Any, page_client: Any
) -> None:
    load_catalog()
    rule = DependentNeedRule.objects.get(platform__code="AD-PATRIOT", item_type__code="AMM-PATRIOT")
    n = rule.per_unit
    allocation = _batteries(personas)
    first = _deliver(personas, allocation, 2)
    derived = Requirement.objects.get(item_types__code="AMM-PATRIOT")
    assert derived.owner.code == "UKR" and derived.priority == "critical"
    assert derived.rate_per_month == 2 * n
    assert (derived.from_month, derived.to_month) == (dt.date(2026, 3, 1), dt.date(2027, 2, 1))
    assert derived.quantity == 2 * n * rule.months
    link = DerivedNeed.objects.get()
    assert (link.delivery_id, link.requirement_id, link.added, link.platform_units) == (
        first.pk,
        derived.pk,
        2 * n,
        2,
    )
    # A second delivery in the same month raises the same requirement; it does not add another.
    second = _deliver(personas, allocation, 1, DAY + dt.timedelta(days=5))
    assert Requirement.objects.filter(item_types__code="AMM-PATRIOT").count() == 1
    derived.refresh_from_db()
    assert derived.rate_per_month == 3 * n and derived.quantity == 3 * n * rule.months
    assert list(DerivedNeed.objects.values_list("delivery_id", flat=True)) == [first.pk, second.pk]
    # Audited: the creation, the raise and both links, with the delivery named.
    events = AuditEvent.objects.filter(object_type="requirements.requirement", object_id=str(derived.pk))
    assert [e.action for e in events.order_by("pk")] == ["create", "update"]
    assert f"derived from delivery {second.pk}" in str(events.order_by("pk").last().after)  # type: ignore[union-attr]
    assert AuditEvent.objects.filter(object_type="pledges.derivedneed").count() == 2
    assert verify().ok
    # The API and the page say where it comes from.
    body = api_client(personas["coordinator"]).get(f"/api/v1/requirements/{derived.pk}").json()
    assert [d["delivery"] for d in body["derived_from"]] == [first.pk, second.pk]
    assert body["derived_from"][0] == {
        "delivery": first.pk,
        "pledge": allocation.pledge_id,
        "platform": "AD-PATRIOT",
        "platform_units": 2,
        "rule": rule.pk,
        "added": 2 * n,
    }
    html = page_client(personas["recipient"]).get(f"/requirements/{derived.pk}/").content.decode()
    assert f"derived from delivery D{first.pk} of 2 AD-PATRIOT" in html


def test_a_delivery_in_another_month_derives_its_own_months(personas: dict[str, Any]) -> None:
    load_catalog()
    allocation = _batteries(personas)
    _deliver(personas, allocation, 1)
    _deliver(personas, allocation, 1, dt.date(2026, 4, 2))
    months = sorted(
        Requirement.objects.filter(item_types__code="AMM-PATRIOT").values_list("from_month", flat=True)
    )
    assert months == [dt.date(2026, 3, 1), dt.date(2026, 4, 1)]


def test_a_one_off_rule_derives_a_quantity_and_a_rate_rule_a_rate(personas: dict[str, Any]) -> None:
    """A gun brings a monthly shell allowance (rate) and a first stock of guided rounds (one-off)."""
    load_catalog()
    shells = DependentNeedRule.objects.get(platform__code="ART-M777", item_type__code="AMM-155-HE")
    guided = DependentNeedRule.objects.get(platform__code="ART-M777", item_type__code="AMM-155-PGM")
    assert shells.per_month and not guided.per_month
    need = requirement_services.create_requirement(
        actor=personas["recipient"], data={"item_types": "ART-M777", "quantity": 6, "priority": "high"}
    )
    pledge = pledge_services.create_pledge(
        actor=personas["donor_usa"],
        data={
            "donor": "USA",
            "kind": "in_kind",
            "item_type": "ART-M777",
            "quantity": 6,
            "unit_value": "4000000.00",
            "currency": "EUR",
            "available_from": "2026-01-05",
        },
    )
    pledge_services.transition_pledge(actor=personas["coordinator"], pledge_id=pledge.pk, to="accepted")
    allocation = pledge_services.allocate(
        actor=personas["coordinator"], pledge_id=pledge.pk, requirement_id=need.pk, quantity=6
    )
    pledge_services.record_delivery(
        actor=personas["donor_usa"], allocation_id=allocation.pk, quantity=6, delivered_on=DAY
    )
    rate = Requirement.objects.get(item_types__code="AMM-155-HE")
    assert rate.rate_per_month == 6 * shells.per_unit and rate.is_rate
    one_off = Requirement.objects.get(item_types__code="AMM-155-PGM")
    assert not one_off.is_rate and one_off.quantity == 6 * guided.per_unit
    assert one_off.needed_by == dt.date(2026, 3, 1)


def test_derived_requirements_are_cleared_like_any_other(personas: dict[str, Any]) -> None:
    load_catalog()
    allocation = _batteries(personas)
    _deliver(personas, allocation, 2)
    derived = Requirement.objects.get(item_types__code="AMM-PATRIOT")
    built = clearing_services.build_problem(on=dt.date(2026, 3, 15))
    ids = [e["id"] for e in built.problem["requirements"] if e["id"].startswith(f"R{derived.pk}@")]
    assert len(ids) == 12 and ids[0] == f"R{derived.pk}@2026-03"


def test_a_platform_without_rules_derives_nothing(personas: dict[str, Any]) -> None:
    load_catalog()
    DependentNeedRule.objects.filter(platform__code="AD-PATRIOT").delete()
    allocation = _batteries(personas)
    _deliver(personas, allocation, 2)
    assert not DerivedNeed.objects.exists()
    assert Requirement.objects.count() == 1
