"""Shipments through the services: the state order, room on the allocation, receipt, discrepancies."""

from __future__ import annotations

from typing import Any

import pytest

from clearinghouse.core.errors import Conflict, InvalidInput, PermissionDenied
from clearinghouse.core.models import AuditEvent
from clearinghouse.logistics import selectors, services
from clearinghouse.logistics.models import Shipment
from clearinghouse.logistics.tests import factories
from clearinghouse.pledges.models import Delivery

pytestmark = pytest.mark.django_db


def test_events_move_forward_only_and_are_audited(personas: dict[str, Any]) -> None:
    s = factories.dispatched(personas)
    donor = personas["donor_usa"]
    services.record_event(actor=donor, shipment_id=s.pk, state="in_transit", at="2024-03-02T08:00:00Z")
    services.record_event(
        actor=donor, shipment_id=s.pk, state="at_hub", at="2024-03-03T08:00:00Z", site="UKR-HANDOVER"
    )
    with pytest.raises(Conflict, match="cannot take it back to dispatched"):
        services.record_event(actor=donor, shipment_id=s.pk, state="dispatched")
    s.refresh_from_db()
    assert s.state == "at_hub"
    assert [e.state for e in selectors.events_of(s)] == ["planned", "dispatched", "in_transit", "at_hub"]
    assert AuditEvent.objects.filter(object_type="logistics.shipment", action="transition").count() == 3
    with pytest.raises(Conflict, match="record the receipt"):
        services.record_event(actor=donor, shipment_id=s.pk, state="received")


def test_a_shipment_carries_no_more_than_the_unshipped_units(personas: dict[str, Any]) -> None:
    first = factories.shipment(personas, quantity=30)
    with pytest.raises(Conflict, match="only 20 of its 50 are not shipped yet"):
        factories.shipment(personas, quantity=21, allocation_id=first.allocation_id, reference="DHL-2")
    factories.shipment(personas, quantity=20, allocation_id=first.allocation_id, reference="DHL-2")
    # A lost shipment frees its units.
    services.record_event(actor=personas["donor_usa"], shipment_id=first.pk, state="lost")
    assert services.unshipped(first.allocation) == 30


def test_only_the_donor_ships(personas: dict[str, Any]) -> None:
    a = factories.allocation(personas)
    factories.sites(personas)
    data = {"allocation": a.pk, "quantity": 5, "from_site": "USA-DEPOT", "to_site": "UKR-HANDOVER"}
    with pytest.raises(PermissionDenied):
        services.create_shipment(actor=personas["recipient"], data=data)


def test_receipt_with_damage_makes_a_delivery_and_a_discrepancy(personas: dict[str, Any]) -> None:
    s = factories.dispatched(personas)
    with pytest.raises(PermissionDenied):
        services.record_receipt(actor=personas["donor_usa"], shipment_id=s.pk, received=28, damaged=3)
    with pytest.raises(InvalidInput, match="damaged"):
        services.record_receipt(actor=personas["recipient"], shipment_id=s.pk, received=28, damaged=29)
    services.record_receipt(
        actor=personas["recipient"],
        shipment_id=s.pk,
        received=28,
        damaged=3,
        received_on="2024-03-09",
        note="wet",
    )
    s.refresh_from_db()
    assert (s.state, s.received, s.damaged, s.discrepancy) == ("received", 28, 3, 5)
    delivery = Delivery.objects.get(pk=s.delivery_id or 0)
    assert delivery.quantity == 25 and delivery.confirmed
    s.allocation.refresh_from_db()
    assert s.allocation.delivered_quantity == 25
    assert list(selectors.discrepancy_list(user=personas["coordinator"])) == [s]
    # A replacement ships the 5 missing units: room for exactly them.
    services.resolve_discrepancy(actor=personas["donor_usa"], shipment_id=s.pk, resolution="replacement")
    s.refresh_from_db()
    replacement = Shipment.objects.get(pk=s.replacement_id or 0)
    assert replacement.quantity == 5 and replacement.state == "planned"
    assert list(selectors.discrepancy_list(user=personas["coordinator"])) == []
    assert services.unshipped(s.allocation) == 50 - 30
    with pytest.raises(Conflict, match="was resolved"):
        services.resolve_discrepancy(
            actor=personas["donor_usa"], shipment_id=s.pk, resolution="write_off", reason="x"
        )


def test_write_off_needs_a_reason(personas: dict[str, Any]) -> None:
    s = factories.dispatched(personas)
    services.record_receipt(actor=personas["recipient"], shipment_id=s.pk, received=30, damaged=30)
    s.refresh_from_db()
    assert s.delivery_id is None and s.discrepancy == 30
    with pytest.raises(InvalidInput, match="reason"):
        services.resolve_discrepancy(actor=personas["donor_usa"], shipment_id=s.pk, resolution="write_off")
    services.resolve_discrepancy(
        actor=personas["coordinator"], shipment_id=s.pk, resolution="write_off", reason="destroyed in strike"
    )
    s.refresh_from_db()
    assert s.resolution == "write_off" and s.resolution_reason == "destroyed in strike"


def test_end_use_checks_seen_by_donor_cell_and_auditors(personas: dict[str, Any]) -> None:
    s = factories.dispatched(personas)
    services.record_receipt(
        actor=personas["recipient"], shipment_id=s.pk, received=30, received_on="2024-03-09"
    )
    s.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.record_end_use_check(
            actor=personas["recipient"],
            delivery_id=s.delivery_id,
            checked_on="2024-06-01",
            units_verified=30,
            finding="ok",
        )
    check = services.record_end_use_check(
        actor=personas["donor_usa"],
        delivery_id=s.delivery_id,
        checked_on="2024-06-01",
        units_verified=28,
        finding="2 used",
    )
    for name in ("donor_usa", "coordinator", "auditor"):
        assert list(selectors.end_use_checks(user=personas[name])) == [check], name
    for name in ("recipient", "donor_deu"):
        assert list(selectors.end_use_checks(user=personas[name])) == [], name
