"""Demo pledges that tell the real story, entered and moved along through the services.

* In kind: the heavy-weapon deliveries of the Kiel Institute's tracker (Release 29, weapons.csv as
  shipped with the tracker app): one pledge per donor and catalog item type, the models of a row
  mapped to item types by the reviewed `pledges/data/kiel_model_map.csv`, the row's value split
  across them by count × the catalog's reference price (`kiel_weapons`); a unit value far from its
  reference range is flagged (in the pledge's valuation source and notes, and as a warning).
  Their statuses are spread over the lifecycle: many delivered (allocated, delivered, receipt
  confirmed), some part-way through delivery, the rest committed, accepted or only offered.
* In kind, more: ammunition, interceptors, drones, demining, medical and winter items offered,
  accepted or committed and not allocated yet, so that a clearing run has real work.
* Financial: pledges in USD, EUR, GBP, NOK, SEK, CAD and JPY, several in yearly tranches
  2025–2029, some confidential (owner or coordination marking, releasable to named participants).

Every demo pledge is marked `illustrative`: its status (and, beyond the tracker's rows, the pledge
itself) is invented, so it is labelled wherever it is shown and never counted on the public page.

Every write is a service call by the right account: `donor-usa`, `donor-deu`, `donor-pol` for their
participants, `admin` for the other donors, `coordinator` to accept and allocate, `recipient` to
confirm receipt. Keyed by donor and external_ref: a second run creates nothing. Each pledge's story
runs in one transaction, so an interrupted run leaves no half-told pledge behind.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from typing import Any

from django.db import transaction

from clearinghouse.catalog.models import ItemType
from clearinghouse.catalog.selectors import reference_price
from clearinghouse.core import clock, fx
from clearinghouse.participants.models import Participant, User
from clearinghouse.pledges import kiel_weapons, selectors, services
from clearinghouse.pledges.choices import PledgeStatus
from clearinghouse.requirements import selectors as requirement_selectors
from clearinghouse.requirements.demo import REQUIREMENTS

# Where each weapon pledge ends up, in turn (deterministic, so reruns agree).
STORY = (
    "delivered",
    "delivered",
    "delivered",
    "delivered",
    "in_delivery",
    "in_delivery",
    "committed_allocated",
    "committed",
    "accepted",
    "offered",
)
ILLUSTRATIVE_NOTE = (
    "Illustrative demo record: the donor, quantity and value come from the Kiel tracker (Release 29, "
    "weapons.csv); the status, dates, allocations and marking are invented for the demo."
)
logger = logging.getLogger("clearinghouse.demo")
ACCOUNTS = {"USA": "donor-usa", "DEU": "donor-deu", "POL": "donor-pol"}
# Kept confidential by their donors (marking, releasable to).
CONFIDENTIAL = {
    "AD-PATRIOT": ("coordination", []),
    "AD-IRIST-SLM": ("coordination", ["USA"]),
    "AD-NASAMS": ("coordination", ["NOR"]),
}

# Further in-kind pledges: (donor, ref, item type, quantity, available from, target, marking, releasable_to)
MORE_IN_KIND: list[tuple[str, str, str, int, str, str, str, list[str]]] = [
    ("USA", "USA-AMMO-155-2025", "AMM-155-HE", 200_000, "2025-03-01", "in_delivery", "contact_group", []),
    ("USA", "USA-AMMO-155-2026", "AMM-155-HE", 100_000, "2026-09-01", "committed", "contact_group", []),
    ("DEU", "DEU-AMMO-155-2026", "AMM-155-HE", 60_000, "2026-06-15", "accepted", "contact_group", []),
    ("POL", "POL-AMMO-155-2026", "AMM-155-HE", 40_000, "2026-10-01", "offered", "contact_group", []),
    ("FRA", "FRA-AMMO-155-2026", "AMM-155-HE", 30_000, "2026-05-01", "committed", "coordination", []),
    ("NLD", "NLD-PGM-155-2026", "AMM-155-PGM", 5_000, "2026-07-01", "offered", "contact_group", []),
    ("CZE", "CZE-INIT-152-2026", "AMM-152-HE", 80_000, "2026-04-01", "accepted", "contact_group", []),
    ("USA", "USA-PAC3-2026", "AMM-PATRIOT", 120, "2026-08-01", "committed", "owner", []),
    ("DEU", "DEU-IRIST-2026", "AMM-IRIST", 200, "2026-06-01", "accepted", "coordination", ["USA"]),
    ("NOR", "NOR-AMRAAM-2026", "AMM-AMRAAM", 100, "2026-09-15", "offered", "coordination", []),
    ("DEU", "DEU-IRIST-SLM-2026", "AD-IRIST-SLM", 2, "2026-10-01", "committed", "coordination", []),
    ("DEU", "DEU-GEPARD-2025", "AD-GEPARD", 15, "2025-02-01", "accepted", "public", []),
    ("USA", "USA-GMLRS-2026", "AMM-GMLRS", 1_500, "2026-03-01", "committed", "coordination", ["GBR"]),
    ("LTU", "LTU-FPV-2026", "DRN-FPV", 20_000, "2026-05-01", "offered", "contact_group", []),
    ("LVA", "LVA-FPV-2026", "DRN-FPV", 10_000, "2026-06-01", "accepted", "contact_group", []),
    ("GBR", "GBR-FPV-2026", "DRN-FPV", 50_000, "2026-04-01", "in_delivery", "contact_group", []),
    ("POL", "POL-MORTAR-2026", "AMM-120-MORTAR", 25_000, "2026-02-01", "committed", "contact_group", []),
    ("JPN", "JPN-DEMINING-2026", "DEM-DETECTOR", 2_000, "2026-03-01", "offered", "public", []),
    ("HRV", "HRV-DEMINING-2026", "DEM-MACHINE", 20, "2026-04-01", "accepted", "public", []),
    ("CAN", "CAN-IFAK-2026", "MED-IFAK", 100_000, "2026-01-15", "committed", "public", []),
    ("DEU", "DEU-AMBULANCE-2026", "MED-AMBULANCE", 50, "2026-05-01", "accepted", "public", []),
    ("CAN", "CAN-WINTER-2026", "WIN-CLOTHING", 200_000, "2026-08-01", "committed", "public", []),
    ("NOR", "NOR-SLEEPING-2026", "WIN-SLEEPING-BAG", 100_000, "2026-09-01", "offered", "public", []),
    ("EU", "EU-GENERATORS-2026", "LOG-GENERATOR", 500, "2026-10-15", "offered", "public", []),
    ("GRC", "GRC-BMP1-2026", "IFV-BMP1", 40, "2026-03-01", "declined", "contact_group", []),
]

# Financial pledges: (donor, ref, amount, currency, available from, tranches, target, marking,
# releasable_to, purpose)
FINANCIAL: list[tuple[str, str, str, str, str, dict[int, str], str, str, list[str], str]] = [
    (
        "USA",
        "USA-USAI-2024",
        "6000000000",
        "USD",
        "2024-04-24",
        {},
        "delivered",
        "public",
        [],
        "Ukraine Security Assistance Initiative: procurement from industry",
    ),
    (
        "USA",
        "USA-FMF-2025",
        "2500000000",
        "USD",
        "2025-01-15",
        {},
        "committed",
        "coordination",
        ["GBR"],
        "Foreign military financing: air defence interceptors",
    ),
    (
        "DEU",
        "DEU-MYP-2025",
        "5000000000",
        "EUR",
        "2025-01-02",
        {2025: "1000000000", 2026: "1000000000", 2027: "1000000000", 2028: "1000000000", 2029: "1000000000"},
        "in_delivery",
        "contact_group",
        [],
        "Multi-year procurement programme",
    ),
    (
        "GBR",
        "GBR-2025",
        "3000000000",
        "GBP",
        "2025-04-01",
        {},
        "accepted",
        "contact_group",
        [],
        "Annual military support",
    ),
    (
        "NOR",
        "NOR-NANSEN-2025",
        "35000000000",
        "NOK",
        "2025-01-02",
        {2025: "7000000000", 2026: "7000000000", 2027: "7000000000", 2028: "7000000000", 2029: "7000000000"},
        "committed",
        "public",
        [],
        "Nansen support programme: military share",
    ),
    (
        "SWE",
        "SWE-MSP-2025",
        "20000000000",
        "SEK",
        "2025-02-03",
        {2025: "4000000000", 2026: "4000000000", 2027: "4000000000", 2028: "4000000000", 2029: "4000000000"},
        "committed",
        "contact_group",
        [],
        "Military support package, yearly instalments",
    ),
    (
        "CAN",
        "CAN-2026",
        "1500000000",
        "CAD",
        "2026-02-24",
        {},
        "offered",
        "contact_group",
        [],
        "Procurement of ammunition from Canadian industry",
    ),
    (
        "JPN",
        "JPN-2026",
        "50000000000",
        "JPY",
        "2026-03-01",
        {2026: "25000000000", 2027: "25000000000"},
        "accepted",
        "coordination",
        [],
        "Non-lethal equipment: demining, medical, generators",
    ),
    (
        "FRA",
        "FRA-FUND-2025",
        "1200000000",
        "EUR",
        "2025-03-01",
        {},
        "committed",
        "owner",
        [],
        "Procurement fund (not published by the donor)",
    ),
    (
        "NLD",
        "NLD-2024",
        "2000000000",
        "EUR",
        "2024-06-01",
        {},
        "delivered",
        "public",
        [],
        "Air defence and drones",
    ),
    (
        "POL",
        "POL-FIN-2025",
        "100000000",
        "EUR",
        "2025-05-05",
        {},
        "withdrawn",
        "contact_group",
        [],
        "Loan guarantee",
    ),
]

# The financial lifecycle, move by move.
_FINANCIAL_PATH = (
    PledgeStatus.ACCEPTED,
    PledgeStatus.COMMITTED,
    PledgeStatus.IN_DELIVERY,
    PledgeStatus.DELIVERED,
)


class _Story:
    """The accounts and lookups a seeding run shares."""

    def __init__(self, admin: Any) -> None:
        self.admin = admin
        self.coordinator = User.objects.select_related("participant").get(username="coordinator")
        self.recipient = User.objects.select_related("participant").get(username="recipient")
        self.today = clock.today()
        self.accounts = {
            code: User.objects.select_related("participant").get(username=name)
            for code, name in ACCOUNTS.items()
        }
        refs = {r["external_ref"] for r in REQUIREMENTS}
        self.requirements: dict[str, list[int]] = {}
        for requirement in requirement_selectors.requirement_list(user=self.recipient):
            if requirement.external_ref in refs:
                for item in requirement.item_types.all():
                    self.requirements.setdefault(item.code, []).append(requirement.pk)

    def donor(self, code: str) -> Any:
        """The account that acts for a donor: its demo officer, or the admin (who may act for any)."""
        return self.accounts.get(code, self.admin)

    def exists(self, code: str, ref: str) -> bool:
        return selectors.get_pledge_by_ref(user=self.admin, donor=code, external_ref=ref) is not None

    def day(self, start: dt.date, days: int) -> dt.date:
        return min(start + dt.timedelta(days=days), self.today)

    def allocate(self, pledge: Any, units: int) -> list[Any]:
        """Allocate up to `units` of a pledge to the requirements accepting its type (the cell)."""
        allocations = []
        for requirement_id in self.requirements.get(pledge.item_type.code, []):
            requirement = requirement_selectors.get_requirement(
                user=self.coordinator, requirement_id=requirement_id
            )
            factor = requirement.factor_of(pledge.item_type.code)
            take = min(units, int(requirement.outstanding_quantity // factor))
            if take <= 0:
                continue
            allocations.append(
                services.allocate(
                    actor=self.coordinator, pledge_id=pledge.pk, requirement_id=requirement_id, quantity=take
                )
            )
            units -= take
            if units == 0:
                break
        return allocations

    def in_kind(self, *, code: str, data: dict[str, Any], target: str, index: int) -> None:
        """Create an in-kind pledge and take it to `target` (delivered, in_delivery, ...)."""
        donor = self.donor(code)
        pledge = services.create_pledge(actor=donor, data=data)
        if target == "offered":
            return
        if target == "declined":
            services.transition_pledge(
                actor=self.coordinator,
                pledge_id=pledge.pk,
                to=PledgeStatus.DECLINED,
                reason="Illustrative: the recipient no longer fields this type.",
            )
            return
        services.transition_pledge(actor=self.coordinator, pledge_id=pledge.pk, to=PledgeStatus.ACCEPTED)
        if target == "accepted":
            return
        quantity = pledge.quantity or 0
        share = {"delivered": quantity, "in_delivery": quantity, "committed_allocated": (quantity + 1) // 2}
        allocations = self.allocate(pledge, share.get(target, 0))
        services.transition_pledge(actor=donor, pledge_id=pledge.pk, to=PledgeStatus.COMMITTED)
        if target not in ("delivered", "in_delivery"):
            return
        start = pledge.available_from
        for n, allocation in enumerate(allocations):
            units = allocation.quantity if target == "delivered" else max(1, allocation.quantity // 2)
            # Large allocations arrive in two shipments; the recipient confirms what has arrived,
            # except the latest shipment of a pledge still in delivery.
            parts = [units] if units < 4 else [units // 2, units - units // 2]
            for k, part in enumerate(parts):
                delivery = services.record_delivery(
                    actor=donor,
                    allocation_id=allocation.pk,
                    quantity=part,
                    delivered_on=self.day(start, 40 + 35 * k + 7 * n + index % 20),
                )
                if target == "delivered" or k < len(parts) - 1:
                    services.confirm_delivery(actor=self.recipient, delivery_id=delivery.pk)

    def financial(self, *, code: str, data: dict[str, Any], target: str) -> None:
        donor = self.donor(code)
        pledge = services.create_pledge(actor=donor, data=data)
        if target == "withdrawn":
            services.transition_pledge(
                actor=donor,
                pledge_id=pledge.pk,
                to=PledgeStatus.WITHDRAWN,
                reason="Illustrative: the funds were redirected to a joint procurement.",
            )
            return
        for status in _FINANCIAL_PATH:
            if target == "offered":
                return
            actor = self.coordinator if status == PledgeStatus.ACCEPTED else donor
            services.transition_pledge(actor=actor, pledge_id=pledge.pk, to=status)
            if status == target:
                return


def _references(on: dt.date) -> Callable[[str], kiel_weapons.Reference]:
    """An item type's reference unit value in force on `on` and its price list's range, in EUR at the
    ECB rates of `on`."""

    def reference(code: str) -> kiel_weapons.Reference:
        item_type = ItemType.objects.filter(code=code).first()
        price = reference_price(item_type, on) if item_type else None
        if item_type is None or price is None:
            raise kiel_weapons.KielMappingError(
                f"{kiel_weapons.MAP_FILE}: item type {code!r} is not in the catalog or has no reference "
                f"price on {on}"
            )
        in_eur = [
            fx.to_eur(p.unit_value, p.currency, on, rounding=ROUND_HALF_UP)[0] for p in item_type.prices.all()
        ]
        return kiel_weapons.Reference(
            fx.to_eur(price.unit_value, price.currency, on, rounding=ROUND_HALF_UP)[0],
            min(in_eur),
            max(in_eur),
        )

    return reference


def weapon_rows() -> list[tuple[kiel_weapons.RowSplit, dt.date]]:
    """The tracker's heavy-weapon rows of the participants' donors, each split across its item types,
    with the value date the demo gives it."""
    by_tracker_name = dict(Participant.objects.exclude(tracker_name="").values_list("tracker_name", "code"))
    mapping = kiel_weapons.load_map()
    text = (
        resources.files("clearinghouse.tracker")
        .joinpath("data", "kiel-r29", "weapons.csv")
        .read_text(encoding="utf-8")
    )
    rows = []
    for n, row in enumerate(csv.DictReader(text.splitlines())):
        code = by_tracker_name.get(row["donor"])
        count = int(row["number_of_weapons"])
        if code is None or count <= 0:
            continue  # a donor the participants' list does not name: not part of the story
        # Deliveries were announced over 2022–2024: spread the value dates over that span.
        available = dt.date(2022, 3, 1) + dt.timedelta(days=(n * 47) % 1000)
        split = kiel_weapons.split_row(
            donor=code,
            category=row["category"],
            count=count,
            value=Decimal(row["monetary_value_eur"]),
            weapons_list=row["weapons_list"],
            mapping=mapping,
            reference=_references(available),
        )
        rows.append((split, available))
    return rows


def weapon_pledges() -> list[tuple[dict[str, Any], str]]:
    """The tracker's heavy-weapon rows as pledges (the services' input), each with its valuation flag
    ("" when none): one per donor and item type, valued at its share of the row's value (split by
    count × reference price, see `kiel_weapons`), in EUR."""
    pledges = []
    for split, available in weapon_rows():
        category = split.category.lower().replace(" ", "-")
        listed = "; ".join(
            [f"{m} ({n})" for s in split.shares for m, n in s.models]
            + [f"{m} ({n})" for m, n, _ in split.unmapped]
        )
        for share in split.shares:
            marking, releasable_to = CONFIDENTIAL.get(share.item_type, ("public", []))
            source = (
                f"Kiel tracker R29 weapons.csv, {split.donor}, {split.category}: share {share.share} EUR "
                f"/ {share.quantity} of the row's {split.value} EUR for {split.count}, split by count × "
                "catalog reference price"
            )
            if share.flag:
                source += "; FLAGGED: far from the reference price"
            notes = [
                ILLUSTRATIVE_NOTE,
                f"Models: {', '.join(f'{m} ({n})' for m, n in share.models)}",
                f"Valuation: the row's {split.value} EUR for {split.count} weapons ({listed}) split across "
                "its item types in proportion to count × reference unit value (EUR, ECB rate of "
                f"{available}): "
                + "; ".join(
                    f"{s.item_type} {s.quantity} × {s.reference.unit_value} → {s.share} EUR"
                    for s in split.shares
                )
                + ".",
            ]
            if split.unmapped:
                notes.append(
                    "Unmapped models of the row (no pledge; the mapped models carry the row's value): "
                    + "; ".join(f"{m} ({n}): {why}" for m, n, why in split.unmapped)
                )
            if share.flag:
                notes.append(f"Valuation flag: {share.flag}.")
            pledges.append(
                (
                    {
                        "donor": split.donor,
                        "external_ref": f"KIEL-R29-{category}-{share.item_type}",
                        "kind": "in_kind",
                        "item_type": share.item_type,
                        "quantity": share.quantity,
                        "unit_value": share.unit_value,
                        "currency": "EUR",
                        "valuation_source": source[:300],
                        "available_from": available,
                        "announced_at": "Kiel Institute Ukraine Support Tracker, Release 29",
                        "releasability": marking,
                        "releasable_to": releasable_to,
                        "notes": "\n".join(notes),
                        "illustrative": True,
                    },
                    share.flag,
                )
            )
    return pledges


def seed(admin: Any) -> None:
    """Enter and move along the demo pledges (idempotent: existing references are skipped)."""
    story = _Story(admin)
    for index, (data, flag) in enumerate(weapon_pledges()):
        if not story.exists(data["donor"], data["external_ref"]):
            with transaction.atomic():
                story.in_kind(code=data["donor"], data=data, target=STORY[index % len(STORY)], index=index)
            if flag:
                # The demo's output: `clearinghouse demo` prints warnings (stderr).
                logger.warning("Kiel R29 valuation flag: %s %s: %s", data["donor"], data["item_type"], flag)
    for index, (code, ref, item_type, quantity, available, target, marking, releasable_to) in enumerate(
        MORE_IN_KIND
    ):
        if story.exists(code, ref):
            continue
        data = {
            "donor": code,
            "external_ref": ref,
            "kind": "in_kind",
            "item_type": item_type,
            "quantity": quantity,
            "available_from": available,
            "releasability": marking,
            "releasable_to": releasable_to,
            "notes": "Illustrative demo record: invented for the demo, not a real pledge.",
            "illustrative": True,
        }
        with transaction.atomic():
            story.in_kind(code=code, data=data, target=target, index=index)
    for (
        code,
        ref,
        amount,
        currency,
        available,
        tranches,
        target,
        marking,
        releasable_to,
        purpose,
    ) in FINANCIAL:
        if story.exists(code, ref):
            continue
        data = {
            "donor": code,
            "external_ref": ref,
            "kind": "financial",
            "amount": amount,
            "currency": currency,
            "available_from": available,
            "tranches": [{"year": y, "amount": a} for y, a in sorted(tranches.items())],
            "purpose": purpose,
            "releasability": marking,
            "releasable_to": releasable_to,
            "notes": "Illustrative demo record: invented for the demo, not a real pledge.",
            "illustrative": True,
        }
        with transaction.atomic():
            story.financial(code=code, data=data, target=target)
