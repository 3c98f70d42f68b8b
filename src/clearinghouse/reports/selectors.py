"""Transparency reports, read for a user: totals, donors, groups and heavy weapons.

Two sources, never mixed in one figure:

* `tracker` (the default): the current Kiel tracker release, public data, reproduced exactly
  (every figure is a Decimal sum of the values as published).
* `records`: the contact group's own pledges, valued in EUR (`Pledge.value_eur`, converted at the
  ECB reference rate by the pledges app). A viewer's figures include only the pledges that
  `restrict(user, "view")` lets them see (the public page: only `public` pledges). For the public
  page and every viewer who does not see every marking, small cells are suppressed
  (`suppression.py`) and further cells withheld so that none can be worked out from the others
  (complementary suppression over every table published together, `linked.py`). Pledge kinds
  map to the tracker's types: financial → financial, in kind → military (every capability area
  of the catalogue is military), and financial earmarked for military procurement → military (money
  given to buy weapons is military aid, as the tracker counts it); the records have no humanitarian
  aid. Statuses map to the tracker's two measures: committed, in delivery and delivered pledges
  are allocations (`total`, like the tracker's "aid delivered or specified for delivery"); every
  live pledge (offered to delivered; not withdrawn or declined) counts in `commitments`;
  `delivered` is the delivered share of each pledge's value. A pledge is dated by its `available_from` date.

Report functions return plain dicts of Decimals; the doors turn them into JSON numbers, CSV or XLSX.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from clearinghouse.core.actors import Actor
from clearinghouse.core.errors import InvalidInput
from clearinghouse.core.releasability import sees_everything
from clearinghouse.core.resilient import log_unreadable
from clearinghouse.core.validation import date_problem
from clearinghouse.packages import attribution
from clearinghouse.packages.models import Package
from clearinghouse.participants.choices import ParticipantKind
from clearinghouse.participants.models import Participant, ParticipantGroup
from clearinghouse.pledges.choices import FIRM, LIVE, is_military
from clearinghouse.pledges.models import Pledge
from clearinghouse.reports import linked
from clearinghouse.reports.cache import cached_report, remembered
from clearinghouse.reports.suppression import (
    MIN_CONTRIBUTORS,
    ZERO_CELL,
    Cell,
    Contribution,
    aggregate,
    aggregate_cell,
    ratio,
    withhold,
)
from clearinghouse.tracker import selectors as tracker_selectors
from clearinghouse.tracker.choices import FlowType
from clearinghouse.tracker.models import KielEuShare, KielFlow, KielGdp, KielRelease, KielWeapons

SOURCES = ("tracker", "records")
TYPES = ("military", "financial", "humanitarian", "total")
BY = ("year", "month")
GROUPS: list[tuple[str, str]] = [
    ("allies", "Allies"),
    ("partners", "Partners"),
    ("organisations", "Organisations (EU institutions)"),
    ("eu27", "EU27 member states"),
    ("continental_europe", "Continental Europe (EU27 + GBR, NOR, CHE, ISL)"),
    ("continental_europe_with_eu", "Continental Europe + EU institutions"),
    ("usa", "United States"),
]
CONTINENTAL_EXTRA = ("GBR", "NOR", "CHE", "ISL")
TRACKER_NAME = "Kiel Institute for the World Economy, Ukraine Support Tracker"
RECORDS_LABEL = (
    "Contact group records: pledges valued in EUR at the ECB reference rate "
    "(not the Kiel Institute's figures)"
)
PUBLIC_RECORDS_LABEL = RECORDS_LABEL + "; public-marked pledges only, small cells suppressed"
ILLUSTRATIVE_RULE = (
    "illustrative (demo or training) pledges are never counted on the public page; in signed-in "
    "reports they are counted and the label says how many"
)
ALLOCATED = FIRM
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
BILLION_PLACES = 12  # EUR amounts (2 decimals) / 10^9 need 11; ratios are rounded to 12 decimals


@dataclass
class Dataset:
    """The contributions one report is built from, with what the reader needs to know about them."""

    source: str
    contributions: list[Contribution]
    always_protect: bool
    release: KielRelease | None
    has_commitments: bool
    columns: tuple[str, ...]
    meta: dict[str, Any] = field(default_factory=dict)
    weapons: list[Contribution] = field(default_factory=list)
    # The cells withheld across the linked tables (primary and complementary), by linked.py's keys.
    withheld: frozenset[Any] = frozenset()

    def cell(self, key: tuple[Any, ...], cell: Cell) -> Cell:
        """A figure as published: withheld when the linked tables' suppression says so."""
        return withhold(cell) if key in self.withheld else cell


def check_choice(value: str, allowed: Iterable[str], field_name: str) -> str:
    """`value` if it is one of `allowed`, else InvalidInput naming the field."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise InvalidInput(f"{value!r} is not one of {', '.join(allowed)}.", field=field_name)
    return value


def parse_month(value: str | None, field_name: str) -> tuple[int, int] | None:
    """'YYYY-MM' as (year, month); None stays None; anything else is InvalidInput naming the field."""
    if value is None or value == "":
        return None
    m = _MONTH.match(value.strip())
    if not m or not 1 <= int(m[2]) <= 12:
        raise InvalidInput(f"{value!r} is not a month (YYYY-MM, e.g. 2024-03).", field=field_name)
    return int(m[1]), int(m[2])


def release_meta(release: KielRelease) -> dict[str, Any]:
    return {
        "number": release.number,
        "period": release.period,
        "date": release.date.isoformat(),
        "label": release.label,
        "citation": release.source_line,
    }


def _participants() -> dict[str, Participant]:
    # Reference data (names, kinds, groups) labels published figures; it is public and not restricted.
    return {p.code: p for p in Participant.objects.all()}


def _tracker_dataset(user: Actor | None, release_number: int | None = None) -> Dataset:
    if release_number is None:
        release = tracker_selectors.current_release(user=user)
    else:
        release = tracker_selectors.get_release(user=user, number=release_number)
    rows = (
        KielFlow.objects.restrict(user, "view")
        .filter(release=release)
        .values_list("pk", "participant__code", "type", "value", "year", "month")
    )
    contributions = [
        Contribution(record=pk, donor=code, column=type_, value=value, year=year, month=month)
        for pk, code, type_, value, year, month in rows
    ]
    return Dataset(
        source="tracker",
        contributions=contributions,
        always_protect=False,
        release=release,
        has_commitments=release.has_commitments,
        columns=("military", "financial", "humanitarian", "total", "commitments"),
        meta={
            "source": "tracker",
            "source_label": release.source_line,
            "release": release_meta(release),
            "unit": "EUR billion",
        },
    )


def _illustrative_meta(visible: Any, *, public: bool) -> tuple[dict[str, Any], str]:
    """How many illustrative pledges the viewer's figures leave out (public) or include (signed in):
    counted among the pledges the viewer may see only, and the words the report's label adds."""
    shown = visible.filter(illustrative=True).count()
    if public:
        meta = {"included": 0, "excluded": shown, "rule": ILLUSTRATIVE_RULE}
        words = f"; {shown} illustrative (demo) pledges not counted" if shown else ""
    else:
        meta = {"included": shown, "excluded": 0, "rule": ILLUSTRATIVE_RULE}
        words = f"; includes {shown} illustrative (demo) pledges: not real records" if shown else ""
    return meta, words


def _records_rows(user: Actor | None, *, public: bool) -> tuple[list[tuple[Any, ...]], dict[str, Any], str]:
    """The live pledges the viewer may see (the public page: public ones), with what the reports use,
    and what the label says of illustrative pledges. On the public page an illustrative (demo or
    training) pledge is never counted: it is not a record of the contact group."""
    if public:
        visible = Pledge.objects.filter(status__in=LIVE, releasability="public")
    else:
        # Visibility as a subquery, so the outer read needs no DISTINCT (and a row that cannot be
        # read is left out and logged rather than failing the whole report: core/resilient.py).
        visible = Pledge.objects.filter(
            pk__in=Pledge.objects.restrict(user, "view").values("pk"), status__in=LIVE
        )
    # A package's schedule is the funders' aid, not the implementer's (packages/attribution.py).
    visible = visible.exclude(pk__in=attribution.backing_pledge_ids())
    illustrative, label = _illustrative_meta(visible, public=public)
    live = visible.filter(illustrative=False) if public else visible
    fields = ("pk", "owner__code", "kind", "earmark", "status", "available_from", "value_eur", "quantity")
    rows = list(live.values_list(*fields, "delivered_quantity", "item_type__capability__name"))
    return rows, illustrative, label


def _records_dataset(user: Actor | None, *, public: bool) -> Dataset:
    # Only what the viewer may see is read at all: hidden pledges enter no figure and no decision.
    protect = public or not sees_everything(user)
    contributions: list[Contribution] = []
    weapons: list[Contribution] = []
    rows, illustrative, label = _records_rows(user, public=public)
    spent = attribution.spent_through_packages(pk for pk, _, kind, *_ in rows if kind == "financial")
    for pk, owner, kind, earmark, status, available, value_eur, quantity, delivered_qty, category in rows:
        if value_eur is None:
            continue
        if pk in spent:
            # Spent on packages: that part counts as the funder's military aid through the package.
            value_eur = max(Decimal(value_eur) - spent[pk], Decimal(0))
            if not value_eur:
                continue
        if available and date_problem(available):  # written around the services: left out, logged
            log_unreadable("pledges.Pledge", pk, ValueError(f"available_from: {date_problem(available)}"))
            continue
        value = Decimal(value_eur).scaleb(-9)  # EUR → EUR billion, exactly
        year, month = (available.year, available.month) if available else (None, None)
        # Money earmarked for military procurement is the giver's military aid (the Kiel rule), and
        # counted there only: one pledge is one atom in one column, never in both.
        column = "military" if is_military(kind, earmark) else "financial"
        # The atoms: the pledge's allocated value (military or financial), or its value not yet
        # allocated (offered, accepted), and its delivered value; every figure sums some of them.
        held = (pk, column) if status in ALLOCATED else (pk, "pending")
        parts: list[tuple[str, Decimal, tuple[Any, str]]] = [("commitments", value, held)]
        if status in ALLOCATED:
            parts += [(column, value, held), ("total", value, held)]
        if kind == "in_kind" and quantity and delivered_qty:
            delivered = value * Decimal(delivered_qty) / Decimal(quantity)
            parts.append(
                ("delivered", delivered.quantize(Decimal(1).scaleb(-BILLION_PLACES)), (pk, "delivered"))
            )
        elif kind == "financial" and status == "delivered":
            parts.append(("delivered", value, (pk, "delivered")))
        contributions += [
            Contribution(pk, owner, col, amount, year=year, month=month, atom=atom)
            for col, amount, atom in parts
        ]
        if kind == "in_kind" and status in ALLOCATED:
            group = category or "Unspecified"
            weapons += [
                Contribution(pk, owner, "count", Decimal(quantity or 0), category=group, atom=(pk, "count")),
                Contribution(pk, owner, "value_eur", Decimal(value_eur), category=group, atom=held),
            ]
    contributions += _package_contributions(user, public=public)
    release = KielRelease.objects.restrict(user, "view").filter(is_current=True).first()
    ds = Dataset(
        source="records",
        contributions=contributions,
        always_protect=protect,
        release=release,
        has_commitments=True,
        columns=("military", "financial", "humanitarian", "total", "commitments", "delivered"),
        meta={
            "source": "records",
            "source_label": (PUBLIC_RECORDS_LABEL if public else RECORDS_LABEL) + label,
            "release": None,
            "unit": "EUR billion",
            "illustrative": illustrative,
            "suppression": {
                "min_contributors": MIN_CONTRIBUTORS,
                "protected": protect,
                "rule": linked.RULE if protect else linked.UNPROTECTED_RULE,
            },
        },
        weapons=weapons,
    )
    if protect:
        ds.withheld = linked.withheld(
            contributions, weapons, group_members(), columns=ds.columns, types=TYPES
        )
    return ds


def _package_contributions(user: Actor | None, *, public: bool) -> list[Contribution]:
    """Funded packages the viewer may see, credited to their funders pro rata as military aid."""
    packages = (
        Package.objects.filter(releasability="public")
        if public
        else Package.objects.filter(pk__in=Package.objects.restrict(user, "view").values("pk"))
    )
    out: list[Contribution] = []
    for credit in attribution.credits(packages):
        value = credit.value_eur.scaleb(-9)
        record = ("package", credit.package, credit.line)
        held = (record, "military")
        year, month = credit.on.year, credit.on.month
        out += [
            Contribution(record, credit.donor, col, value, year=year, month=month, atom=held)
            for col in ("commitments", "military", "total")
        ]
        if credit.delivered_eur:
            out.append(
                Contribution(
                    record,
                    credit.donor,
                    "delivered",
                    credit.delivered_eur.scaleb(-9),
                    year=year,
                    month=month,
                    atom=(record, "delivered"),
                )
            )
    return out


def dataset(
    *, user: Actor | None, source: str = "tracker", public: bool = False, release: int | None = None
) -> Dataset:
    """The contributions of a source for this viewer (`public`: the public page's view of records).

    `release`: a tracker release by its number (default: the current one), so that a cited figure
    keeps its value after a newer release is imported; the records have no releases.
    """
    check_choice(source, SOURCES, "source")
    if release is not None and source != "tracker":
        raise InvalidInput("Only the tracker's figures come in releases.", field="release")
    if source == "tracker":
        return _tracker_dataset(user, release)
    # Once per audience and version of the data, whichever report asks first (`cache.remembered`).
    ds: Dataset = remembered(
        "records_dataset",
        user,
        {"source": "records", "public": public},
        lambda: _records_dataset(user, public=public),
    )
    return ds


def _row_cells(row: dict[str, Any], cells: dict[str, Cell]) -> dict[str, Any]:
    suppressed = [name for name, cell in cells.items() if cell.suppressed]
    for name, cell in cells.items():
        row[name] = cell.shown
    row["suppressed"] = bool(suppressed)
    if suppressed:
        row["suppressed_fields"] = suppressed
    return row


@cached_report
def totals_report(
    *,
    user: Actor | None,
    by: str = "year",
    source: str = "tracker",
    public: bool = False,
    release: int | None = None,
) -> dict[str, Any]:
    """Aid by year or month and type: military, financial, humanitarian, total, commitments."""
    check_choice(by, BY, "by")
    ds = dataset(user=user, source=source, public=public, release=release)

    def period(c: Contribution) -> tuple[str, str] | None:
        if c.year is None or c.month is None:
            return None
        return (str(c.year) if by == "year" else f"{c.year}-{c.month:02d}", c.column)

    cells = aggregate(ds.contributions, period, always_protect=ds.always_protect)
    periods = sorted({k[0] for k in cells})  # type: ignore[index]  # Hashable keys are tuples
    rows = []
    for p in periods:
        row_cells = {}
        for column in ds.columns:
            if column == "commitments" and not ds.has_commitments:
                row_cells[column] = Cell(value=None)
            else:
                row_cells[column] = ds.cell(("totals", by, p, column), cells.get((p, column), ZERO_CELL))
        rows.append(_row_cells({"period": p}, row_cells))
    return {**ds.meta, "by": by, "columns": list(ds.columns), "rows": rows}


def _gdp(release: KielRelease | None) -> dict[str, Decimal]:
    if release is None:
        return {}
    return dict(KielGdp.objects.filter(release=release).values_list("participant__code", "gdp_eur_bn"))


@cached_report
def donors_report(
    *,
    user: Actor | None,
    type: str = "total",
    per_gdp: bool = False,
    with_eu_share: bool = False,
    month_from: str | None = None,
    month_to: str | None = None,
    source: str = "tracker",
    public: bool = False,
    release: int | None = None,
) -> dict[str, Any]:
    """Donors ranked by the value of one type of aid (or by its share of 2021 GDP), descending.

    `per_gdp`: pct_gdp = 100 × value / the donor's 2021 GDP as the release uses it; the EU
    institutions have no GDP and are left out. `with_eu_share`: each EU member is also attributed
    its share of the EU institutions' aid from eu_aid_shares.csv: eu_share_bn × (the EU
    institutions' value of this type in these months) / (their total over the whole release) —
    exactly eu_share_bn for the total over the whole release — added to its own value
    (value_with_eu_share_bn, and pct_gdp from that sum); the EU institutions' own row is then left
    out, its aid being attributed to the members.
    """
    check_choice(type, TYPES, "type")
    start = parse_month(month_from, "from")
    end = parse_month(month_to, "to")
    if start and end and start > end:
        raise InvalidInput(f"'to' ({month_to}) is before 'from' ({month_from}).", field="to")
    ds = dataset(user=user, source=source, public=public, release=release)
    if with_eu_share and ds.source != "tracker":
        raise InvalidInput("The EU share applies to the tracker's figures only.", field="with_eu_share")

    selected = [c for c in ds.contributions if c.column == type and _in_window(c, start, end)]
    cells = aggregate(selected, lambda c: c.donor, always_protect=ds.always_protect)
    if start is None and end is None:
        cells = {k: ds.cell(("donors", type, k), v) for k, v in cells.items()}
    eu = _EuAttribution.of(user, ds, cells) if with_eu_share else None
    people = _participants()
    gdp = _gdp(ds.release)
    rows: list[dict[str, Any]] = []
    for key, cell in cells.items():
        row = _donor_row(str(key), cell, people, gdp, eu, per_gdp=per_gdp)
        if row is not None:
            rows.append(row)
    if per_gdp:
        sort_key = "pct_gdp"
    elif with_eu_share:
        sort_key = "value_with_eu_share_bn"
    else:
        sort_key = "value_eur_bn"
    return {
        **ds.meta,
        "type": type,
        "per_gdp": per_gdp,
        "with_eu_share": with_eu_share,
        "from_month": month_from or None,
        "to_month": month_to or None,
        "ranked_by": sort_key,
        "donors": _ranked(rows, sort_key),
    }


def _in_window(c: Contribution, start: tuple[int, int] | None, end: tuple[int, int] | None) -> bool:
    """Whether a contribution's month lies within [start, end] (any month when neither is given)."""
    if start is None and end is None:
        return True
    if c.year is None or c.month is None:
        return False
    return (start is None or (c.year, c.month) >= start) and (end is None or (c.year, c.month) <= end)


@dataclass(frozen=True)
class _EuAttribution:
    """Each EU member's share of the EU institutions' aid (eu_aid_shares.csv), and the institutions'
    value in the window against their total over the whole release."""

    shares: dict[str, Decimal]
    eu_value: Decimal
    eu_whole: Decimal

    @classmethod
    def of(cls, user: Actor | None, ds: Dataset, cells: dict[Any, Cell]) -> _EuAttribution:
        """Read the shares; the EU institutions' own cell is taken out of `cells` (its aid is
        attributed to the members, each of which gets a cell)."""
        assert ds.release is not None
        shares = dict(
            KielEuShare.objects.restrict(user, "view")
            .filter(release=ds.release)
            .values_list("participant__code", "eu_share_bn")
        )
        if not shares:
            raise InvalidInput(
                f"Release {ds.release.number} publishes no eu_aid_shares.csv.", field="with_eu_share"
            )
        eu_cell = cells.pop("EU", ZERO_CELL)
        eu_whole = sum(
            (c.value for c in ds.contributions if c.donor == "EU" and c.column == FlowType.TOTAL), Decimal(0)
        )
        for code in shares:
            cells.setdefault(code, ZERO_CELL)
        return cls(shares=shares, eu_value=eu_cell.value or Decimal(0), eu_whole=eu_whole)

    def share_of(self, code: str) -> Decimal | None:
        """The member's attributed share of the EU institutions' value in the window."""
        if code not in self.shares or not self.eu_whole:
            return None
        return (self.shares[code] * self.eu_value / self.eu_whole).quantize(
            Decimal(1).scaleb(-BILLION_PLACES)
        )


def _donor_row(
    code: str,
    cell: Cell,
    people: dict[str, Any],
    gdp: dict[str, Decimal],
    eu: _EuAttribution | None,
    *,
    per_gdp: bool,
) -> dict[str, Any] | None:
    """One donor's row of the ranking (None: no GDP to rank it by)."""
    p = people.get(code)
    row: dict[str, Any] = {
        "participant": code,
        "name": p.name if p else code,
        "kind": p.kind if p else "",
        "value_eur_bn": cell.shown,
        "suppressed": cell.suppressed,
    }
    value_cell = cell
    if eu is not None:
        share = eu.share_of(code)
        row["eu_share_bn"] = share
        combined = None if cell.suppressed else (cell.value or Decimal(0)) + (share or Decimal(0))
        row["value_with_eu_share_bn"] = combined
        value_cell = Cell(value=combined, suppressed=cell.suppressed)
    if per_gdp:
        g = gdp.get(code)
        if not g:
            return None  # no GDP (the EU institutions): not ranked by share of GDP
        row["gdp_eur_bn"] = g
        row["pct_gdp"] = ratio(value_cell, Cell(value=g), scale=100).value
        if eu is not None:
            row["bilateral_pct_gdp"] = ratio(cell, Cell(value=g), scale=100).value
    return row


def _ranked(rows: list[dict[str, Any]], sort_key: str) -> list[dict[str, Any]]:
    """Rows with a value ranked by it (descending), then the withheld ones (rank None) by code."""
    shown = sorted(
        (r for r in rows if r.get(sort_key) is not None), key=lambda r: (-r[sort_key], r["participant"])
    )
    withheld = sorted((r for r in rows if r.get(sort_key) is None), key=lambda r: r["participant"])
    for rank, r in enumerate(shown, start=1):
        r["rank"] = rank
    for r in withheld:
        r["rank"] = None
    return shown + withheld


def group_members() -> dict[str, set[str]]:
    """The participant codes of each reported group."""
    people = _participants()
    eu27 = set(
        ParticipantGroup.objects.filter(code="eu27")
        .values_list("members__code", flat=True)
        .exclude(members__code=None)
    )
    continental = eu27 | set(CONTINENTAL_EXTRA)
    return {
        "allies": {c for c, p in people.items() if p.kind == ParticipantKind.ALLY},
        "partners": {c for c, p in people.items() if p.kind == ParticipantKind.PARTNER},
        "organisations": {c for c, p in people.items() if p.kind == ParticipantKind.ORGANISATION},
        "eu27": eu27,
        "continental_europe": continental,
        "continental_europe_with_eu": continental | {"EU"},
        "usa": {"USA"},
    }


@cached_report
def groups_report(
    *, user: Actor | None, source: str = "tracker", public: bool = False, release: int | None = None
) -> dict[str, Any]:
    """Aid by group of donors and type, and each group's share of all donors' military aid."""
    ds = dataset(user=user, source=source, public=public, release=release)
    columns = ("military", "financial", "humanitarian", "total")
    everyone = {
        col: ds.cell(
            ("groups", "all_donors", col),
            aggregate_cell(
                (c for c in ds.contributions if c.column == col), always_protect=ds.always_protect
            ),
        )
        for col in columns
    }
    members = group_members()
    groups = []
    for code, label in GROUPS:
        codes = members[code]
        cells = {
            col: ds.cell(
                ("groups", code, col),
                aggregate_cell(
                    (c for c in ds.contributions if c.column == col and c.donor in codes),
                    always_protect=ds.always_protect,
                ),
            )
            for col in columns
        }
        cells["share_of_military"] = ratio(cells["military"], everyone["military"])
        row = _row_cells({"group": code, "label": label, "members": sorted(codes)}, cells)
        groups.append(row)
    all_row = _row_cells({"group": "all_donors", "label": "All donors"}, dict(everyone))
    return {**ds.meta, "groups": groups, "all_donors": all_row}


@cached_report
def weapons_report(
    *, user: Actor | None, source: str = "tracker", public: bool = False, release: int | None = None
) -> dict[str, Any]:
    """Heavy weapons by category and donor: how many, and their value (EUR and EUR billion)."""
    ds = dataset(user=user, source=source, public=public, release=release)
    people = _participants()
    models: dict[tuple[str, str], list[dict[str, Any]]] = {}
    contributions: list[Contribution] = []
    if ds.source == "tracker":
        assert ds.release is not None
        weapons = KielWeapons.objects.restrict(user, "view").filter(release=ds.release)
        for pk, code, category, count, value_eur, listed in weapons.values_list(
            "pk", "participant__code", "category", "count", "value_eur", "models_list"
        ):
            contributions.append(Contribution(pk, code, "count", Decimal(count), category=category))
            contributions.append(Contribution(pk, code, "value_eur", value_eur, category=category))
            models[(category, code)] = listed
    else:
        contributions = ds.weapons
    protect = ds.always_protect
    by_pair = aggregate(contributions, lambda c: (c.category, c.donor, c.column), always_protect=protect)
    by_category = aggregate(contributions, lambda c: (c.category, c.column), always_protect=protect)
    by_donor = aggregate(contributions, lambda c: (c.donor, c.column), always_protect=protect)
    by_pair = {k: ds.cell(("weapons", "pair", *k), v) for k, v in by_pair.items()}  # type: ignore[misc]  # Hashable keys are tuples
    by_category = {k: ds.cell(("weapons", "category", *k), v) for k, v in by_category.items()}  # type: ignore[misc]  # Hashable keys are tuples
    by_donor = {k: ds.cell(("weapons", "donor", *k), v) for k, v in by_donor.items()}  # type: ignore[misc]  # Hashable keys are tuples

    def figures(cells: dict[Any, Cell], key: tuple[str, ...], head: dict[str, Any]) -> dict[str, Any]:
        count = cells.get((*key, "count"), ZERO_CELL)
        value = cells.get((*key, "value_eur"), ZERO_CELL)
        in_bn = Cell(
            value=None if value.value is None else value.value.scaleb(-9), suppressed=value.suppressed
        )
        row = _row_cells(head, {"count": count, "value_eur": value, "value_eur_bn": in_bn})
        row["count"] = None if row["count"] is None else int(row["count"])
        return row

    def name(code: str) -> str:
        p = people.get(code)
        return p.name if p else code

    rows = []
    for category, code in sorted({(k[0], k[1]) for k in by_pair}):  # type: ignore[index]  # Hashable keys are tuples
        row = figures(
            by_pair, (category, code), {"category": category, "participant": code, "name": name(code)}
        )
        row["models"] = [] if row["suppressed"] else models.get((category, code), [])
        rows.append(row)
    rows.sort(key=lambda r: (r["category"], r["value_eur"] is None, -(r["value_eur"] or 0), r["participant"]))
    categories = [
        figures(by_category, (category,), {"category": category})
        for category in sorted({k[0] for k in by_category})  # type: ignore[index]  # Hashable keys are tuples
    ]
    donors = [
        figures(by_donor, (code,), {"participant": code, "name": name(code)})
        for code in {k[0] for k in by_donor}  # type: ignore[index]  # Hashable keys are tuples
    ]
    donors.sort(key=lambda r: (r["value_eur"] is None, -(r["value_eur"] or 0), r["participant"]))
    return {**ds.meta, "rows": rows, "by_category": categories, "by_donor": donors}
