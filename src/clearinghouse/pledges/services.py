"""Pledge services: pledges and their lifecycle, allocations, deliveries. The only code that writes.

Concurrency: every command runs in one transaction and row-locks what it checks before writing,
always in the same order (pledge, then requirement, then allocation, then delivery) so that two
commands never wait for each other in a cycle. On PostgreSQL the locks are `SELECT ... FOR UPDATE`;
on SQLite every transaction is `BEGIN IMMEDIATE`, which already serialises writers. Counters on
pledges, requirements and allocations are checked by the database as well (CheckConstraints), so a
bug that skipped a check would still fail rather than over-allocate.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from django.db import IntegrityError, transaction

from clearinghouse.catalog.models import DependentNeedRule, ItemPrice, ItemType
from clearinghouse.catalog.selectors import reference_price
from clearinghouse.core import audit, bulk, cleaning, clock, fx, money
from clearinghouse.core.actors import Actor, signed_in
from clearinghouse.core.choices import Releasability
from clearinghouse.core.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RowErrors,
)
from clearinghouse.core.etag import check_if_match
from clearinghouse.core.humanize import count_of, noun
from clearinghouse.governance.models import Meeting
from clearinghouse.participants import cleaning as participant_cleaning
from clearinghouse.participants.models import Participant
from clearinghouse.participants.permissions import (
    is_coordination_cell,
    is_donor_officer_of,
    is_recipient_officer_of,
)
from clearinghouse.pledges import policies
from clearinghouse.pledges.choices import (
    ALLOCATABLE,
    TERMINAL,
    TRANSITIONS,
    Earmark,
    PledgeKind,
    PledgeStatus,
)
from clearinghouse.pledges.models import Allocation, Delivery, DerivedNeed, Pledge, PledgeTranche
from clearinghouse.pledges.signals import pledge_changed
from clearinghouse.requirements import services as requirement_services
from clearinghouse.requirements.models import MILLI, Requirement, from_milli, to_milli
from clearinghouse.requirements.reasons import stated_reason, with_reason

# The spreadsheet's columns, plus what the API adds.
FIELDS = (
    "external_ref",
    "donor",
    "kind",
    "item_type",
    "quantity",
    "unit_value",
    "valuation_source",
    "amount",
    "currency",
    "purpose",
    "earmark",
    "available_from",
    "announced_at",
    "meeting",
    "releasability",
    "releasable_to",
    "notes",
    "tranches",
    "illustrative",
    "offered_against",
)
# What may still change once a pledge is delivered, withdrawn or declined.
ALWAYS_EDITABLE = frozenset(
    {"external_ref", "announced_at", "meeting", "notes", "releasability", "releasable_to"}
)
# What the value in EUR depends on.
VALUATION_INPUTS = ("item_type", "quantity", "unit_value", "amount", "currency", "available_from")
ALLOCATION_FIELDS = ("quantity", "notes")
DELIVERY_FIELDS = ("quantity", "delivered_on", "notes")


@contextmanager
def _database_rules(what: str) -> Iterator[None]:
    """A constraint the database refused becomes a 409 instead of a server error."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        raise Conflict(f"{what} breaks a rule of the database: {exc}") from None


# --- pledges ---------------------------------------------------------------------------------------


def pledge_snapshot(
    pledge: Pledge,
    *,
    releasable_to: list[Participant] | None = None,
    tranches: list[tuple[int, Decimal]] | None = None,
) -> dict[str, Any]:
    """The audited state of a pledge, its yearly tranches included (pass what is known to save queries)."""
    data = audit.snapshot(pledge, exclude=("created_at", "updated_at", "releasable_to"))
    if releasable_to is None:
        releasable_to = list(pledge.releasable_to.all())
    if tranches is None:
        tranches = [(t.year, t.amount) for t in pledge.tranches.order_by("year")]
    data["releasable_to"] = sorted(p.pk for p in releasable_to)
    data["tranches"] = [[y, audit.jsonable(a)] for y, a in sorted(tranches)]
    return data


def _tranches(value: Any, amount: Decimal | None, currency: str | None = None) -> list[tuple[int, Decimal]]:
    """Yearly tranches [{year, amount}] that add up to the pledge's amount."""
    if cleaning.blank(value):
        return []
    if not isinstance(value, list | tuple):
        raise InvalidInput("tranches: a list of {year, amount}", field="tranches")
    out: list[tuple[int, Decimal]] = []
    for i, item in enumerate(value):
        where = f"tranches.{i}"
        if not isinstance(item, dict):
            item = getattr(item, "dict", lambda: None)() or {}
        year = cleaning.integer(item.get("year"), f"{where}.year", minimum=2000)
        part = cleaning.money(item.get("amount"), f"{where}.amount", currency=currency)
        assert year is not None and part is not None
        if year > 2100:
            raise InvalidInput(f"{where}.year: {year} is not a plausible year", field=f"{where}.year")
        if any(y == year for y, _ in out):
            raise InvalidInput(f"{where}.year: {year} appears twice", field=f"{where}.year")
        out.append((year, part))
    total = sum((a for _, a in out), Decimal(0))
    if amount is not None and total != amount:
        raise InvalidInput(f"tranches: they add up to {total}, not to the amount {amount}", field="tranches")
    return sorted(out)


class Catalog:
    """How `_clean` finds item types and reference prices: a query each (a single write)."""

    def item_type(self, code: str) -> ItemType | None:
        return ItemType.objects.filter(code=code).first()

    def price(self, item_type: ItemType, on: dt.date) -> ItemPrice | None:
        return reference_price(item_type, on)

    def participants(self, value: Any, field: str) -> list[Participant]:
        return participant_cleaning.participants(value, field)


class LoadedCatalog(Catalog):
    """The whole catalog and its price lists read once (bulk writes): the same answers, from memory."""

    def __init__(self) -> None:
        self.types = {t.code: t for t in ItemType.objects.all()}
        self.prices: dict[int, list[ItemPrice]] = {}
        for price in ItemPrice.objects.order_by("item_type_id", "valid_from"):
            self.prices.setdefault(price.item_type_id, []).append(price)
        self.days: dict[int, list[dt.date]] = {k: [p.valid_from for p in v] for k, v in self.prices.items()}
        self.by_code: dict[str, Participant] = {}

    def item_type(self, code: str) -> ItemType | None:
        return self.types.get(code)

    def price(self, item_type: ItemType, on: dt.date) -> ItemPrice | None:
        # The latest entry valid on `on` or before (valid_from is unique per item type).
        at = bisect.bisect_right(self.days.get(item_type.pk, []), on)
        return self.prices[item_type.pk][at - 1] if at else None

    def participants(self, value: Any, field: str) -> list[Participant]:
        if cleaning.blank(value):
            return []
        if not self.by_code:
            self.by_code = {p.code: p for p in Participant.objects.all()}
        codes = [c.upper() for c in cleaning.code_list(value, field)]
        for code in codes:
            if code not in self.by_code:
                raise InvalidInput(f"{field}: unknown participant {code!r}", field=field)
        return [self.by_code[c] for c in codes]


def _meeting(value: Any) -> Meeting | None:
    """The meeting a pledge was announced at, by id (None when not given)."""
    if cleaning.blank(value):
        return None
    meeting_id = cleaning.integer(value, "meeting", minimum=1)
    meeting = Meeting.objects.filter(pk=meeting_id).first()
    if meeting is None:
        raise InvalidInput(f"meeting: no meeting {meeting_id}", field="meeting")
    return cast("Meeting | None", meeting)


def _offered_against(
    actor: Actor | None, value: Any, item_type: ItemType | None, kept: int | None = None
) -> Requirement | None:
    """The requirement a pledge is offered against, by id: one the actor sees, not cancelled, and
    (in kind) accepting the pledge's item type. None when not given; `kept` (the pledge's current
    one, unchanged) is not checked again."""
    if cleaning.blank(value):
        return None
    requirement_id = cleaning.integer(value, "offered_against", minimum=1)
    if requirement_id == kept:
        return Requirement.objects.get(pk=kept)
    found = Requirement.objects.restrict(actor, "view").filter(pk=requirement_id).first() if actor else None
    if found is None:
        raise InvalidInput(f"offered_against: no requirement {requirement_id}", field="offered_against")
    requirement = cast("Requirement", found)
    if requirement.cancelled:
        raise InvalidInput(
            f"offered_against: requirement {requirement_id} is cancelled", field="offered_against"
        )
    if item_type is not None and not requirement.item_types.filter(pk=item_type.pk).exists():
        raise InvalidInput(
            f"offered_against: requirement {requirement_id} does not accept {item_type.code}",
            field="offered_against",
        )
    return requirement


def _release_offer(values: dict[str, Any], releasable_to: list[Participant]) -> list[Participant]:
    """An offer against a requirement is released to its recipient, who accepts or declines it."""
    requirement = values.get("offered_against")
    if (
        requirement is not None
        and values["releasability"] == Releasability.OWNER
        and requirement.owner_id not in {p.pk for p in releasable_to}
    ):
        return [*releasable_to, requirement.owner]
    return releasable_to


def _clean(
    data: dict[str, Any],
    catalog: Catalog | None = None,
    actor: Actor | None = None,
    kept_offer: int | None = None,
) -> tuple[dict[str, Any], list[Participant], list[tuple[int, Decimal]]]:
    """Field values (valued and converted to EUR), releasable_to and tranches from loosely typed input."""
    catalog = catalog or Catalog()
    kind = cleaning.choice(data.get("kind"), "kind", PledgeKind)
    available_from = cleaning.date(data.get("available_from"), "available_from")
    assert available_from is not None
    values: dict[str, Any] = {
        "external_ref": cleaning.text(data.get("external_ref"), "external_ref", max_length=100),
        "kind": kind,
        "available_from": available_from,
        "purpose": cleaning.text(data.get("purpose"), "purpose", max_length=300),
        "announced_at": cleaning.text(data.get("announced_at"), "announced_at", max_length=200),
        "meeting": _meeting(data.get("meeting")),
        "notes": cleaning.text(data.get("notes"), "notes", max_length=10_000),
        "releasability": cleaning.releasability(data.get("releasability")),
        "valuation_source": cleaning.text(data.get("valuation_source"), "valuation_source", max_length=300),
        "illustrative": cleaning.boolean(data.get("illustrative"), "illustrative"),
    }
    currency = None if cleaning.blank(data.get("currency")) else fx.validate_currency(data.get("currency"))
    tranches: list[tuple[int, Decimal]] = []
    if kind == PledgeKind.IN_KIND:
        for field in ("amount", "tranches", "earmark"):
            if not cleaning.blank(data.get(field)):
                raise InvalidInput(f"{field}: only for financial pledges (leave it empty)", field=field)
        code = cleaning.text(data.get("item_type"), "item_type", max_length=40)
        if not code:
            raise InvalidInput("item_type: required for an in-kind pledge", field="item_type")
        item_type = catalog.item_type(code)
        if item_type is None:
            raise InvalidInput(f"item_type: unknown item type {code!r}", field="item_type")
        quantity = cleaning.integer(data.get("quantity"), "quantity")
        assert quantity is not None
        unit_value = cleaning.money(
            data.get("unit_value"), "unit_value", required=False, positive=False, currency=currency
        )
        if unit_value is None:
            # No valuation given: the catalog's reference price in force on the value date.
            price = catalog.price(item_type, available_from)
            if price is None:
                raise InvalidInput(
                    f"unit_value: the catalog has no reference price for {code} on {available_from}; "
                    "give a unit value and its currency",
                    field="unit_value",
                )
            if currency is None or currency == price.currency:
                currency, unit_value = price.currency, price.unit_value
            else:
                unit_value = fx.convert(
                    price.unit_value, price.currency, currency, available_from, rounding=ROUND_HALF_UP
                ).converted
            values["valuation_source"] = (
                f"catalog reference price {price.unit_value} {price.currency} valid from {price.valid_from}"
                f" ({price.source})"
            )[:300]
        elif currency is None:
            raise InvalidInput("currency: required with a unit value", field="currency")
        elif not values["valuation_source"]:
            values["valuation_source"] = "donor's valuation"
        value_amount = money.check_derived(
            (unit_value * quantity).quantize(cleaning.CENT), "quantity", "quantity × unit value"
        )
        values.update(item_type=item_type, quantity=quantity, unit_value=unit_value, amount=None)
    else:
        for field in ("item_type", "quantity", "unit_value"):
            if not cleaning.blank(data.get(field)):
                raise InvalidInput(f"{field}: only for in-kind pledges (leave it empty)", field=field)
        amount = cleaning.money(data.get("amount"), "amount", currency=currency)
        assert amount is not None
        if currency is None:
            raise InvalidInput("currency: required for a financial pledge", field="currency")
        value_amount = amount
        tranches = _tranches(data.get("tranches"), amount, currency)
        earmark = cleaning.choice(data.get("earmark"), "earmark", Earmark, default=Earmark.NONE)
        values.update(item_type=None, quantity=None, unit_value=None, amount=amount, earmark=earmark)
    value_eur, rate = fx.to_eur(value_amount, currency, available_from, rounding=ROUND_HALF_UP)
    cause = "amount" if kind == PledgeKind.FINANCIAL else "quantity"
    money.check_derived(value_eur, cause, "the value in EUR")
    values.update(
        currency=currency,
        value_amount=value_amount,
        value_eur=value_eur,
        fx_rate=rate.eur_from,
        fx_date=rate.rate_date,
        offered_against=_offered_against(actor, data.get("offered_against"), values["item_type"], kept_offer),
    )
    releasable_to = _release_offer(values, catalog.participants(data.get("releasable_to"), "releasable_to"))
    return values, releasable_to, tranches


def _as_data(pledge: Pledge, releasable_to: list[Participant], tranches: list[Any]) -> dict[str, Any]:
    """A pledge in the input form of `_clean`, so that an update re-validates the whole record."""
    return {
        "external_ref": pledge.external_ref,
        "kind": pledge.kind,
        "item_type": pledge.item_type.code if pledge.item_type is not None else None,
        "quantity": pledge.quantity,
        "unit_value": pledge.unit_value,
        "valuation_source": pledge.valuation_source,
        "amount": pledge.amount,
        "currency": pledge.currency,
        "purpose": pledge.purpose,
        "earmark": pledge.earmark,
        "available_from": pledge.available_from,
        "announced_at": pledge.announced_at,
        "meeting": pledge.meeting_id,
        "notes": pledge.notes,
        "releasability": pledge.releasability,
        "releasable_to": [p.code for p in releasable_to],
        "tranches": [{"year": t.year, "amount": t.amount} for t in tranches],
        "illustrative": pledge.illustrative,
        "offered_against": pledge.offered_against_id,
    }


def _donor_for(actor: Actor, value: Any, *, on_behalf: bool = False) -> Participant:
    """The donor of a new pledge: must be the donor officer's own participant (admins: any; with
    `on_behalf`, an import, the coordination cell: any)."""
    if not (policies.may_import(actor) if on_behalf else policies.may_enter(actor)):
        raise PermissionDenied("Only donor officers enter pledges.")
    donor = participant_cleaning.participant(value, "donor")
    if not policies.may_enter_for(actor, donor.pk, on_behalf=on_behalf):
        raise PermissionDenied(
            f"A donor officer of {signed_in(actor).participant.code} cannot enter pledges for {donor.code}."
        )
    return donor


def _duplicate_ref(owner: Participant, external_ref: str, exclude: int = 0) -> None:
    if (
        external_ref
        and Pledge.objects.filter(owner=owner, external_ref=external_ref).exclude(pk=exclude).exists()
    ):
        raise Conflict(
            f"external_ref: {owner.code} already has a pledge {external_ref!r}", field="external_ref"
        )


def _set_tranches(pledge: Pledge, tranches: list[tuple[int, Decimal]], *, new: bool = False) -> None:
    if not new:
        pledge.tranches.all().delete()
    if tranches:
        PledgeTranche.objects.bulk_create(
            [PledgeTranche(pledge=pledge, year=y, amount=a) for y, a in tranches]
        )


def create_pledge(*, actor: Actor, data: dict[str, Any]) -> Pledge:
    """Create an offered pledge for the actor's own participant, valued in its currency and in EUR."""
    cleaning.check_fields(data, FIELDS)
    return _create(actor, _donor_for(actor, data.get("donor")), data)


def _create(actor: Actor, donor: Participant, data: dict[str, Any]) -> Pledge:
    with transaction.atomic():
        values, releasable_to, tranches = _clean(data, actor=actor)
        _duplicate_ref(donor, values["external_ref"])
        with _database_rules("The pledge"):
            pledge = Pledge.objects.create(owner=donor, status=PledgeStatus.OFFERED, **values)
        if releasable_to:
            pledge.releasable_to.set(releasable_to)
        _set_tranches(pledge, tranches, new=True)
        after = pledge_snapshot(pledge, releasable_to=releasable_to, tranches=tranches)
        audit.record(actor=actor, action="create", obj=pledge, after=after)
    return pledge


def create_pledges(
    *,
    actor: Actor,
    rows: Sequence[dict[str, Any]],
    catalog: LoadedCatalog | None = None,
    on_behalf: bool = False,
) -> list[Pledge]:
    """Create offered pledges in bulk (spreadsheet imports): each row checked and valued exactly as
    `create_pledge` does, one audit event each, written with bulk inserts.

    Every row is checked before anything is written; the refused ones raise `RowErrors` (by index
    in `rows`) and nothing is written. `catalog` (item types, prices, participants read once) may
    be shared by the batches of one import. `on_behalf` (imports): the coordination cell may
    create pledges for any donor; each event names the cell's officer as actor, the donor as owner.
    """
    catalog = catalog or LoadedCatalog()
    donors: dict[str, Participant] = {}
    errors: list[tuple[int, DomainError]] = []
    ready: list[tuple[Pledge, list[Participant], list[tuple[int, Decimal]]]] = []
    with transaction.atomic():
        for index, data in enumerate(rows):
            try:
                cleaning.check_fields(data, FIELDS)
                code = str(data.get("donor") or "").strip().upper()
                donor = donors.get(code) or donors.setdefault(
                    code, _donor_for(actor, data.get("donor"), on_behalf=on_behalf)
                )
                values, releasable_to, tranches = _clean(data, catalog, actor=actor)
            except DomainError as exc:
                errors.append((index, exc))
                continue
            pledge = Pledge(owner=donor, status=PledgeStatus.OFFERED, **values)
            ready.append((pledge, releasable_to, tranches))
        _refuse_duplicates(ready, errors)
        if errors:
            raise RowErrors(errors)
        with _database_rules("The pledges"):
            for entry, pk in zip(ready, bulk.reserve_ids(Pledge, len(ready)), strict=True):
                entry[0].pk = pk
            bulk.insert([p for p, _, _ in ready])
            through = Pledge.releasable_to.through
            bulk.insert(
                [through(pledge_id=p.pk, participant_id=r.pk) for p, rt, _ in ready for r in rt],
                with_pk=False,
            )
            bulk.insert(
                [PledgeTranche(pledge=p, year=y, amount=a) for p, _, tr in ready for y, a in tr],
                with_pk=False,
            )
        audit.record_many(
            actor=actor,
            changes=(
                audit.Change(
                    "create", p, after=pledge_snapshot(p, releasable_to=rt, tranches=tr), json_ready=True
                )
                for p, rt, tr in ready
            ),
        )
    return [p for p, _, _ in ready]


def _refuse_duplicates(
    ready: list[tuple[Pledge, list[Participant], list[tuple[int, Decimal]]]],
    errors: list[tuple[int, DomainError]],
) -> None:
    """`_duplicate_ref` for a batch: one query for every reference, and a reference twice in it."""
    refs = {(p.owner_id, p.external_ref) for p, _, _ in ready if p.external_ref}
    taken = set(
        Pledge.objects.filter(
            owner_id__in={o for o, _ in refs}, external_ref__in={r for _, r in refs}
        ).values_list("owner_id", "external_ref")
    )
    for index, (pledge, _, _) in enumerate(ready):
        key = (pledge.owner_id, pledge.external_ref)
        if pledge.external_ref and key in taken:
            errors.append(
                (
                    index,
                    Conflict(
                        f"external_ref: {pledge.owner.code} already has a pledge {pledge.external_ref!r}",
                        field="external_ref",
                    ),
                )
            )
        taken.add(key)


def _locked_pledge(actor: Actor, pledge_id: int, *, field: str | None = None) -> Pledge:
    """The pledge, row-locked, if the actor can see it; NotFound otherwise."""
    if not Pledge.objects.restrict(actor, "view").filter(pk=pledge_id).exists():
        raise NotFound("Pledge not found.", field=field)
    # No select_related or DISTINCT: PostgreSQL refuses FOR UPDATE with either.
    return cast("Pledge", Pledge.objects.select_for_update().get(pk=pledge_id))


def _lock_requirement(requirement_id: int) -> Requirement:
    return cast("Requirement", Requirement.objects.select_for_update().get(pk=requirement_id))


def _bump(obj: Any) -> None:
    obj.version += 1
    obj.save()


def _count(requirement: Requirement) -> None:
    """Save a requirement's allocation counters only. Its version (the ETag) and `updated_at` stay
    those of the record itself: were they to move with every allocation, they would date and count
    allocations that a viewer of the requirement may not see (docs/confidentiality.md)."""
    requirement.save(
        update_fields=["allocated_quantity", "delivered_quantity", "allocated_milli", "delivered_milli"]
    )


def _settle(actor: Actor, pledge: Pledge) -> None:
    """An in-kind pledge in delivery whose units are all allocated and all delivered is delivered."""
    if (
        pledge.kind == PledgeKind.IN_KIND
        and pledge.status == PledgeStatus.IN_DELIVERY
        and pledge.allocated_quantity == pledge.quantity
        and pledge.delivered_quantity == pledge.allocated_quantity
    ):
        _move(actor, pledge, PledgeStatus.DELIVERED, reason="all units allocated and delivered")


def _move(actor: Actor, pledge: Pledge, to: str, *, reason: str, stated: str = "") -> None:
    before = {"status": pledge.status}
    pledge.status = to
    with _database_rules(f"Pledge {pledge.pk}"):
        _bump(pledge)
    audit.record(
        actor=actor,
        action="transition",
        obj=pledge,
        before=before,
        after=with_reason({"status": to, "reason": reason}, stated),
    )
    pledge_changed.send(sender=Pledge, pledge=pledge, actor=actor)


def update_pledge(
    *,
    actor: Actor,
    pledge_id: int,
    changes: dict[str, Any],
    if_match: str | None = None,
    on_behalf: bool = False,
) -> Pledge:
    """Change some fields of the actor's own pledge; the whole record is validated and valued again.
    `on_behalf` (imports): the coordination cell may change any donor's pledge."""
    cleaning.check_fields(changes, FIELDS)
    with transaction.atomic():
        pledge = _locked_pledge(actor, pledge_id)
        if not policies.may_enter_for(actor, pledge.owner_id, on_behalf=on_behalf):
            raise PermissionDenied("Only the donor's own officers change a pledge.")
        check_if_match(pledge, if_match)
        old_releasable_to = list(pledge.releasable_to.all())
        old_tranches = list(pledge.tranches.order_by("year"))
        current = _as_data(pledge, old_releasable_to, old_tranches)
        if "donor" in changes and str(changes["donor"] or "").strip().upper() != pledge.owner.code:
            raise InvalidInput("donor: a pledge's donor cannot change", field="donor")
        if "kind" in changes and str(getattr(changes["kind"], "value", changes["kind"])) != pledge.kind:
            raise InvalidInput("kind: a pledge's kind cannot change", field="kind")
        changes = cleaning.immutable_flag(changes, "illustrative", pledge.illustrative, "pledge")
        if (
            "unit_value" in changes
            and cleaning.blank(changes["unit_value"])
            and "valuation_source" not in changes
        ):
            changes = {**changes, "valuation_source": ""}  # value again from the catalog
        merged = {**current, **{k: v for k, v in changes.items() if k != "donor"}}
        values, releasable_to, tranches = _clean(merged, actor=actor, kept_offer=pledge.offered_against_id)
        if all(values[k] == getattr(pledge, k) for k in VALUATION_INPUTS):
            # Same valuation inputs: keep the stored conversion (a newer bundled rate must not
            # silently rewrite an earlier valuation).
            values.update(value_eur=pledge.value_eur, fx_rate=pledge.fx_rate, fx_date=pledge.fx_date)
        before = pledge_snapshot(
            pledge, releasable_to=old_releasable_to, tranches=[(t.year, t.amount) for t in old_tranches]
        )
        for key, value in values.items():
            setattr(pledge, key, value)
        after = pledge_snapshot(pledge, releasable_to=releasable_to, tranches=tranches)
        changed = {k for k in after if after[k] != before.get(k)}
        if not changed:
            return pledge
        if pledge.status in TERMINAL and changed - ALWAYS_EDITABLE:
            raise Conflict(
                f"pledge {pledge.pk} is {pledge.status}: only its notes, announcement, external_ref and "
                f"markings can change (not {', '.join(sorted(changed - ALWAYS_EDITABLE))})"
            )
        if "available_from" in changed:
            first = Delivery.objects.filter(allocation__pledge=pledge).order_by("delivered_on").first()
            if first is not None and first.delivered_on < pledge.available_from:
                raise InvalidInput(
                    f"available_from: {pledge.available_from} is after delivery {first.pk} of "
                    f"{first.delivered_on}; a pledge cannot become available after it was delivered",
                    field="available_from",
                )
        if pledge.allocated_quantity and "item_type_id" in changed:
            raise Conflict(f"pledge {pledge.pk} is allocated: its item type cannot change", field="item_type")
        if pledge.kind == PledgeKind.IN_KIND and (pledge.quantity or 0) < pledge.allocated_quantity:
            raise Conflict(
                f"cannot reduce pledge {pledge.pk} to {pledge.quantity}: "
                f"{pledge.allocated_quantity} are already allocated",
                field="quantity",
            )
        _duplicate_ref(pledge.owner, values["external_ref"], exclude=pledge.pk)
        with _database_rules(f"Pledge {pledge.pk}"):
            _bump(pledge)
        if "releasable_to" in changed:
            pledge.releasable_to.set(releasable_to)
        if "tranches" in changed:
            _set_tranches(pledge, tranches)
        audit.record(
            actor=actor,
            action="update",
            obj=pledge,
            before=before,
            after=pledge_snapshot(pledge, releasable_to=releasable_to, tranches=tranches),
        )
        if changed & {"value_amount", "currency"}:
            pledge_changed.send(sender=Pledge, pledge=pledge, actor=actor)
        _settle(actor, pledge)
    return pledge


def upsert_pledge(*, actor: Actor, data: dict[str, Any]) -> tuple[Pledge, str]:
    """Create, or update the pledge with the same donor and external_ref (spreadsheet imports).

    Returns the pledge and what happened: "created", "updated" or "unchanged".
    """
    ref = cleaning.text(data.get("external_ref"), "external_ref", max_length=100)
    donor = _donor_for(actor, data.get("donor"))  # 403 before anything is looked up
    existing = (
        Pledge.objects.filter(owner=donor, external_ref=ref).values_list("pk", "version").first()
        if ref
        else None
    )
    if existing is None:
        cleaning.check_fields(data, FIELDS)
        return _create(actor, donor, data), "created"
    pledge = update_pledge(actor=actor, pledge_id=existing[0], changes=data)
    return pledge, "unchanged" if pledge.version == existing[1] else "updated"


# Moves that cannot be undone and need a stated reason (kept in the audit event).
REASON_REQUIRED: dict[str, str] = {
    PledgeStatus.DECLINED: "decline a pledge",
    PledgeStatus.WITHDRAWN: "withdraw a pledge",
}


def transition_pledge(
    *, actor: Actor, pledge_id: int, to: str, if_match: str | None = None, reason: Any = ""
) -> Pledge:
    """Move a pledge along its lifecycle; an illegal move is a Conflict naming both states.

    Declining and withdrawing need a stated reason (any move may carry one); it is kept in the
    audit event. Withdrawing an allocated pledge releases its allocations (none has deliveries: a
    delivery moves the pledge to in_delivery, which cannot be withdrawn).
    """
    target = cleaning.choice(to, "to", PledgeStatus)
    stated = stated_reason(reason)
    with transaction.atomic():
        pledge = _locked_pledge(actor, pledge_id)
        if not policies.may_move(actor, pledge, target):
            raise PermissionDenied(f"You may not move a pledge to {target}.")
        check_if_match(pledge, if_match)
        if target not in TRANSITIONS[pledge.status]:
            raise Conflict(f"cannot move pledge {pledge.pk} from {pledge.status} to {target}")
        if policies.moved_by_deliveries(pledge, target):
            raise Conflict(
                f"cannot move pledge {pledge.pk} from {pledge.status} to {target}: an in-kind pledge gets "
                "there through its recorded deliveries"
            )
        if target in REASON_REQUIRED:
            stated = stated_reason(stated, required_to=REASON_REQUIRED[target])
        if target == PledgeStatus.WITHDRAWN:
            _release_all(actor, pledge, stated)
        _move(actor, pledge, target, reason="requested", stated=stated)
    return pledge


def accept_pledges(*, actor: Actor, pledge_ids: Sequence[Any], reason: Any = "") -> list[Pledge]:
    """Accept several offered pledges at once (the cell, or the recipient for offers against its
    requirements): all or nothing. Every refused one is named by its index in `pledge_ids`
    (RowErrors) and none is accepted."""
    if not pledge_ids:
        raise InvalidInput("pledges: choose at least one pledge", field="pledges")
    errors: list[tuple[int, DomainError]] = []
    accepted: list[Pledge] = []
    seen: set[int] = set()
    with transaction.atomic():
        for index, value in enumerate(pledge_ids):
            try:
                pledge_id = cleaning.integer(value, f"pledges.{index}", minimum=1)
                assert pledge_id is not None
                if pledge_id in seen:
                    raise InvalidInput(f"pledges.{index}: pledge {pledge_id} is listed twice")
                seen.add(pledge_id)
                accepted.append(
                    transition_pledge(
                        actor=actor, pledge_id=pledge_id, to=PledgeStatus.ACCEPTED, reason=reason
                    )
                )
            except DomainError as exc:
                errors.append((index, exc))
        if errors:
            raise RowErrors(errors)
    return accepted


def _release_all(actor: Actor, pledge: Pledge, stated: str = "") -> None:
    for allocation in Allocation.objects.filter(pledge=pledge).order_by("requirement_id", "pk"):
        requirement = _lock_requirement(allocation.requirement_id)
        allocation = Allocation.objects.select_for_update().get(pk=allocation.pk)
        _release(actor, pledge, requirement, allocation, stated)


# --- allocations -----------------------------------------------------------------------------------


def _locked_allocation(actor: Actor, allocation_id: int) -> tuple[Pledge, Requirement, Allocation]:
    """An allocation the actor can see, with its pledge and requirement, all row-locked in lock order."""
    ids = (
        Allocation.objects.restrict(actor, "view")
        .filter(pk=allocation_id)
        .values_list("pledge_id", "requirement_id")
        .first()
    )
    if ids is None:
        raise NotFound("Allocation not found.")
    pledge = Pledge.objects.select_for_update().get(pk=ids[0])
    requirement = _lock_requirement(ids[1])
    allocation = Allocation.objects.select_for_update().get(pk=allocation_id)
    return pledge, requirement, allocation


def _check_room(pledge: Pledge, requirement: Requirement, more: int, factor: Decimal = Decimal(1)) -> None:
    """Refuse `more` units beyond the pledge's unallocated units, or beyond what the requirement still
    needs (`more` × `factor` of its units)."""
    if more <= 0:
        return
    left = (pledge.quantity or 0) - pledge.allocated_quantity
    if more > left:
        raise Conflict(
            f"cannot allocate {count_of(more, 'unit')} of pledge {pledge.pk}: only {left} of its "
            f"{pledge.quantity} "
            "are not allocated yet",
            field="quantity",
        )
    open_milli = requirement.quantity * MILLI - requirement.allocated_milli
    if more * to_milli(factor) > open_milli:
        provides = (
            "" if factor == 1 else f" (providing {from_milli(more * to_milli(factor))} at factor {factor})"
        )
        raise Conflict(
            f"cannot allocate {count_of(more, 'unit')}{provides} to requirement {requirement.pk}: "
            f"only {from_milli(open_milli)} of its "
            f"{requirement.quantity} are still open",
            field="quantity",
        )


def _check_allocatable(pledge: Pledge, requirement: Requirement) -> None:
    if pledge.kind != PledgeKind.IN_KIND:
        raise Conflict(f"pledge {pledge.pk} is financial: only in-kind pledges are allocated to requirements")
    if pledge.status not in ALLOCATABLE:
        raise Conflict(
            f"cannot allocate pledge {pledge.pk} while it is {pledge.status}: only accepted, committed or "
            "in-delivery pledges can be allocated"
        )
    if requirement.cancelled:
        raise Conflict(f"requirement {requirement.pk} is cancelled")
    if not requirement.item_types.filter(pk=pledge.item_type_id or 0).exists():
        code = pledge.item_type.code if pledge.item_type else "?"
        raise Conflict(
            f"requirement {requirement.pk} does not accept item type {code} (pledge {pledge.pk})",
            field="pledge",
        )


def allocate(
    *,
    actor: Actor,
    pledge_id: int,
    requirement_id: int,
    quantity: Any,
    source: str = "manual",
    notes: str = "",
    reason: Any = "",
) -> Allocation:
    """Give units of an accepted in-kind pledge to a requirement that accepts its item type (the cell).

    Of two cells racing for the last units of a pledge, the second waits for the first's lock and
    then finds them gone: 409, and nothing is over-allocated.
    """
    if not is_coordination_cell(actor):
        raise PermissionDenied("Only the coordination cell allocates pledges to requirements.")
    units = cleaning.integer(quantity, "quantity")
    assert units is not None
    source = cleaning.text(source, "source", max_length=60) or "manual"
    stated = stated_reason(reason)
    with transaction.atomic():
        pledge = _locked_pledge(actor, pledge_id, field="pledge")
        if not Requirement.objects.restrict(actor, "view").filter(pk=requirement_id).exists():
            raise NotFound("Requirement not found.", field="requirement")
        requirement = _lock_requirement(requirement_id)
        _check_allocatable(pledge, requirement)
        factor = requirement.factor_of(pledge.item_type.code if pledge.item_type else "")
        _check_room(pledge, requirement, units, factor)
        with _database_rules("The allocation"):
            allocation = Allocation.objects.create(
                pledge=pledge,
                requirement=requirement,
                quantity=units,
                factor=factor,
                source=source,
                notes=cleaning.text(notes, "notes", max_length=10_000),
                created_by=signed_in(actor),
            )
            pledge.allocated_quantity += units
            requirement.allocated_quantity += units
            requirement.allocated_milli += units * to_milli(factor)
            _bump(pledge)
            _count(requirement)
        after = with_reason(audit.snapshot(allocation), stated)
        audit.record(actor=actor, action="create", obj=allocation, after=after)
    return allocation


def update_allocation(
    *,
    actor: Actor,
    allocation_id: int,
    changes: dict[str, Any],
    if_match: str | None = None,
    reason: Any = "",
) -> Allocation:
    """Change an allocation's quantity (never below what was delivered) or notes (the cell); a stated
    reason is kept in the audit event."""
    cleaning.check_fields(changes, ALLOCATION_FIELDS)
    stated = stated_reason(reason)
    if not is_coordination_cell(actor):
        raise PermissionDenied("Only the coordination cell changes allocations.")
    with transaction.atomic():
        pledge, requirement, allocation = _locked_allocation(actor, allocation_id)
        check_if_match(allocation, if_match)
        before = audit.snapshot(allocation)
        if "notes" in changes:
            allocation.notes = cleaning.text(changes["notes"], "notes", max_length=10_000)
        if "quantity" in changes:
            units = cleaning.integer(changes["quantity"], "quantity")
            assert units is not None
            if units < allocation.delivered_quantity:
                raise Conflict(
                    f"cannot reduce allocation {allocation.pk} to {units}: "
                    f"{allocation.delivered_quantity} were delivered already",
                    field="quantity",
                )
            more = units - allocation.quantity
            if more > 0:
                _check_allocatable(pledge, requirement)
                _check_room(pledge, requirement, more, allocation.factor)
            allocation.quantity = units
            pledge.allocated_quantity += more
            requirement.allocated_quantity += more
            requirement.allocated_milli += more * to_milli(allocation.factor)
        if audit.snapshot(allocation) == before:
            return allocation
        with _database_rules(f"Allocation {allocation.pk}"):
            _bump(pledge)
            _count(requirement)
            _bump(allocation)
        audit.record(
            actor=actor,
            action="update",
            obj=allocation,
            before=before,
            after=with_reason(audit.snapshot(allocation), stated),
        )
        _settle(actor, pledge)
    return allocation


def _release(
    actor: Actor, pledge: Pledge, requirement: Requirement, allocation: Allocation, stated: str = ""
) -> Allocation | None:
    """Shrink an allocation to what was delivered (deleting it when nothing was); the rows are locked."""
    freed = allocation.quantity - allocation.delivered_quantity
    if freed == 0:
        return allocation
    before = audit.snapshot(allocation)
    pledge.allocated_quantity -= freed
    requirement.allocated_quantity -= freed
    requirement.allocated_milli -= freed * to_milli(allocation.factor)
    with _database_rules(f"Allocation {allocation.pk}"):
        _bump(pledge)
        _count(requirement)
        if allocation.delivered_quantity == 0:
            pk = allocation.pk
            allocation.delete()
            audit.record(
                actor=actor,
                action="delete",
                object_type="pledges.allocation",
                object_id=pk,
                before=before,
                after=with_reason(None, stated),
            )
            return None
        allocation.quantity = allocation.delivered_quantity
        _bump(allocation)
    audit.record(
        actor=actor,
        action="update",
        obj=allocation,
        before=before,
        after=with_reason(audit.snapshot(allocation), stated),
    )
    return allocation


def release_allocation(*, actor: Actor, allocation_id: int, reason: Any = "") -> Allocation | None:
    """Give back an allocation's undelivered units (the cell); returns None when nothing was delivered
    and the allocation is gone. A stated reason is kept in the audit event."""
    if not is_coordination_cell(actor):
        raise PermissionDenied("Only the coordination cell releases allocations.")
    stated = stated_reason(reason)
    with transaction.atomic():
        pledge, requirement, allocation = _locked_allocation(actor, allocation_id)
        result = _release(actor, pledge, requirement, allocation, stated)
        _settle(actor, pledge)
    return result


# --- deliveries ------------------------------------------------------------------------------------


def check_delivery_day(pledge: Pledge, day: dt.date) -> None:
    """A delivery happened: not after today, and not before its pledge was available."""
    today = clock.today()
    if day > today:
        raise InvalidInput(
            f"delivered_on: {day} is in the future (today is {today}); record a delivery once it happened",
            field="delivered_on",
        )
    if day < pledge.available_from:
        raise InvalidInput(
            f"delivered_on: {day} is before pledge {pledge.pk} is available (from {pledge.available_from}); "
            "a delivery cannot predate its pledge",
            field="delivered_on",
        )


def _may_deliver(actor: Actor, pledge: Pledge) -> bool:
    return is_donor_officer_of(actor, pledge.owner_id) or is_coordination_cell(actor)


def record_delivery(
    *,
    actor: Actor,
    allocation_id: int,
    quantity: Any,
    delivered_on: Any,
    notes: str = "",
    by_recipient: bool = False,
) -> Delivery:
    """Record units delivered against an allocation (the donor's officers or the cell).

    `by_recipient`: the recipient's officers record it themselves, from a shipment's receipt
    (logistics): serviceable units received become the delivery.
    The first delivery moves the pledge to in_delivery; the pledge is delivered once all its units
    are allocated and all allocated units delivered.
    """
    units = cleaning.integer(quantity, "quantity")
    day = cleaning.date(delivered_on, "delivered_on")
    assert units is not None and day is not None
    with transaction.atomic():
        pledge, requirement, allocation = _locked_allocation(actor, allocation_id)
        if by_recipient:
            if not is_recipient_officer_of(actor, requirement.owner_id):
                raise PermissionDenied("Only the recipient's officers record a receipt.")
        elif not _may_deliver(actor, pledge):
            raise PermissionDenied("Only the donor's officers or the coordination cell record deliveries.")
        check_delivery_day(pledge, day)
        if pledge.status not in ALLOCATABLE:
            raise Conflict(f"cannot record a delivery for pledge {pledge.pk} while it is {pledge.status}")
        left = allocation.quantity - allocation.delivered_quantity
        if units > left:
            raise Conflict(
                f"cannot deliver {count_of(units, 'unit')} against allocation {allocation.pk}: "
                f"only {left} of its "
                f"{allocation.quantity} are not delivered yet",
                field="quantity",
            )
        with _database_rules("The delivery"):
            delivery = Delivery.objects.create(
                allocation=allocation,
                quantity=units,
                delivered_on=day,
                notes=cleaning.text(notes, "notes", max_length=10_000),
                created_by=signed_in(actor),
            )
            allocation.delivered_quantity += units
            pledge.delivered_quantity += units
            requirement.delivered_quantity += units
            requirement.delivered_milli += units * to_milli(allocation.factor)
            _bump(allocation)
            _count(requirement)
            _bump(pledge)
        audit.record(actor=actor, action="create", obj=delivery, after=audit.snapshot(delivery))
        if pledge.status in (PledgeStatus.ACCEPTED, PledgeStatus.COMMITTED):
            _move(actor, pledge, PledgeStatus.IN_DELIVERY, reason=f"first delivery {delivery.pk}")
        _settle(actor, pledge)
        derive_needs(actor=actor, delivery=delivery, pledge=pledge, requirement=requirement)
    return delivery


def derive_needs(
    *, actor: Actor, delivery: Delivery, pledge: Pledge, requirement: Requirement
) -> list[DerivedNeed]:
    """The dependent needs of a delivered platform (catalog.DependentNeedRule): for every rule of the
    pledge's item type, create or raise the recipient's derived requirement by the rule's allowance
    times the units delivered, and link it to the delivery (audited). Part of recording the delivery.
    """
    if pledge.item_type_id is None:
        return []
    rules = DependentNeedRule.objects.filter(platform_id=pledge.item_type_id).select_related(
        "platform", "item_type__capability"
    )
    first_month = delivery.delivered_on.replace(day=1)
    made: list[DerivedNeed] = []
    for rule in rules:
        added = rule.per_unit * delivery.quantity
        allowance = f"{rule.per_unit} {rule.item_type.unit}" + (
            f" a month for {rule.months} months" if rule.per_month else ""
        )
        reason = (
            f"derived from delivery {delivery.pk} of {delivery.quantity} {rule.platform.unit} of "
            f"{rule.platform.code} (pledge {pledge.pk}): {allowance} per unit, catalog rule {rule.pk}"
        )
        outcome = requirement_services.raise_derived_requirement(
            actor=actor,
            owner=requirement.owner,
            item_type=rule.item_type,
            added=added,
            per_month=rule.per_month,
            first_month=first_month,
            months=rule.months,
            priority=requirement.priority,
            reason=reason,
            illustrative=requirement.illustrative or pledge.illustrative,
        )
        if outcome is None:
            continue
        derived = outcome[0]
        with _database_rules("The derived need"):
            link = DerivedNeed.objects.create(
                delivery=delivery,
                requirement=derived,
                rule=rule,
                platform_units=delivery.quantity,
                added=added,
            )
        audit.record(actor=actor, action="create", obj=link, after=audit.snapshot(link))
        made.append(link)
    return made


def _locked_delivery(actor: Actor, delivery_id: int) -> tuple[Pledge, Requirement, Allocation, Delivery]:
    allocation_id = (
        Delivery.objects.restrict(actor, "view")
        .filter(pk=delivery_id)
        .values_list("allocation_id", flat=True)
        .first()
    )
    if allocation_id is None:
        raise NotFound("Delivery not found.")
    pledge, requirement, allocation = _locked_allocation(actor, allocation_id)
    return pledge, requirement, allocation, Delivery.objects.select_for_update().get(pk=delivery_id)


def update_delivery(
    *, actor: Actor, delivery_id: int, changes: dict[str, Any], if_match: str | None = None
) -> Delivery:
    """Correct an unconfirmed delivery's quantity or date, or any delivery's notes."""
    cleaning.check_fields(changes, DELIVERY_FIELDS)
    with transaction.atomic():
        pledge, requirement, allocation, delivery = _locked_delivery(actor, delivery_id)
        if not _may_deliver(actor, pledge):
            raise PermissionDenied("Only the donor's officers or the coordination cell change deliveries.")
        check_if_match(delivery, if_match)
        before = audit.snapshot(delivery)
        if "notes" in changes:
            delivery.notes = cleaning.text(changes["notes"], "notes", max_length=10_000)
        if "delivered_on" in changes:
            day = cleaning.date(changes["delivered_on"], "delivered_on")
            assert day is not None
            if day != delivery.delivered_on:
                check_delivery_day(pledge, day)
            delivery.delivered_on = day
        more = 0
        if "quantity" in changes:
            units = cleaning.integer(changes["quantity"], "quantity")
            assert units is not None
            more = units - delivery.quantity
            delivery.quantity = units
        after = audit.snapshot(delivery)
        changed = {k for k in after if after[k] != before[k]}
        if not changed:
            return delivery
        if delivery.confirmed and changed - {"notes"}:
            raise Conflict(
                f"delivery {delivery.pk} was confirmed by the recipient: only its notes can change"
            )
        if more:
            if pledge.status == PledgeStatus.DELIVERED:
                raise Conflict(f"pledge {pledge.pk} is delivered: its deliveries' quantities cannot change")
            if more > allocation.quantity - allocation.delivered_quantity:
                raise Conflict(
                    f"cannot deliver {more} more {noun(more, 'unit')} against allocation "
                    f"{allocation.pk}: only "
                    f"{allocation.quantity - allocation.delivered_quantity} are not delivered yet",
                    field="quantity",
                )
            allocation.delivered_quantity += more
            pledge.delivered_quantity += more
            requirement.delivered_quantity += more
            requirement.delivered_milli += more * to_milli(allocation.factor)
            with _database_rules(f"Delivery {delivery.pk}"):
                _bump(allocation)
                _count(requirement)
                _bump(pledge)
        with _database_rules(f"Delivery {delivery.pk}"):
            _bump(delivery)
        audit.record(
            actor=actor, action="update", obj=delivery, before=before, after=audit.snapshot(delivery)
        )
        _settle(actor, pledge)
    return delivery


def confirm_delivery(*, actor: Actor, delivery_id: int) -> Delivery:
    """The recipient's officers confirm receipt of a delivery (once)."""
    with transaction.atomic():
        _, requirement, _, delivery = _locked_delivery(actor, delivery_id)
        if not is_recipient_officer_of(actor, requirement.owner_id):
            raise PermissionDenied("Only the recipient's officers confirm receipt.")
        if delivery.confirmed:
            raise Conflict(
                f"delivery {delivery.pk} was already confirmed on {delivery.confirmed_at:%Y-%m-%d}"
            )
        before = audit.snapshot(delivery)
        delivery.confirmed_at = clock.now()
        delivery.confirmed_by = signed_in(actor)
        _bump(delivery)
        audit.record(
            actor=actor, action="confirm", obj=delivery, before=before, after=audit.snapshot(delivery)
        )
    return delivery


# --- pledges created on another record's behalf (a package's delivery schedule) ------------------


def create_on_behalf(
    *, actor: Actor, donor: Participant, data: dict[str, Any], status: str = PledgeStatus.COMMITTED
) -> Pledge:
    """Create a pledge of `donor` that another record stands behind (a contracted package's schedule
    line), valued like any other and moved straight to `status`. The caller has checked who may act."""
    cleaning.check_fields(data, FIELDS)
    pledge = _create(actor, donor, data)
    if status != pledge.status:
        _move(actor, pledge, status, reason="created for a contracted package")
    return pledge


def withdraw_on_behalf(*, actor: Actor, pledge_id: int, reason: str) -> None:
    """Withdraw a pledge created on behalf of a record that was cancelled, unless units of it are
    already allocated (those stay, and are delivered or released as any other)."""
    with transaction.atomic():
        pledge = Pledge.objects.select_for_update().get(pk=pledge_id)
        if pledge.allocated_quantity or pledge.status in TERMINAL:
            return
        _move(actor, pledge, PledgeStatus.WITHDRAWN, reason="its package was cancelled", stated=reason)
