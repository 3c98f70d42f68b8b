"""Requirement services: create, update, cancel, upsert (for imports). The only code that writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from django.db import IntegrityError, transaction

from clearinghouse.catalog.models import CapabilityArea, ItemType
from clearinghouse.core import audit, bulk, cleaning, clock
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
from clearinghouse.governance.models import Decision
from clearinghouse.participants import cleaning as participant_cleaning
from clearinghouse.participants.choices import ParticipantKind
from clearinghouse.participants.models import Participant
from clearinghouse.participants.permissions import is_admin, is_recipient_officer_of
from clearinghouse.requirements import consumption, coverage, policies
from clearinghouse.requirements.choices import Priority
from clearinghouse.requirements.equivalence import join_item_types, split_item_types, stored
from clearinghouse.requirements.models import Requirement
from clearinghouse.requirements.reasons import stated_reason, with_reason

# The spreadsheet's columns, plus what the API adds (`unit`, `releasable_to`, `owner` for admins).
FIELDS = (
    "external_ref",
    "capability",
    "item_types",
    "quantity",
    "rate_per_month",
    "from_month",
    "to_month",
    "unit",
    "priority",
    "needed_by",
    "releasability",
    "releasable_to",
    "notes",
    "owner",
    "illustrative",
)


def snapshot(requirement: Requirement) -> dict[str, Any]:
    """The audited state of a requirement (fields and acceptable item types)."""
    return audit.snapshot(requirement, exclude=("created_at", "updated_at"))


def _owner_for(actor: Actor, value: Any) -> Participant:
    """The owner of a new requirement: the actor's recipient, or (admins) the one named or the only one."""
    if not is_admin(actor):
        if not cleaning.blank(value) and str(value).strip().upper() != signed_in(actor).participant.code:
            raise PermissionDenied("A recipient officer enters requirements only for their own participant.")
        return signed_in(actor).participant
    if not cleaning.blank(value):
        owner = participant_cleaning.participant(value, "owner")
    else:
        recipients = list(Participant.objects.filter(kind=ParticipantKind.RECIPIENT)[:2])
        if len(recipients) != 1:
            raise InvalidInput("owner: name the recipient that owns this requirement", field="owner")
        owner = recipients[0]
    if owner.kind != ParticipantKind.RECIPIENT:
        raise InvalidInput(f"owner: {owner.code} is not a recipient", field="owner")
    return owner


class Catalog:
    """How `_clean` finds item types, capability areas and participants: a query each (one write)."""

    def item_types(self, codes: list[str]) -> dict[str, ItemType]:
        return {t.code: t for t in ItemType.objects.filter(code__in=codes).select_related("capability")}

    def capability(self, code: str) -> CapabilityArea | None:
        return CapabilityArea.objects.filter(code=code).first()

    def participants(self, value: Any, field: str) -> list[Participant]:
        return participant_cleaning.participants(value, field)


class LoadedCatalog(Catalog):
    """The catalog and the participants read once (bulk writes): the same answers, from memory."""

    def __init__(self) -> None:
        self.types = {t.code: t for t in ItemType.objects.select_related("capability")}
        self.areas = {a.code: a for a in CapabilityArea.objects.all()}
        self.by_code = {p.code: p for p in Participant.objects.all()}

    def item_types(self, codes: list[str]) -> dict[str, ItemType]:
        return {c: self.types[c] for c in codes if c in self.types}

    def capability(self, code: str) -> CapabilityArea | None:
        return self.areas.get(code)

    def participants(self, value: Any, field: str) -> list[Participant]:
        codes = [c.upper() for c in cleaning.code_list(value, field)]
        for code in codes:
            if code not in self.by_code:
                raise InvalidInput(f"{field}: unknown participant {code!r}", field=field)
        return [self.by_code[c] for c in codes]


def _clean(
    data: dict[str, Any], catalog: Catalog | None = None
) -> tuple[dict[str, Any], list[ItemType], list[Participant]]:
    """Field values, acceptable item types and releasable_to participants from loosely typed input."""
    catalog = catalog or Catalog()
    codes, overrides = split_item_types(data.get("item_types"))
    if not codes:
        raise InvalidInput("item_types: at least one acceptable item type is required", field="item_types")
    found = catalog.item_types(codes)
    for code in codes:
        if code not in found:
            raise InvalidInput(f"item_types: unknown item type {code!r}", field="item_types")
    item_types = [found[c] for c in codes]
    capability_code = cleaning.text(data.get("capability"), "capability", max_length=40)
    if capability_code:
        capability = catalog.capability(capability_code)
        if capability is None:
            raise InvalidInput(f"capability: unknown capability area {capability_code!r}", field="capability")
    else:
        capability = item_types[0].capability  # the area of the first acceptable type
    rate = consumption.clean_rate(data)
    if rate["rate_per_month"] is None:
        rate["quantity"] = cleaning.integer(data.get("quantity"), "quantity")
        rate["needed_by"] = cleaning.date(data.get("needed_by"), "needed_by", required=False)
    values = {
        "external_ref": cleaning.text(data.get("external_ref"), "external_ref", max_length=100),
        "capability": capability,
        **rate,
        "unit": cleaning.text(data.get("unit"), "unit", max_length=40) or item_types[0].unit,
        "priority": cleaning.choice(data.get("priority"), "priority", Priority, default=Priority.MEDIUM),
        # Donors must see requirements to offer against them: shared with the contact group by default.
        "releasability": cleaning.releasability(
            data.get("releasability"), default=Releasability.CONTACT_GROUP
        ),
        "notes": cleaning.text(data.get("notes"), "notes", max_length=10_000),
        "illustrative": cleaning.boolean(data.get("illustrative"), "illustrative"),
        "item_factors": stored(overrides),
    }
    return values, item_types, catalog.participants(data.get("releasable_to"), "releasable_to")


def _as_data(requirement: Requirement) -> dict[str, Any]:
    """A requirement in the input form of `_clean`, so that an update re-validates the whole record."""
    return {
        "external_ref": requirement.external_ref,
        "capability": requirement.capability.code,
        "item_types": join_item_types(
            [t.code for t in requirement.item_types.all()], requirement.item_factors or {}
        ),
        # A rate's quantity and needed-by date are derived from it: not carried, so a changed rate
        # derives them again.
        "quantity": None if requirement.is_rate else requirement.quantity,
        "rate_per_month": requirement.rate_per_month,
        "from_month": requirement.from_month,
        "to_month": requirement.to_month,
        "unit": requirement.unit,
        "priority": requirement.priority,
        "needed_by": None if requirement.is_rate else requirement.needed_by,
        "releasability": requirement.releasability,
        "releasable_to": [p.code for p in requirement.releasable_to.all()],
        "notes": requirement.notes,
        "illustrative": requirement.illustrative,
    }


def _duplicate_ref(owner: Participant, external_ref: str, exclude: int = 0) -> None:
    if not external_ref:
        return
    clash = Requirement.objects.filter(owner=owner, external_ref=external_ref).exclude(pk=exclude)
    if clash.exists():
        raise Conflict(
            f"external_ref: {owner.code} already has a requirement {external_ref!r}", field="external_ref"
        )


def create_requirement(*, actor: Actor, data: dict[str, Any]) -> Requirement:
    """Create a requirement owned by the actor's recipient participant (recipient officers, admins)."""
    if not policies.may_enter(actor):
        raise PermissionDenied("Only the recipient's officers enter requirements.")
    cleaning.check_fields(data, FIELDS)
    with transaction.atomic():
        owner = _owner_for(actor, data.get("owner"))
        values, item_types, releasable_to = _clean(data)
        _duplicate_ref(owner, values["external_ref"])
        try:
            with transaction.atomic():
                requirement = Requirement.objects.create(owner=owner, **values)
        except IntegrityError as exc:
            raise Conflict(f"The requirement breaks a rule of the database: {exc}") from None
        requirement.item_types.set(item_types)
        requirement.releasable_to.set(releasable_to)
        audit.record(actor=actor, action="create", obj=requirement, after=snapshot(requirement))
    return requirement


def create_requirements(
    *, actor: Actor, rows: Sequence[dict[str, Any]], catalog: LoadedCatalog | None = None
) -> list[Requirement]:
    """Create requirements in bulk (spreadsheet imports): each row checked exactly as
    `create_requirement` checks one, one audit event each, written with bulk inserts.

    Every row is checked before anything is written; the refused ones raise `RowErrors` (by index
    in `rows`) and nothing is written.
    """
    if not policies.may_enter(actor):
        raise PermissionDenied("Only the recipient's officers enter requirements.")
    catalog = catalog or LoadedCatalog()
    errors: list[tuple[int, DomainError]] = []
    ready: list[tuple[Requirement, list[ItemType], list[Participant]]] = []
    owners: dict[str, Participant] = {}
    with transaction.atomic():
        for index, data in enumerate(rows):
            try:
                cleaning.check_fields(data, FIELDS)
                named = str(data.get("owner") or "").strip().upper()
                owner = owners.get(named) or owners.setdefault(named, _owner_for(actor, data.get("owner")))
                values, item_types, releasable_to = _clean(data, catalog)
            except DomainError as exc:
                errors.append((index, exc))
                continue
            ready.append((Requirement(owner=owner, **values), item_types, releasable_to))
        taken = _taken_refs({(r.owner_id, r.external_ref) for r, _, _ in ready if r.external_ref})
        for index, (requirement, _, _) in enumerate(ready):
            key = (requirement.owner_id, requirement.external_ref)
            if requirement.external_ref and key in taken:
                message = (
                    f"external_ref: {requirement.owner.code} already has a requirement "
                    f"{requirement.external_ref!r}"
                )
                errors.append((index, Conflict(message, field="external_ref")))
            taken.add(key)
        if errors:
            raise RowErrors(errors)
        try:
            with transaction.atomic():
                for (requirement, _, _), pk in zip(
                    ready, bulk.reserve_ids(Requirement, len(ready)), strict=True
                ):
                    requirement.pk = pk
                bulk.insert([r for r, _, _ in ready])
                types, shared = Requirement.item_types.through, Requirement.releasable_to.through
                bulk.insert(
                    [types(requirement_id=r.pk, itemtype_id=t.pk) for r, ts, _ in ready for t in ts],
                    with_pk=False,
                )
                bulk.insert(
                    [shared(requirement_id=r.pk, participant_id=p.pk) for r, _, ps in ready for p in ps],
                    with_pk=False,
                )
        except IntegrityError as exc:
            raise Conflict(f"The requirements break a rule of the database: {exc}") from None
        audit.record_many(
            actor=actor,
            changes=(
                audit.Change("create", r, after=_new_snapshot(r, ts, ps), json_ready=True)
                for r, ts, ps in ready
            ),
        )
    return [r for r, _, _ in ready]


def _taken_refs(refs: set[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which of these (owner, external_ref) pairs a requirement already has."""
    return set(
        Requirement.objects.filter(
            owner_id__in={o for o, _ in refs}, external_ref__in={r for _, r in refs}
        ).values_list("owner_id", "external_ref")
    )


def _new_snapshot(
    requirement: Requirement, item_types: list[ItemType], releasable_to: list[Participant]
) -> dict[str, Any]:
    """`snapshot` of a requirement just inserted, its many-to-many ids known (no query)."""
    data = audit.snapshot(requirement, exclude=("created_at", "updated_at", "item_types", "releasable_to"))
    data["item_types"] = sorted({t.pk for t in item_types})
    data["releasable_to"] = sorted({p.pk for p in releasable_to})
    return data


def _locked(actor: Actor, requirement_id: int) -> Requirement:
    """The requirement, row-locked, if the actor can see it; NotFound otherwise."""
    if not Requirement.objects.restrict(actor, "view").filter(pk=requirement_id).exists():
        raise NotFound("Requirement not found.")
    # No select_related: PostgreSQL refuses FOR UPDATE across outer joins, and DISTINCT with it.
    return cast("Requirement", Requirement.objects.select_for_update().get(pk=requirement_id))


def _require_writer(actor: Actor, requirement: Requirement) -> None:
    if not is_recipient_officer_of(actor, requirement.owner_id):
        raise PermissionDenied("Only the owning recipient's officers change a requirement.")


def update_requirement(
    *, actor: Actor, requirement_id: int, changes: dict[str, Any], if_match: str | None = None
) -> Requirement:
    """Change some fields of a requirement; the whole record is validated again. No change, no event."""
    cleaning.check_fields(changes, FIELDS)
    with transaction.atomic():
        requirement = _locked(actor, requirement_id)
        _require_writer(actor, requirement)
        check_if_match(requirement, if_match)
        new_owner = changes.get("owner")
        if not cleaning.blank(new_owner) and str(new_owner).strip().upper() != requirement.owner.code:
            raise InvalidInput("owner: a requirement's owner cannot change", field="owner")
        changes = cleaning.immutable_flag(changes, "illustrative", requirement.illustrative, "requirement")
        values, item_types, releasable_to = _clean({**_as_data(requirement), **changes})
        before = snapshot(requirement)
        if requirement.cancelled and set(changes) - {
            "notes",
            "releasability",
            "releasable_to",
            "external_ref",
        }:
            raise Conflict(f"requirement {requirement.pk} is cancelled: only notes and markings can change")
        _check_quantity(actor, requirement, values["quantity"])
        _duplicate_ref(requirement.owner, values["external_ref"], exclude=requirement.pk)
        accepted_now = {t.pk for t in item_types}
        dropped = set(requirement.allocations.values_list("pledge__item_type_id", flat=True)) - accepted_now
        if dropped:
            names = ", ".join(sorted(ItemType.objects.filter(pk__in=dropped).values_list("code", flat=True)))
            raise Conflict(
                f"item_types: requirement {requirement.pk} has allocations of {names}, "
                "which must stay accepted",
                field="item_types",
            )
        for key, value in values.items():
            setattr(requirement, key, value)
        after_preview = {
            **audit.snapshot(
                requirement, exclude=("created_at", "updated_at", "item_types", "releasable_to")
            ),
            "item_types": sorted(accepted_now),
            "releasable_to": sorted(p.pk for p in releasable_to),
        }
        if after_preview == before:
            return requirement
        requirement.version += 1
        requirement.save()
        requirement.item_types.set(item_types)
        requirement.releasable_to.set(releasable_to)
        audit.record(
            actor=actor, action="update", obj=requirement, before=before, after=snapshot(requirement)
        )
    return requirement


def _check_quantity(actor: Actor, requirement: Requirement, quantity: int) -> None:
    """Refuse a quantity below what is allocated, telling the actor no more than it may know.

    Where the actor's view of the coverage is coarsened (docs/confidentiality.md), the refusal
    depends only on the band it is shown: a reduction is allowed down to the band's upper end,
    never lower, so that trying quantities cannot find the exact total of hidden allocations.
    """
    if quantity >= requirement.quantity:
        return
    seen = coverage.of(requirement, actor)
    if seen.mode == coverage.COARSE:
        assert seen.allocated_band is not None
        floor = -(-seen.allocated_band[1] * requirement.quantity // 100)  # ceiling
        if quantity < floor:
            raise Conflict(
                f"cannot reduce requirement {requirement.pk} below {floor}: allocations from pledges "
                "not releasable to you may need up to that; ask the coordination cell",
                field="quantity",
            )
        return
    if quantity < requirement.allocated_provides:
        raise Conflict(
            f"cannot reduce requirement {requirement.pk} to {quantity}: "
            f"{requirement.allocated_provides} are already allocated to it",
            field="quantity",
        )


def cancel_requirement(
    *, actor: Actor, requirement_id: int, if_match: str | None = None, reason: Any = ""
) -> Requirement:
    """Cancel a requirement that has nothing allocated and undelivered (release allocations first);
    the stated reason is required and kept in the audit event."""
    stated = stated_reason(reason)
    with transaction.atomic():
        requirement = _locked(actor, requirement_id)
        _require_writer(actor, requirement)
        check_if_match(requirement, if_match)
        if requirement.cancelled:
            raise Conflict(f"requirement {requirement.pk} is already cancelled")
        if coverage.of(requirement, actor).mode == coverage.COARSE:
            # Whether the allocations the actor cannot see are all delivered is theirs to keep.
            raise Conflict(
                f"cannot cancel requirement {requirement.pk}: it has allocations from pledges not "
                "releasable to you; the coordination cell must release or complete them first"
            )
        pending = requirement.allocated_quantity - requirement.delivered_quantity
        if pending:
            raise Conflict(
                f"cannot cancel requirement {requirement.pk}: {pending} allocated units are not "
                "delivered yet; "
                "release those allocations first"
            )
        stated = stated_reason(stated, required_to="cancel a requirement")
        before = snapshot(requirement)
        requirement.cancelled = True
        requirement.version += 1
        requirement.save()
        audit.record(
            actor=actor,
            action="transition",
            obj=requirement,
            before=before,
            after=with_reason(snapshot(requirement), stated),
        )
    return requirement


def upsert_requirement(*, actor: Actor, data: dict[str, Any]) -> tuple[Requirement, str]:
    """Create, or update the requirement with the same owner and external_ref (spreadsheet imports).

    Returns the requirement and what happened: "created", "updated" or "unchanged".
    """
    ref = cleaning.text(data.get("external_ref"), "external_ref", max_length=100)
    if not ref:
        return create_requirement(actor=actor, data=data), "created"
    with transaction.atomic():
        owner = _owner_for(actor, data.get("owner"))
        existing = (
            Requirement.objects.filter(owner=owner, external_ref=ref).values_list("pk", flat=True).first()
        )
        if existing is None:
            return create_requirement(actor=actor, data=data), "created"
        version = Requirement.objects.get(pk=existing).version
        updated = update_requirement(
            actor=actor, requirement_id=existing, changes={k: v for k, v in data.items() if k != "owner"}
        )
    return updated, "unchanged" if updated.version == version else "updated"


# --- endorsement by a body's decision (called through governance.subjects) --------------------


def check_endorsement_list(actor: Actor, values: list[Any]) -> list[int]:
    """The ids of the requirements a decision is to endorse: each one the proposer may see and not
    cancelled (422 `requirements.N` naming it otherwise); duplicates dropped, order kept."""
    ids: list[int] = []
    for n, value in enumerate(values):
        requirement_id = cleaning.integer(value, f"requirements.{n}", minimum=1)
        found = Requirement.objects.restrict(actor, "view").filter(pk=requirement_id).first()
        if found is None:
            raise InvalidInput(
                f"requirements.{n}: no requirement {requirement_id}", field=f"requirements.{n}"
            )
        if found.cancelled:
            raise InvalidInput(
                f"requirements.{n}: requirement {requirement_id} is cancelled", field=f"requirements.{n}"
            )
        if requirement_id not in ids:
            ids.append(requirement_id)
    return ids


def endorse_by_decision(actor: Actor, decision: Decision) -> int:
    """Endorse the requirements of an adopted `requirements` decision (one audited write each; a
    requirement already endorsed keeps its first decision). Returns how many became endorsed."""
    if decision.status != "adopted":
        raise Conflict(f"Decision {decision.pk} is {decision.status}: only an adopted decision endorses.")
    changed = 0
    with transaction.atomic():
        for requirement in Requirement.objects.select_for_update().filter(
            pk__in=decision.requirements, endorsed_by__isnull=True, cancelled=False
        ):
            before = snapshot(requirement)
            requirement.endorsed_by = decision
            requirement.endorsed_at = decision.closed_at
            requirement.version += 1
            requirement.save(update_fields=["endorsed_by", "endorsed_at", "version", "updated_at"])
            audit.record(
                actor=actor, action="endorse", obj=requirement, before=before, after=snapshot(requirement)
            )
            changed += 1
    return changed


def describe_endorsement(reader: Actor, decision: Decision) -> list[dict[str, Any]]:
    """The decision's requirements as the reader may see them (the others are not named)."""
    visible = Requirement.objects.restrict(reader, "view").filter(pk__in=decision.requirements)
    by_id = {r.pk: r for r in visible.select_related("owner", "capability")}
    return [
        {
            "id": r.pk,
            "label": f"{r.owner.code} {r.external_ref or f'#{r.pk}'}: {r.quantity} {r.unit} "
            f"({r.capability.code}, {r.priority})",
            "endorsed": r.endorsed_by_id == decision.pk,
            "endorsed_by": r.endorsed_by_id,
        }
        for rid in decision.requirements
        if (r := by_id.get(rid)) is not None
    ]


# --- dependent needs: requirements derived from deliveries of platforms -------------------------


def raise_derived_requirement(
    *,
    actor: Actor,
    owner: Participant,
    item_type: ItemType,
    added: int,
    per_month: bool,
    first_month: dt.date,
    months: int,
    priority: str,
    reason: str,
    illustrative: bool = False,
) -> tuple[Requirement, bool] | None:
    """Create, or raise, the requirement a delivery of a platform derives (its ammunition, spares,
    training; see catalog.DependentNeedRule): `added` units, or with `per_month` units a month for
    `months` months from `first_month`, of `item_type`, for the recipient `owner`.

    A derived requirement of the same recipient and item type over the same months (a one-off: needed
    in the same month) that is not cancelled is raised (its rate or its quantity), not duplicated.
    Called by the delivery service only, as part of recording the delivery: whoever may record it
    may derive its needs. Audited with `reason`. Returns the requirement and whether it is new; None
    when every month of a rate is already past (a delivery recorded long after the event: its
    allowance was consumed or not, the clearing house plans ahead). A derived requirement is
    illustrative when the delivery's records are (the demo).
    """
    last_month = _plus_months(first_month, months - 1) if per_month else first_month
    if per_month and last_month < clock.today().replace(day=1):
        return None
    same = Requirement.objects.filter(
        owner=owner,
        cancelled=False,
        item_types=item_type,
        derivations__isnull=False,
        illustrative=illustrative,
    )
    if per_month:
        same = same.filter(rate_per_month__isnull=False, from_month=first_month, to_month=last_month)
    else:
        same = same.filter(rate_per_month__isnull=True, needed_by=first_month)
    existing = same.order_by("pk").values_list("pk", flat=True).first()
    with transaction.atomic():
        if existing is not None:
            requirement = cast("Requirement", Requirement.objects.select_for_update().get(pk=existing))
            before = snapshot(requirement)
            if per_month:
                assert requirement.rate_per_month is not None
                requirement.rate_per_month += added
                requirement.quantity = requirement.rate_per_month * months
            else:
                requirement.quantity += added
            requirement.version += 1
            try:
                with transaction.atomic():
                    requirement.save()
            except IntegrityError as exc:
                raise Conflict(f"The derived requirement breaks a rule of the database: {exc}") from None
            audit.record(
                actor=actor,
                action="update",
                obj=requirement,
                before=before,
                after=with_reason(snapshot(requirement), reason),
            )
            return requirement, False
        requirement = Requirement.objects.create(
            owner=owner,
            capability=item_type.capability,
            quantity=added * months if per_month else added,
            rate_per_month=added if per_month else None,
            from_month=first_month if per_month else None,
            to_month=last_month if per_month else None,
            unit=item_type.unit,
            priority=priority,
            needed_by=first_month,
            releasability=Releasability.CONTACT_GROUP,
            notes=reason,
            illustrative=illustrative,
        )
        requirement.item_types.set([item_type])
        audit.record(
            actor=actor, action="create", obj=requirement, after=with_reason(snapshot(requirement), reason)
        )
    return requirement, True


def _plus_months(first: dt.date, months: int) -> dt.date:
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)
