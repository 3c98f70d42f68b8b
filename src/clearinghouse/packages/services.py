"""Package services: create a package, move it along its states, add contracts with their delivery
schedules, and add a fund's disbursement as a funder. The only code that writes packages.

Money is converted to EUR at the ECB rate of the package's value date (`core.fx`, rounded half-up
like pledge valuations). A contracted package's schedule lines are backed by in-kind pledges of the
implementer (committed, available from the first day of the month): the clearing house offers them,
and allocations and deliveries against them are recorded like any other.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from django.db import transaction

from clearinghouse.catalog.models import ItemType
from clearinghouse.core import audit, cleaning, clock, fx, money
from clearinghouse.core.actors import Actor, is_signed_in, signed_in
from clearinghouse.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from clearinghouse.packages.choices import (
    AGENCIES,
    CONTRACTABLE,
    SUPPLYING,
    TRANSITIONS,
    PackageState,
)
from clearinghouse.packages.models import Package, PackageContract, PackageFunder, PackageItem, ScheduleLine
from clearinghouse.participants import cleaning as participant_cleaning
from clearinghouse.participants.models import Participant
from clearinghouse.participants.permissions import is_coordination_cell
from clearinghouse.pledges import services as pledge_services
from clearinghouse.pledges.choices import PledgeKind
from clearinghouse.pledges.models import Pledge
from clearinghouse.requirements.reasons import stated_reason

FIELDS = ("title", "implementer", "items", "funders", "releasability", "releasable_to", "value_date")
CONTRACT_FIELDS = ("supplier", "value", "currency", "signed", "schedule")
OFFICER_ROLES = ("donor_officer", "recipient_officer")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def implementer_owner(code: Any, *, field: str = "implementer") -> tuple[str, Participant]:
    """An implementer's code and the participant acting for it (itself, or an agency's parent)."""
    text = cleaning.text(code, field, max_length=10).upper()
    if not text:
        raise InvalidInput(f"{field}: required (a participant's code or an agency's, e.g. NSPA)", field=field)
    acting = AGENCIES[text][1] if text in AGENCIES else text
    participant = Participant.objects.filter(code=acting).first()
    if participant is None:
        raise InvalidInput(
            f"{field}: {text!r} is neither a participant nor a known agency ({', '.join(sorted(AGENCIES))})",
            field=field,
        )
    return text, participant


def may_propose(actor: Actor | None) -> bool:
    """Who may open the form of a new package: the coordination cell and any officer (whose own
    participant must then be the implementer, checked by `create_package`)."""
    if is_coordination_cell(actor):
        return True
    return bool(is_signed_in(actor) and actor.is_active and actor.role in OFFICER_ROLES)


def may_write(actor: Actor | None, owner_id: int | None) -> bool:
    """The coordination cell, and the officers of the participant acting for the implementer."""
    if is_coordination_cell(actor):
        return True
    return bool(
        is_signed_in(actor)
        and actor.is_active
        and actor.role in OFFICER_ROLES
        and owner_id is not None
        and actor.participant_id == owner_id
    )


def _eur(amount: Decimal, currency: str, on: dt.date, field: str) -> tuple[Decimal, fx.Rate]:
    value, rate = fx.to_eur(amount, currency, on, rounding=ROUND_HALF_UP, field=field)
    money.check_derived(value, field, "the value in EUR")
    return value, rate


def _item_type(code: Any, field: str) -> ItemType:
    text = cleaning.text(code, field, max_length=40)
    if not text:
        raise InvalidInput(f"{field}: required", field=field)
    item_type = ItemType.objects.filter(code=text).first()
    if item_type is None:
        raise InvalidInput(f"{field}: unknown item type {text!r}", field=field)
    return cast("ItemType", item_type)


def _list(value: Any, field: str) -> list[Mapping[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise InvalidInput(f"{field}: a list of objects", field=field)
    return value


def _snapshot(p: Package) -> dict[str, Any]:
    return {
        "title": p.title,
        "implementer": p.implementer,
        "state": p.state,
        "releasability": p.releasability,
        "value_date": p.value_date.isoformat(),
        "price_eur": str(p.price_eur),
        "funded_eur": str(p.funded_eur),
        "items": [
            {
                "item_type": i.item_type.code,
                "quantity": i.quantity,
                "unit_value": str(i.unit_value),
                "currency": i.currency,
            }
            for i in p.items.select_related("item_type")
        ],
        "funders": [_funder_snapshot(f) for f in p.funders.select_related("participant")],
    }


def _funder_snapshot(f: PackageFunder) -> dict[str, Any]:
    return {
        "participant": f.participant.code if f.participant else None,
        "fund": f.fund or None,
        "amount": str(f.amount),
        "currency": f.currency,
        "amount_eur": str(f.amount_eur),
        "pledge": f.pledge_id,
    }


def _bump(p: Package) -> None:
    p.version += 1
    p.save()


def _recount(p: Package) -> None:
    """The package's price and funding in EUR: the sums of its items and funders."""
    p.price_eur = sum((i.value_eur for i in p.items.all()), Decimal(0))
    p.funded_eur = sum((f.amount_eur for f in p.funders.all()), Decimal(0))
    money.check_derived(p.price_eur, "items", "the package's price in EUR")
    money.check_derived(p.funded_eur, "funders", "the package's funding in EUR")


def _funder_values(
    row: Mapping[str, Any], at: str, on: dt.date
) -> tuple[Participant, Decimal, str, Decimal, fx.Rate, Pledge | None]:
    cleaning.check_fields(dict(row), ("participant", "amount", "currency", "pledge"))
    participant = participant_cleaning.participant(row.get("participant"), f"{at}.participant")
    currency = fx.validate_currency(row.get("currency"), field=f"{at}.currency")
    amount = cleaning.money(row.get("amount"), f"{at}.amount", currency=currency)
    value, rate = _eur(amount, currency, on, f"{at}.amount")
    pledge = None
    if not cleaning.blank(row.get("pledge")):
        pledge_id = cleaning.integer(row.get("pledge"), f"{at}.pledge")
        pledge = Pledge.objects.filter(pk=pledge_id).first()
        if pledge is None or pledge.kind != PledgeKind.FINANCIAL or pledge.owner_id != participant.pk:
            raise InvalidInput(
                f"{at}.pledge: {pledge_id} is not a financial pledge of {participant.code}",
                field=f"{at}.pledge",
            )
    return participant, amount, currency, value, rate, pledge


def create_package(*, actor: Actor, data: Mapping[str, Any]) -> Package:
    """Create a proposed package: its contents valued in EUR (the price) and its funders (the funding)."""
    cleaning.check_fields(dict(data), FIELDS)
    title = cleaning.text(data.get("title"), "title", max_length=200)
    if not title:
        raise InvalidInput("title: required", field="title")
    implementer, owner = implementer_owner(data.get("implementer"))
    if not may_write(actor, owner.pk):
        raise PermissionDenied(
            "Only the coordination cell and the implementer's officers create its packages."
        )
    releasability = cleaning.releasability(data.get("releasability"))
    on = cleaning.date(data.get("value_date"), "value_date", required=False) or clock.today()
    items = _list(data.get("items"), "items")
    if not items:
        raise InvalidInput("items: a package buys at least one item type", field="items")
    funders = _list(data.get("funders"), "funders")
    releasable_to = participant_cleaning.participants(data.get("releasable_to"), "releasable_to")
    with transaction.atomic():
        package = Package.objects.create(
            title=title,
            implementer=implementer,
            owner=owner,
            releasability=releasability,
            value_date=on,
            created_by=signed_in(actor),
        )
        seen: set[str] = set()
        for n, row in enumerate(items):
            at = f"items[{n}]"
            cleaning.check_fields(dict(row), ("item_type", "quantity", "unit_value", "currency"))
            item_type = _item_type(row.get("item_type"), f"{at}.item_type")
            if item_type.code in seen:
                raise InvalidInput(
                    f"{at}.item_type: {item_type.code} is listed twice", field=f"{at}.item_type"
                )
            seen.add(item_type.code)
            quantity = cleaning.integer(row.get("quantity"), f"{at}.quantity")
            currency = fx.validate_currency(row.get("currency"), field=f"{at}.currency")
            unit_value = cleaning.money(row.get("unit_value"), f"{at}.unit_value", currency=currency)
            total = money.check_derived(
                (unit_value * quantity).quantize(money.CENT), f"{at}.quantity", "quantity × unit value"
            )
            value, rate = _eur(total, currency, on, f"{at}.unit_value")
            PackageItem.objects.create(
                package=package,
                item_type=item_type,
                quantity=quantity,
                unit_value=unit_value,
                currency=currency,
                value_eur=value,
                fx_rate=rate.eur_from,
                fx_date=rate.rate_date,
            )
        visible_to = {p.pk: p for p in releasable_to}
        for n, row in enumerate(funders):
            participant, amount, currency, value, rate, pledge = _funder_values(row, f"funders[{n}]", on)
            PackageFunder.objects.create(
                package=package,
                participant=participant,
                pledge=pledge,
                amount=amount,
                currency=currency,
                amount_eur=value,
                fx_rate=rate.eur_from,
                fx_date=rate.rate_date,
            )
            visible_to[participant.pk] = participant
        # The funders see the package they pay for, whatever its marking.
        package.releasable_to.set(list(visible_to.values()))
        _recount(package)
        package.save()
        audit.record(actor=actor, action="create", obj=package, after=_snapshot(package))
    return package


def _locked(actor: Actor, package_id: int) -> Package:
    package = Package.objects.restrict(actor, "view").filter(pk=package_id).first()
    if package is None:
        raise NotFound("Package not found.")
    package = Package.objects.select_for_update().get(pk=package.pk)
    if not may_write(actor, package.owner_id):
        raise PermissionDenied("Only the coordination cell and the implementer's officers change a package.")
    return cast("Package", package)


def shortfall(package: Package) -> Decimal:
    """EUR still to find before the package is funded (0 when funded in full)."""
    return max(Decimal(package.price_eur) - Decimal(package.funded_eur), Decimal(0))


def transition_package(*, actor: Actor, package_id: int, to: Any, reason: Any = "") -> Package:
    """Move a package along proposed → funded → contracted → delivering → completed, or cancel it.

    Funded needs funding ≥ price (409 naming the shortfall); contracted needs a contract (its schedule
    then enters the clearing house); cancelling needs a reason and withdraws the schedule's offers
    that nothing is allocated from yet."""
    target = cleaning.choice(to, "to", PackageState)
    stated = stated_reason(reason)
    with transaction.atomic():
        package = _locked(actor, package_id)
        if target not in TRANSITIONS[package.state]:
            raise Conflict(f"cannot move package {package.pk} from {package.state} to {target}", field="to")
        if target == PackageState.FUNDED:
            short = shortfall(package)
            if short > 0:
                raise Conflict(
                    f"package {package.pk} is short of funding by {short} EUR (funded {package.funded_eur} "
                    f"of a price of {package.price_eur} EUR)",
                    field="to",
                )
        if target == PackageState.CONTRACTED and not package.contracts.exists():
            raise Conflict(f"package {package.pk} has no contract yet: add one first", field="to")
        if target == PackageState.CANCELLED:
            stated = stated_reason(stated, required_to="cancel a package")
            package.cancel_reason = stated
        before = {"state": package.state}
        package.state = target
        _bump(package)
        audit.record(
            actor=actor,
            action="transition",
            obj=package,
            before=before,
            after={"state": target, **({"reason": stated} if stated else {})},
        )
        if target in SUPPLYING:
            for line in ScheduleLine.objects.filter(contract__package=package, pledge__isnull=True):
                _supply(actor, package, line)
        if target == PackageState.CANCELLED:
            for line in ScheduleLine.objects.filter(contract__package=package, pledge__isnull=False):
                assert line.pledge_id is not None
                pledge_services.withdraw_on_behalf(actor=actor, pledge_id=line.pledge_id, reason=stated)
    return package


def _month(value: Any, field: str) -> dt.date:
    text = cleaning.text(value, field, max_length=7)
    m = _MONTH.match(text)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise InvalidInput(f"{field}: {text!r} is not a month (YYYY-MM)", field=field)
    return cleaning.date(f"{m.group(1)}-{m.group(2)}-01", field)


def add_contract(*, actor: Actor, package_id: int, data: Mapping[str, Any]) -> PackageContract:
    """Add a contract with its delivery schedule to a funded (or contracted) package. The schedules of
    all its contracts together deliver at most the package's contents, item type by item type (422)."""
    cleaning.check_fields(dict(data), CONTRACT_FIELDS)
    with transaction.atomic():
        package = _locked(actor, package_id)
        if package.state not in CONTRACTABLE:
            raise Conflict(
                f"package {package.pk} is {package.state}: contracts are added once it is funded",
                field="state",
            )
        supplier = cleaning.text(data.get("supplier"), "supplier", max_length=200)
        if not supplier:
            raise InvalidInput("supplier: required", field="supplier")
        currency = fx.validate_currency(data.get("currency"), field="currency")
        value = cleaning.money(data.get("value"), "value", currency=currency)
        signed = cleaning.date(data.get("signed"), "signed")
        value_eur, rate = _eur(value, currency, signed, "value")
        contents = {i.item_type.code: i for i in package.items.select_related("item_type")}
        scheduled: dict[str, int] = defaultdict(int)
        for line in ScheduleLine.objects.filter(contract__package=package).select_related("item_type"):
            scheduled[line.item_type.code] += line.quantity
        lines: list[tuple[dt.date, ItemType, int]] = []
        for n, row in enumerate(_list(data.get("schedule"), "schedule")):
            at = f"schedule[{n}]"
            cleaning.check_fields(dict(row), ("month", "item_type", "quantity"))
            month = _month(row.get("month"), f"{at}.month")
            item_type = _item_type(row.get("item_type"), f"{at}.item_type")
            if item_type.code not in contents:
                raise InvalidInput(
                    f"{at}.item_type: {item_type.code} is not in package {package.pk}'s contents",
                    field=f"{at}.item_type",
                )
            quantity = cleaning.integer(row.get("quantity"), f"{at}.quantity")
            scheduled[item_type.code] += quantity
            if scheduled[item_type.code] > contents[item_type.code].quantity:
                raise InvalidInput(
                    f"{at}.quantity: the schedules would deliver {scheduled[item_type.code]} "
                    f"{item_type.code}, more than the {contents[item_type.code].quantity} the package buys",
                    field=f"{at}.quantity",
                )
            lines.append((month, item_type, quantity))
        contract = PackageContract.objects.create(
            package=package,
            supplier=supplier,
            value=value,
            currency=currency,
            value_eur=value_eur,
            fx_rate=rate.eur_from,
            fx_date=rate.rate_date,
            signed=signed,
        )
        made = [
            ScheduleLine.objects.create(
                contract=contract, month=month, item_type=item_type, quantity=quantity
            )
            for month, item_type, quantity in lines
        ]
        audit.record(
            actor=actor,
            action="create",
            obj=contract,
            after={
                "package": package.pk,
                "supplier": supplier,
                "value": str(value),
                "currency": currency,
                "signed": signed.isoformat(),
                "schedule": [
                    {"month": f"{m:%Y-%m}", "item_type": t.code, "quantity": q} for m, t, q in lines
                ],
            },
        )
        _bump(package)
        if package.state in SUPPLYING:
            for line in made:
                _supply(actor, package, line)
    return contract


def _supply(actor: Actor, package: Package, line: ScheduleLine) -> None:
    """Back a schedule line with a committed in-kind pledge of the implementer: the clearing house's
    offer, available from the first day of the month."""
    item = package.items.get(item_type=line.item_type)
    pledge = pledge_services.create_on_behalf(
        actor=actor,
        donor=package.owner,
        data={
            "kind": PledgeKind.IN_KIND,
            "item_type": line.item_type.code,
            "quantity": line.quantity,
            "unit_value": item.unit_value,
            "currency": item.currency,
            "valuation_source": f"package {package.pk} contents",
            "available_from": line.month,
            "purpose": f"Package {package.pk}: {package.title}"[:300],
            "external_ref": f"package-{package.pk}-line-{line.pk}",
            "releasability": package.releasability,
            "releasable_to": [p.code for p in package.releasable_to.all()],
        },
    )
    line.pledge = pledge
    line.save(update_fields=["pledge"])


def add_fund_funder(
    *, actor: Actor, package_id: int, fund: str, amount: Decimal, currency: str, value_date: dt.date
) -> PackageFunder:
    """A fund's disbursement as a funder line of a package (the funds service checks who may disburse).

    Converted at the ECB rate of the disbursement's value date."""
    package = Package.objects.select_for_update().filter(pk=package_id).first()
    if package is None:
        raise NotFound("Package not found.", field="package")
    if package.state in (PackageState.COMPLETED, PackageState.CANCELLED):
        raise Conflict(f"package {package.pk} is {package.state}: it takes no more funding", field="package")
    value, rate = _eur(amount, currency, value_date, "amount")
    funder = PackageFunder.objects.create(
        package=package,
        fund=fund,
        amount=amount,
        currency=currency,
        amount_eur=value,
        fx_rate=rate.eur_from,
        fx_date=rate.rate_date,
    )
    _recount(package)
    _bump(package)
    audit.record(actor=actor, action="update", obj=package, after=_funder_snapshot(funder))
    return funder
