"""A Hypothesis state machine over the records: random creates, transitions, allocations,
deliveries and changes of marking. The quantity invariants are checked after every step; every
persona's lists are checked against the visibility rule after every change of marking and at the
end of each example (visibility depends only on owners and markings, so those are the states where
it can go wrong; checking after every step would triple the test's time for no new state)."""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from clearinghouse.core.errors import Conflict, DomainError, PermissionDenied
from clearinghouse.core.releasability import can_see, membership_cache
from clearinghouse.pledges import selectors as pledge_selectors
from clearinghouse.pledges import services
from clearinghouse.pledges.choices import TRANSITIONS, PledgeKind, PledgeStatus
from clearinghouse.pledges.models import Allocation, Delivery, Pledge
from clearinghouse.pledges.tests import factories
from clearinghouse.requirements import selectors as requirement_selectors
from clearinghouse.requirements import services as requirement_services
from clearinghouse.requirements.models import Requirement

pytestmark = pytest.mark.django_db

DONORS = ["donor_usa", "donor_deu", "donor_pol"]
ITEMS = sorted(factories.ITEMS)
MARKINGS = ["public", "contact_group", "coordination", "owner"]
RELEASE_TO = st.lists(st.sampled_from(["DEU", "POL", "JPN", "UKR", "USA"]), max_size=2, unique=True)
ACTORS = ["coordinator", "admin", "donor_usa", "donor_deu", "recipient", "analyst"]
PICK = st.integers(min_value=0, max_value=10_000)


class Records(RuleBasedStateMachine):
    """Random steps over the records (rules), with the invariants checked after each."""

    # Set by the test before it runs the machine: the personas and the anonymous visitor.
    personas: ClassVar[dict[str, Any]] = {}
    users: ClassVar[dict[str, Any]] = {}

    def __init__(self) -> None:
        super().__init__()
        # Each example starts from the same database: roll back to here afterwards.
        self.savepoint = transaction.savepoint()
        self.pledges: list[int] = []
        self.requirements: list[int] = []
        self.allocations: list[int] = []
        self.deliveries: list[int] = []

    def teardown(self) -> None:
        self.check_visibility()
        transaction.savepoint_rollback(self.savepoint)

    @staticmethod
    def _pick(ids: list[int], i: int) -> int:
        return ids[i % len(ids)]

    @initialize(
        donor=st.sampled_from(DONORS),
        item=st.sampled_from(ITEMS),
        pledged=st.integers(2, 30),
        spare=st.integers(0, 20),
        markings=st.tuples(st.sampled_from(MARKINGS), st.sampled_from(MARKINGS)),
        stage=st.sampled_from(["accepted", "allocated", "in_delivery", "delivered"]),
    )
    def seed(
        self, donor: str, item: str, pledged: int, spare: int, markings: tuple[str, str], stage: str
    ) -> None:
        """An accepted pledge and a requirement that accepts its item type, taken some way along
        the lifecycle, so that the random steps start from every stage."""
        p = factories.accepted(
            self.personas, donor, item_type=item, quantity=pledged, releasability=markings[0]
        )
        r = factories.requirement(
            self.personas, item_types=[item], quantity=pledged + spare, releasability=markings[1]
        )
        self.pledges.append(p.pk)
        self.requirements.append(r.pk)
        if stage == "accepted":
            return
        cell = self.personas["coordinator"]
        a = services.allocate(actor=cell, pledge_id=p.pk, requirement_id=r.pk, quantity=pledged)
        self.allocations.append(a.pk)
        if stage == "allocated":
            return
        units = pledged if stage == "delivered" else pledged - 1
        d = services.record_delivery(
            actor=cell, allocation_id=a.pk, quantity=units, delivered_on="2024-06-01"
        )
        self.deliveries.append(d.pk)
        assert Pledge.objects.get(pk=p.pk).status == stage

    @rule(
        donor=st.sampled_from(DONORS),
        in_kind=st.booleans(),
        item=st.sampled_from(ITEMS),
        quantity=st.integers(1, 30),
        marking=st.sampled_from(MARKINGS),
        release_to=RELEASE_TO,
    )
    def create_pledge(
        self, donor: str, in_kind: bool, item: str, quantity: int, marking: str, release_to: list[str]
    ) -> None:
        extra = {"releasability": marking, "releasable_to": release_to}
        if in_kind:
            p = factories.pledge(self.personas, donor, item_type=item, quantity=quantity, **extra)
        else:
            p = factories.financial(self.personas, donor, amount=str(quantity * 1000), **extra)
        self.pledges.append(p.pk)

    @rule(
        items=st.lists(st.sampled_from(ITEMS), min_size=1, max_size=2, unique=True),
        quantity=st.integers(1, 40),
        marking=st.sampled_from(MARKINGS),
        release_to=RELEASE_TO,
    )
    def create_requirement(
        self, items: list[str], quantity: int, marking: str, release_to: list[str]
    ) -> None:
        r = factories.requirement(
            self.personas,
            item_types=items,
            quantity=quantity,
            releasability=marking,
            releasable_to=release_to,
        )
        self.requirements.append(r.pk)

    @precondition(lambda self: self.pledges)
    @rule(i=PICK)
    def accept(self, i: int) -> None:
        pk = self._pick(self.pledges, i)
        try:
            services.transition_pledge(actor=self.personas["coordinator"], pledge_id=pk, to="accepted")
        except Conflict:
            assert Pledge.objects.get(pk=pk).status != PledgeStatus.OFFERED

    @precondition(lambda self: self.pledges)
    @rule(i=PICK, to=st.sampled_from(PledgeStatus.values), actor=st.sampled_from(ACTORS))
    def transition(self, i: int, to: str, actor: str) -> None:
        pk = self._pick(self.pledges, i)
        before = Pledge.objects.get(pk=pk)
        try:
            after = services.transition_pledge(actor=self.personas[actor], pledge_id=pk, to=to)
        except DomainError:
            assert Pledge.objects.get(pk=pk).status == before.status  # refused: nothing moved
            return
        assert to in TRANSITIONS[before.status], f"{before.status} -> {to} was allowed"
        assert not (before.kind == PledgeKind.IN_KIND and to in ("in_delivery", "delivered"))
        assert after.status == to

    @precondition(lambda self: self.pledges and self.requirements)
    @rule(i=PICK, j=PICK, quantity=st.integers(1, 15), actor=st.sampled_from(["coordinator", "donor_usa"]))
    def allocate(self, i: int, j: int, quantity: int, actor: str) -> None:
        pledge_id, requirement_id = self._pick(self.pledges, i), self._pick(self.requirements, j)
        try:
            a = services.allocate(
                actor=self.personas[actor],
                pledge_id=pledge_id,
                requirement_id=requirement_id,
                quantity=quantity,
            )
        except PermissionDenied:
            assert actor != "coordinator"
            return
        except Conflict:
            return
        assert actor == "coordinator"
        self.allocations.append(a.pk)

    @precondition(lambda self: self.pledges and self.requirements)
    @rule(i=PICK, j=PICK, everything=st.booleans())
    def allocate_what_fits(self, i: int, j: int, everything: bool) -> None:
        """Steer towards full allocation: a requirement that accepts the pledge's item type."""
        pledge = Pledge.objects.get(pk=self._pick(self.pledges, i))
        fitting = [
            r.pk
            for r in Requirement.objects.filter(pk__in=self.requirements, item_types=pledge.item_type_id)
            if r.allocated_quantity < r.quantity
        ]
        if pledge.status not in ("accepted", "committed", "in_delivery") or not fitting:
            return
        r = Requirement.objects.get(pk=self._pick(fitting, j))
        room = min(pledge.unallocated_quantity, r.quantity - r.allocated_quantity)
        if room <= 0:
            return
        a = services.allocate(
            actor=self.personas["coordinator"],
            pledge_id=pledge.pk,
            requirement_id=r.pk,
            quantity=room if everything else max(1, room // 2),
        )
        self.allocations.append(a.pk)

    @precondition(lambda self: self.allocations)
    @rule(i=PICK)
    def deliver_the_rest(self, i: int) -> None:
        allocation = Allocation.objects.filter(pk=self._pick(self.allocations, i)).first()
        if allocation is None or allocation.delivered_quantity == allocation.quantity:
            return
        d = services.record_delivery(
            actor=self.personas["coordinator"],
            allocation_id=allocation.pk,
            quantity=allocation.quantity - allocation.delivered_quantity,
            delivered_on="2024-06-01",
        )
        self.deliveries.append(d.pk)

    @precondition(lambda self: self.allocations)
    @rule(i=PICK, quantity=st.integers(1, 10), by_cell=st.booleans())
    def deliver(self, i: int, quantity: int, by_cell: bool) -> None:
        allocation = (
            Allocation.objects.filter(pk=self._pick(self.allocations, i))
            .select_related("pledge__owner")
            .first()
        )
        if allocation is None:  # released when its pledge was withdrawn
            return
        donor = next(n for n in DONORS if self.personas[n].participant_id == allocation.pledge.owner_id)
        actor = self.personas["coordinator" if by_cell else donor]
        try:
            d = services.record_delivery(
                actor=actor, allocation_id=allocation.pk, quantity=quantity, delivered_on="2024-06-01"
            )
        except Conflict:
            return
        self.deliveries.append(d.pk)

    @precondition(lambda self: self.deliveries)
    @rule(i=PICK)
    def confirm(self, i: int) -> None:
        # Refused when already confirmed, or when the pledge is not visible to the recipient.
        with contextlib.suppress(DomainError):
            services.confirm_delivery(
                actor=self.personas["recipient"], delivery_id=self._pick(self.deliveries, i)
            )

    @precondition(lambda self: self.pledges)
    @rule(i=PICK, marking=st.sampled_from(MARKINGS), release_to=RELEASE_TO)
    def mark_pledge(self, i: int, marking: str, release_to: list[str]) -> None:
        pledge = Pledge.objects.get(pk=self._pick(self.pledges, i))
        donor = next(n for n in DONORS if self.personas[n].participant_id == pledge.owner_id)
        services.update_pledge(
            actor=self.personas[donor],
            pledge_id=pledge.pk,
            changes={"releasability": marking, "releasable_to": release_to},
        )
        self.check_visibility()

    @precondition(lambda self: self.requirements)
    @rule(i=PICK, marking=st.sampled_from(MARKINGS), release_to=RELEASE_TO)
    def mark_requirement(self, i: int, marking: str, release_to: list[str]) -> None:
        requirement_services.update_requirement(
            actor=self.personas["recipient"],
            requirement_id=self._pick(self.requirements, i),
            changes={"releasability": marking, "releasable_to": release_to},
        )
        self.check_visibility()

    @invariant()
    def quantities_add_up(self) -> None:
        """Counters equal the sums they stand for; delivered ≤ allocated ≤ pledged and ≤ required."""

        def sums(qs: Any, key: str) -> dict[int, int]:
            return dict(qs.order_by().values_list(key).annotate(n=Sum("quantity")))

        allocated_by_pledge = sums(Allocation.objects, "pledge_id")
        allocated_by_requirement = sums(Allocation.objects, "requirement_id")
        delivered_by_pledge = sums(Delivery.objects, "allocation__pledge_id")
        delivered_by_requirement = sums(Delivery.objects, "allocation__requirement_id")
        delivered_by_allocation = sums(Delivery.objects, "allocation_id")
        for p in Pledge.objects.all():
            allocated, delivered = allocated_by_pledge.get(p.pk, 0), delivered_by_pledge.get(p.pk, 0)
            assert (p.allocated_quantity, p.delivered_quantity) == (allocated, delivered)
            assert delivered <= allocated <= (p.quantity or 0)
            if p.kind == PledgeKind.FINANCIAL or p.status in ("offered", "declined", "withdrawn"):
                assert allocated == 0
            if delivered:
                assert p.status in ("in_delivery", "delivered")
            if p.kind == PledgeKind.IN_KIND and p.status == "delivered":
                assert delivered == allocated == p.quantity
        for r in Requirement.objects.all():
            allocated, delivered = (
                allocated_by_requirement.get(r.pk, 0),
                delivered_by_requirement.get(r.pk, 0),
            )
            assert (r.allocated_quantity, r.delivered_quantity) == (allocated, delivered)
            assert delivered <= allocated <= r.quantity
        accepted = set(Requirement.item_types.through.objects.values_list("requirement_id", "itemtype_id"))
        for a in Allocation.objects.select_related("pledge"):
            assert a.delivered_quantity == delivered_by_allocation.get(a.pk, 0) <= a.quantity
            assert (a.requirement_id, a.pledge.item_type_id) in accepted

    def check_visibility(self) -> None:
        """Every persona's lists hold exactly what `can_see` allows (anonymous included).

        As in a request (`membership_cache`): each persona's membership of the contact group is
        looked up once, and the records' `releasable_to` once for all personas."""
        pledges = list(Pledge.objects.prefetch_related("releasable_to"))
        requirements = list(Requirement.objects.prefetch_related("releasable_to"))
        with membership_cache():
            self._check_visibility(pledges, requirements)

    def _check_visibility(self, pledges: list[Pledge], requirements: list[Requirement]) -> None:
        for name, user in self.users.items():
            seen = set(pledge_selectors.pledge_list(user=user).values_list("pk", flat=True))
            assert seen == {p.pk for p in pledges if can_see(user, p)}, name
            seen = set(requirement_selectors.requirement_list(user=user).values_list("pk", flat=True))
            assert seen == {r.pk for r in requirements if can_see(user, r)}, name


def test_random_sequences_keep_the_invariants_and_the_visibility_rule(personas: dict[str, Any]) -> None:
    factories.ensure_catalog()
    Records.personas = personas
    Records.users = {**personas, "anonymous": AnonymousUser()}
    run_state_machine_as_test(
        Records,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
