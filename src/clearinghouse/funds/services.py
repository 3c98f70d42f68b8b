"""Fund services: GDP series, burden keys, funds, opt-outs and contributions. The only code that writes."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal, InvalidOperation
from importlib import resources
from typing import Any, cast

from django.db import transaction

from clearinghouse.catalog.models import CapabilityArea
from clearinghouse.core import audit, cleaning, clock, fx, money
from clearinghouse.core.actors import Actor, is_signed_in, signed_in
from clearinghouse.core.choices import Releasability
from clearinghouse.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from clearinghouse.funds.choices import (
    CREDITABLE_PLEDGE_STATUSES,
    CREDITABLE_UNDER,
    BurdenKeyKind,
    ContributionKind,
    InKindCredit,
    ShortfallPolicy,
)
from clearinghouse.funds.models import (
    BurdenKey,
    BurdenKeyVersion,
    BurdenKeyWeight,
    Contribution,
    Disbursement,
    Fund,
    FundOptOut,
    FundYear,
    GdpFigure,
)
from clearinghouse.funds.shares import ShareError, ShareTable, compute_shares
from clearinghouse.governance import services as governance_services
from clearinghouse.governance.models import Decision
from clearinghouse.packages import attribution as package_attribution
from clearinghouse.packages import services as package_services
from clearinghouse.packages.models import Package
from clearinghouse.participants import cleaning as participant_cleaning
from clearinghouse.participants.models import Participant, ParticipantGroup
from clearinghouse.pledges.choices import PledgeKind
from clearinghouse.pledges.models import Delivery, Pledge

CENT = money.CENT
MAX_RATE = Decimal(10) ** (money.RATE_DIGITS - money.RATE_PLACES) - Decimal(1).scaleb(-money.RATE_PLACES)
RESERVED_SLUGS = {"keys", "gdp", "new"}
FINANCE_ROLES = ("finance_officer",)


# --- input helpers (every failure names its field) -----------------------------------------------


def _require_finance(actor: Actor, what: str) -> None:
    if not is_signed_in(actor) or not actor.has_role(*FINANCE_ROLES):
        raise PermissionDenied(f"Only finance officers and admins can {what}.")


def parse_decimal(value: Any, *, field: str) -> Decimal:
    """A non-negative decimal (a key weight)."""
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{value!r} is not a number.", field=field) from None
    if not d.is_finite() or d < 0:
        raise InvalidInput(f"{field} must be a non-negative number.", field=field)
    if d >= Decimal("1e8") or d != d.quantize(Decimal("1e-10"), rounding=ROUND_DOWN):
        raise InvalidInput(f"{field} must have at most 8 digits before and 10 after the point.", field=field)
    return d


def _currency(code: Any, *, field: str) -> str:
    return fx.validate_currency(str(code or ""), field=field)


def _releasability(value: Any, *, field: str = "releasability") -> str:
    return cleaning.choice(value, field, Releasability)


def _convert(
    amount: Decimal, currency: str, fund: Fund, on: dt.date, *, field: str = "amount"
) -> fx.Conversion:
    conversion = fx.convert(
        amount,
        currency,
        fund.currency,
        on,
        rounding=ROUND_HALF_EVEN,
        field="currency",
        date_field="value_date",
    )
    if conversion.rate > MAX_RATE:
        raise InvalidInput(
            f"The rate {conversion.rate} {fund.currency} per {currency} is beyond what the system keeps.",
            field="currency",
        )
    money.check_derived(conversion.converted, field, f"the amount in {fund.currency}")
    return conversion


def _fund_for_write(actor: Actor, slug: str, what: str) -> Fund:
    """The fund (locked), NotFound if the actor cannot see it, PermissionDenied if they cannot write."""
    fund = Fund.objects.restrict(actor, "view").select_for_update().filter(slug=slug).first()
    if fund is None:
        raise NotFound("Fund not found.")
    _require_finance(actor, what)
    return cast("Fund", fund)


# --- GDP series and burden keys -------------------------------------------------------------------


def gdp_rows() -> list[dict[str, str]]:
    """The shipped GDP series (src/clearinghouse/funds/data/gdp.csv)."""
    text = resources.files("clearinghouse.funds").joinpath("data", "gdp.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def load_gdp_series(*, actor: Actor | None = None) -> dict[str, int]:
    """Create or update the GDP figures from the shipped file; idempotent (no event when unchanged)."""
    created = updated = 0
    with transaction.atomic():
        for row in gdp_rows():
            participant = Participant.objects.filter(code=row["participant"]).first()
            if participant is None:
                raise InvalidInput(
                    f"gdp.csv names unknown participant {row['participant']}.", field="participant"
                )
            values = {"gdp_eur_bn": Decimal(row["gdp_eur_bn"]), "source": row["source"]}
            fig = GdpFigure.objects.filter(participant=participant, year=int(row["year"])).first()
            if fig is None:
                fig = GdpFigure.objects.create(participant=participant, year=int(row["year"]), **values)
                audit.record(actor=actor, action="create", obj=fig, after=audit.snapshot(fig))
                created += 1
                continue
            before = audit.snapshot(fig)
            for k, v in values.items():
                setattr(fig, k, v)
            if audit.snapshot(fig) != before:
                fig.save()
                audit.record(actor=actor, action="update", obj=fig, before=before, after=audit.snapshot(fig))
                updated += 1
    return {"created": created, "updated": updated}


def create_key_version(
    *,
    actor: Actor,
    key: str,
    effective_year: int,
    kind: str,
    name: str = "",
    gdp_year: int | None = None,
    weights: Mapping[str, Any] | None = None,
    source: str = "",
    notes: str = "",
) -> BurdenKeyVersion:
    """Add a version of a burden key (creating the key on first use): GDP of a year, or fixed weights."""
    _require_finance(actor, "define burden keys")
    code = (key or "").strip().lower()
    if not code or not code.replace("-", "").replace("_", "").isalnum() or len(code) > 60:
        raise InvalidInput("A key code is a slug (letters, digits, hyphens).", field="key")
    effective_year = cleaning.integer(effective_year, "effective_year", minimum=1900, maximum=2200)
    if kind not in BurdenKeyKind.values:
        raise InvalidInput(f"Unknown key kind {kind!r}; use gdp or fixed.", field="kind")
    entries: dict[Participant, tuple[Decimal, str]] = {}
    if kind == BurdenKeyKind.GDP:
        if gdp_year is None:
            raise InvalidInput("A GDP key names the GDP year.", field="gdp_year")
        gdp_year = cleaning.integer(gdp_year, "gdp_year", minimum=1900, maximum=2200)
        if weights:
            raise InvalidInput("A GDP key takes its weights from the GDP series.", field="weights")
        figures = GdpFigure.objects.select_related("participant").filter(year=gdp_year)
        if not figures:
            raise InvalidInput(f"No GDP figures for {gdp_year}.", field="gdp_year")
        for f in figures:
            entries[f.participant] = (f.gdp_eur_bn, f"GDP {gdp_year}, EUR bn: {f.source}")
        source = source or f"GDP {gdp_year} in EUR billion (shipped GDP series)"
    else:
        if gdp_year is not None:
            raise InvalidInput("A fixed key has no GDP year.", field="gdp_year")
        if not weights:
            raise InvalidInput("A fixed key needs its table of weights (percentages).", field="weights")
        for pcode, value in weights.items():
            participant = participant_cleaning.participant(pcode, f"weights.{pcode}")
            entries[participant] = (parse_decimal(value, field=f"weights.{pcode}"), source)
        if sum(w for w, _ in entries.values()) <= 0:
            raise InvalidInput("The weights sum to zero.", field="weights")
    with transaction.atomic():
        burden_key = BurdenKey.objects.filter(code=code).first()
        if burden_key is None:
            burden_key = BurdenKey.objects.create(code=code, name=name or code)
            audit.record(actor=actor, action="create", obj=burden_key, after=audit.snapshot(burden_key))
        if BurdenKeyVersion.objects.filter(key=burden_key, effective_year=effective_year).exists():
            raise Conflict(f"Key {code} already has a version effective from {effective_year}.")
        version = BurdenKeyVersion.objects.create(
            key=burden_key,
            effective_year=effective_year,
            kind=kind,
            gdp_year=gdp_year if kind == BurdenKeyKind.GDP else None,
            source=source[:300],
            notes=notes,
        )
        BurdenKeyWeight.objects.bulk_create(
            [
                BurdenKeyWeight(version=version, participant=p, weight=w, source=s[:300])
                for p, (w, s) in sorted(entries.items(), key=lambda e: e[0].code)
            ]
        )
        after = audit.snapshot(version)
        after["weights"] = {p.code: w for p, (w, _) in sorted(entries.items(), key=lambda e: e[0].code)}
        audit.record(actor=actor, action="create", obj=version, after=after)
    return version


def key_version_for(burden_key: BurdenKey, year: int) -> BurdenKeyVersion | None:
    """The version of a key in force in `year` (the latest taking effect in or before it)."""
    return burden_key.versions.filter(effective_year__lte=year).order_by("-effective_year").first()


def version_weights(version: BurdenKeyVersion) -> dict[str, Decimal]:
    return dict(version.weights.values_list("participant__code", "weight"))


# --- funds ----------------------------------------------------------------------------------------


def split_evenly(total: Decimal, years: list[int], currency: str | None = None) -> dict[int, Decimal]:
    """The target in equal yearly parts to the minor unit (cent, or whole yen, krónur, won); leftover
    units go to the earliest years."""
    quantum = money.unit(currency)
    units_total = int(total / quantum)
    base, extra = divmod(units_total, len(years))
    return {
        y: (Decimal(base + (1 if i < extra else 0)) * quantum).quantize(CENT) for i, y in enumerate(years)
    }


def _check_key_covers(burden_key: BurdenKey, members: list[str], years: Iterable[int]) -> None:
    for y in years:
        version = key_version_for(burden_key, y)
        if version is None:
            raise InvalidInput(f"Key {burden_key.code} has no version in force in {y}.", field="burden_key")
        weights = version_weights(version)
        missing = [m for m in members if m not in weights]
        if missing:
            raise InvalidInput(
                f"Key {burden_key.code} ({version.effective_year}) has no weight for {', '.join(missing)}.",
                field="burden_key",
            )


def _rules(data: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    kinds = data.get("counts_kinds")
    kinds = list(PledgeKind.values) if kinds is None else list(kinds)
    bad = [k for k in kinds if k not in PledgeKind.values]
    if bad:
        raise InvalidInput(f"Unknown pledge kind {bad[0]!r}; use in_kind or financial.", field="counts_kinds")
    caps = [str(c).strip().lower() for c in (data.get("counts_capabilities") or [])]
    if caps:
        known = set(CapabilityArea.objects.filter(code__in=caps).values_list("code", flat=True))
        unknown = [c for c in caps if c not in known]
        if unknown:
            raise InvalidInput(f"Unknown capability area {unknown[0]!r}.", field="counts_capabilities")
    return sorted(set(kinds)), sorted(set(caps))


def create_fund(*, actor: Actor, data: Mapping[str, Any]) -> Fund:
    """Create a fund with its yearly targets (split evenly unless `yearly_targets` is given)."""
    _require_finance(actor, "create funds")
    slug = str(data.get("slug") or "").strip().lower()
    if not slug or not slug.replace("-", "").isalnum() or len(slug) > 60 or slug in RESERVED_SLUGS:
        raise InvalidInput(
            "The slug must be letters, digits and hyphens (and not a reserved word).", field="slug"
        )
    name = str(data.get("name") or "").strip()
    if not name:
        raise InvalidInput("A fund needs a name.", field="name")
    currency = _currency(data.get("currency"), field="currency")
    target = cleaning.money(data.get("target_amount"), "target_amount", currency=currency)
    first_year = cleaning.integer(data.get("first_year"), "first_year", minimum=1990, maximum=2200)
    years = cleaning.integer(data.get("years"), "years", minimum=1, maximum=50)
    policy = data.get("shortfall_policy") or ShortfallPolicy.REDISTRIBUTE
    if policy not in ShortfallPolicy.values:
        raise InvalidInput(f"Unknown shortfall policy {policy!r}.", field="shortfall_policy")
    in_kind_credit = data.get("in_kind_credit") or InKindCredit.AT_DELIVERY
    if in_kind_credit not in InKindCredit.values:
        raise InvalidInput(
            f"in_kind_credit: {in_kind_credit!r} is not one of {', '.join(InKindCredit.values)}",
            field="in_kind_credit",
        )
    kinds, caps = _rules(data)
    group = ParticipantGroup.objects.filter(code=str(data.get("group") or "")).first()
    if group is None:
        raise InvalidInput(f"Unknown participant group {data.get('group')!r}.", field="group")
    burden_key = BurdenKey.objects.filter(code=str(data.get("burden_key") or "")).first()
    if burden_key is None:
        raise InvalidInput(f"Unknown burden key {data.get('burden_key')!r}.", field="burden_key")
    year_list = list(range(first_year, first_year + years))
    schedule = data.get("yearly_targets")
    if schedule:
        targets: dict[int, Decimal] = {}
        for i, row in enumerate(schedule):
            y = cleaning.integer(
                row.get("year"), f"yearly_targets.{i}.year", minimum=first_year, maximum=year_list[-1]
            )
            if y in targets:
                raise InvalidInput(f"Year {y} is scheduled twice.", field=f"yearly_targets.{i}.year")
            targets[y] = cleaning.money(
                row.get("target"), f"yearly_targets.{i}.target", positive=False, currency=currency
            )
        if sorted(targets) != year_list:
            raise InvalidInput(
                "The schedule must give a target for every year of the fund.", field="yearly_targets"
            )
        if sum(targets.values()) != target:
            raise InvalidInput(
                f"The yearly targets sum to {sum(targets.values())}, not the target {target}.",
                field="yearly_targets",
            )
    else:
        targets = split_evenly(target, year_list, currency)
    members = sorted(group.members.values_list("code", flat=True))
    if not members:
        raise InvalidInput(f"Group {group.code} has no members.", field="group")
    _check_key_covers(burden_key, members, year_list)
    with transaction.atomic():
        if Fund.objects.filter(slug=slug).exists():
            raise Conflict(f"A fund with slug {slug!r} exists already.")
        fund = Fund.objects.create(
            slug=slug,
            name=name,
            target_amount=target,
            currency=currency,
            first_year=first_year,
            years=years,
            group=group,
            burden_key=burden_key,
            shortfall_policy=policy,
            in_kind_credit=in_kind_credit,
            counts_kinds=kinds,
            counts_capabilities=caps,
            notes=str(data.get("notes") or ""),
        )
        FundYear.objects.bulk_create(
            [FundYear(fund=fund, year=y, target=t) for y, t in sorted(targets.items())]
        )
        after = audit.snapshot(fund)
        after["yearly_targets"] = {str(y): t for y, t in sorted(targets.items())}
        audit.record(actor=actor, action="create", obj=fund, after=after)
    return fund


UPDATABLE = ("name", "notes", "shortfall_policy", "counts_kinds", "counts_capabilities")


def update_fund(*, actor: Actor, slug: str, changes: Mapping[str, Any]) -> Fund:
    """Change a fund's name, notes, shortfall policy or crediting rule; no change, no event."""
    unknown = [k for k in changes if k not in UPDATABLE]
    if unknown:
        raise InvalidInput(f"{unknown[0]} cannot be changed.", field=unknown[0])
    with transaction.atomic():
        fund = _fund_for_write(actor, slug, "change funds")
        before = audit.snapshot(fund)
        if "name" in changes:
            name = str(changes["name"] or "").strip()
            if not name:
                raise InvalidInput("A fund needs a name.", field="name")
            fund.name = name
        if "notes" in changes:
            fund.notes = str(changes["notes"] or "")
        if "shortfall_policy" in changes:
            if changes["shortfall_policy"] not in ShortfallPolicy.values:
                raise InvalidInput(
                    f"Unknown shortfall policy {changes['shortfall_policy']!r}.", field="shortfall_policy"
                )
            fund.shortfall_policy = changes["shortfall_policy"]
        if "counts_kinds" in changes or "counts_capabilities" in changes:
            kinds, caps = _rules(
                {
                    "counts_kinds": changes.get("counts_kinds", fund.counts_kinds),
                    "counts_capabilities": changes.get("counts_capabilities", fund.counts_capabilities),
                }
            )
            fund.counts_kinds, fund.counts_capabilities = kinds, caps
        after = audit.snapshot(fund)
        if after != before:
            fund.save()
            audit.record(actor=actor, action="update", obj=fund, before=before, after=after)
    return fund


def _granting_decision(fund: Fund, member: Participant, decision: Any) -> Decision:
    """The decision an opt-out cites (required): adopted, and exempting `member` from this fund (its
    `exempt` position on the fund's decision, or a decision on this opt-out naming it)."""
    if cleaning.blank(decision):
        raise InvalidInput(
            f"decision: required — an opt-out cites the adopted decision that exempted {member.code} "
            f"from {fund.slug} (its `exempt` position on the fund's decision, or a decision on the opt-out)",
            field="decision",
        )
    decision_id = cleaning.integer(decision, "decision", minimum=1)
    found = Decision.objects.filter(pk=decision_id).first()
    if found is None:
        raise InvalidInput(f"decision: no decision {decision_id}", field="decision")
    if not governance_services.grants_opt_out(found, participant=member, fund_slug=fund.slug):
        raise InvalidInput(
            f"decision: decision {decision_id} is not an adopted decision exempting {member.code} "
            f"from {fund.slug}",
            field="decision",
        )
    return cast("Decision", found)


def opt_out(
    *, actor: Actor, slug: str, participant: str, reason: str = "", decision: Any = None
) -> FundOptOut:
    """Record a member's constructive abstention from a fund, citing the decision that granted it."""
    with transaction.atomic():
        fund = _fund_for_write(actor, slug, "record opt-outs")
        member = participant_cleaning.participant(participant, "participant")
        granted_by = _granting_decision(fund, member, decision)
        if not fund.group.members.filter(pk=member.pk).exists():
            raise InvalidInput(f"{member.code} is not a member of {fund.group.code}.", field="participant")
        if FundOptOut.objects.filter(fund=fund, participant=member).exists():
            raise Conflict(f"{member.code} has already opted out of {fund.slug}.")
        members = list(fund.group.members.values_list("code", flat=True))
        out = set(FundOptOut.objects.filter(fund=fund).values_list("participant__code", flat=True))
        out.add(member.code)
        if fund.shortfall_policy == ShortfallPolicy.REDISTRIBUTE:
            # Someone has to pay: refuse the opt-out that would leave no paying weight.
            for y in fund.year_range:
                version = key_version_for(fund.burden_key, y)
                if version is None:
                    continue
                try:
                    compute_shares(
                        version_weights(version), members=members, opted_out=out, policy=fund.shortfall_policy
                    )
                except ShareError as exc:
                    raise Conflict(f"Opt-out refused: {exc}.") from None
        record = FundOptOut.objects.create(
            fund=fund, participant=member, reason=reason[:300], decision=granted_by
        )
        audit.record(actor=actor, action="create", obj=record, after=audit.snapshot(record))
    return record


def cancel_opt_out(*, actor: Actor, slug: str, participant: str) -> None:
    """Withdraw a member's opt-out: it owes its key share again."""
    with transaction.atomic():
        fund = _fund_for_write(actor, slug, "withdraw opt-outs")
        record = FundOptOut.objects.filter(fund=fund, participant__code=str(participant).upper()).first()
        if record is None:
            raise NotFound(f"{participant} has not opted out of {fund.slug}.")
        before = audit.snapshot(record)
        record_id = record.pk
        record.delete()
        audit.record(
            actor=actor, action="delete", object_type="funds.fundoptout", object_id=record_id, before=before
        )


# --- contributions --------------------------------------------------------------------------------


def _member_of(fund: Fund, participant: Participant, field: str) -> None:
    if not fund.group.members.filter(pk=participant.pk).exists():
        raise InvalidInput(
            f"{participant.code} is not a member of {fund.group.code}, "
            "the group that contributes to this fund.",
            field=field,
        )


def _credit_year(fund: Fund, year: Any, value_date: dt.date) -> int:
    if year is None or year == "":
        if value_date.year not in fund.year_range:
            raise InvalidInput(
                f"The value date {value_date} is outside the fund's years "
                f"{fund.first_year}–{fund.last_year}; "
                "name the fund year credited.",
                field="year",
            )
        return value_date.year
    return cleaning.integer(year, "year", minimum=fund.first_year, maximum=fund.last_year)


def _contribution_after(c: Contribution) -> dict[str, Any]:
    after = audit.snapshot(c)
    after["releasable_to"] = sorted(c.releasable_to.values_list("code", flat=True))
    return after


def _set_releasable_to(c: Contribution, codes: Iterable[str]) -> None:
    participants = [participant_cleaning.participant(code, "releasable_to") for code in codes]
    c.releasable_to.set(participants)


def in_force() -> Any:
    """Contributions in force: not reversals, and not reversed (a subquery, not an outer join, so that
    the rows can be locked FOR UPDATE on PostgreSQL)."""
    reversed_ids = Contribution.objects.filter(reverses__isnull=False).values("reverses_id")
    return Contribution.objects.filter(reverses__isnull=True).exclude(pk__in=reversed_ids)


def share_tables(fund: Fund) -> dict[int, ShareTable]:
    """The shares in force in every year of the fund (one computation per key version)."""
    members = sorted(fund.group.members.values_list("code", flat=True))
    out = set(FundOptOut.objects.filter(fund=fund).values_list("participant__code", flat=True))
    by_version: dict[int, ShareTable] = {}
    tables: dict[int, ShareTable] = {}
    for y in fund.year_range:
        version = key_version_for(fund.burden_key, y)
        if version is None:
            raise InvalidInput(
                f"Key {fund.burden_key.code} has no version in force in {y}.", field="burden_key"
            )
        if version.pk not in by_version:
            try:
                by_version[version.pk] = compute_shares(
                    version_weights(version), members=members, opted_out=out, policy=fund.shortfall_policy
                )
            except ShareError as exc:
                raise InvalidInput(f"Shares of {fund.slug} in {y}: {exc}.", field="burden_key") from None
        tables[y] = by_version[version.pk]
    return tables


def whole_fund_fair_share(fund: Fund, participant: str) -> Decimal:
    """A member's fair share of the whole fund: its share times the target, summed over every year."""
    targets = dict(FundYear.objects.filter(fund=fund).values_list("year", "target"))
    tables = share_tables(fund)
    total = Decimal(0)
    for y, target in targets.items():
        try:
            share = tables[y].share_of(participant)
        except KeyError:
            continue
        total += (share * target).quantize(CENT, rounding=ROUND_HALF_EVEN)
    return total


def _not_opted_out(fund: Fund, member: Participant, field: str) -> None:
    opt_out_record = FundOptOut.objects.filter(fund=fund, participant=member).first()
    if opt_out_record is not None:
        why = f" ({opt_out_record.reason})" if opt_out_record.reason else ""
        raise InvalidInput(
            f"{member.code} has opted out of {fund.slug}{why}: an opted-out member owes nothing and its "
            "contributions are not recorded. Withdraw the opt-out first if it now contributes.",
            field=field,
        )


class NeedsConfirmation(InvalidInput):
    """A contribution larger than the member's fair share of the whole fund, not confirmed (422)."""


@dataclass(frozen=True)
class Preview:
    """A contribution checked and converted, before it is recorded (the page's confirmation step)."""

    fund: Fund
    member: Participant
    amount: Decimal
    currency: str
    value_date: dt.date
    year: int
    conversion: fx.Conversion
    fair_share: Decimal
    reference: str

    @property
    def stale(self) -> bool:
        return fx.is_stale(self.conversion.rate_date, self.value_date)

    @property
    def outlier(self) -> bool:
        """Larger than the member's fair share of the whole fund: a typo until confirmed."""
        return self.conversion.converted > self.fair_share


def _outlier_message(p: Preview, what: str) -> str:
    c = p.conversion
    return (
        f"{what} of {p.amount:,.2f} {p.currency} = {c.converted:,.2f} {p.fund.currency} "
        f"(ECB rate {c.rate} of {c.rate_date}) is larger than {p.member.code}'s fair share of the whole fund "
        f"({p.fair_share:,.2f} {p.fund.currency}). Check the amount and the currency; if it is right, "
        "confirm it."
    )


def _check_outlier(p: Preview, confirm: bool, what: str, field: str) -> None:
    if p.outlier and not confirm:
        raise NeedsConfirmation(_outlier_message(p, what), field=field)


def _lock_member(member: Participant) -> None:
    # Serialises writers of one member's contributions (PostgreSQL; SQLite's IMMEDIATE already does),
    # so that "a payment is credited once among the entries in force" holds without a constraint.
    Participant.objects.select_for_update().filter(pk=member.pk).first()


def _prepare_cash(fund: Fund, data: Mapping[str, Any], today: dt.date) -> Preview:
    member = participant_cleaning.participant(data.get("participant"), "participant")
    _member_of(fund, member, "participant")
    _not_opted_out(fund, member, "participant")
    currency = _currency(data.get("currency"), field="currency")
    amount = cleaning.money(data.get("amount"), "amount", currency=currency)
    value_date = cleaning.date(data.get("value_date"), "value_date")
    if value_date > today:
        raise InvalidInput(f"The value date {value_date} is in the future.", field="value_date")
    year = _credit_year(fund, data.get("year"), value_date)
    reference = str(data.get("reference") or "").strip()
    if len(reference) > 100:
        raise InvalidInput("The reference is at most 100 characters.", field="reference")
    conversion = _convert(amount, currency, fund, value_date)
    return Preview(
        fund=fund,
        member=member,
        amount=amount,
        currency=currency,
        value_date=value_date,
        year=year,
        conversion=conversion,
        fair_share=whole_fund_fair_share(fund, member.code),
        reference=reference,
    )


def preview_cash_contribution(
    *, actor: Actor, slug: str, data: Mapping[str, Any], today: dt.date | None = None
) -> Preview:
    """Check and convert a cash contribution without recording it (what the confirmation step shows)."""
    fund = Fund.objects.restrict(actor, "view").filter(slug=slug).first()
    if fund is None:
        raise NotFound("Fund not found.")
    _require_finance(actor, "record contributions")
    return _prepare_cash(fund, data, today or clock.today())


def record_cash_contribution(
    *,
    actor: Actor,
    slug: str,
    data: Mapping[str, Any],
    confirm: bool = False,
    today: dt.date | None = None,
) -> Contribution:
    """Credit a cash payment to a fund, converted at the ECB rate of its value date; one larger than
    the member's fair share of the whole fund only when confirmed."""
    today = today or clock.today()
    with transaction.atomic():
        fund = _fund_for_write(actor, slug, "record contributions")
        p = _prepare_cash(fund, data, today)
        _check_outlier(p, confirm or bool(data.get("confirm")), "This contribution", "confirm")
        releasability = _releasability(data.get("releasability") or Releasability.COORDINATION)
        _lock_member(p.member)
        if p.reference:
            earlier = (
                in_force()
                .filter(owner=p.member, kind=ContributionKind.CASH, reference=p.reference)
                .select_related("fund")
                .first()
            )
            if earlier is not None:
                raise Conflict(
                    f"Payment {p.reference} of {p.member.code} is already credited "
                    f"(contribution {earlier.pk} to {earlier.fund.slug})."
                )
        contribution = Contribution.objects.create(
            fund=fund,
            owner=p.member,
            releasability=releasability,
            kind=ContributionKind.CASH,
            year=p.year,
            amount=p.amount,
            currency=p.currency,
            value_date=p.value_date,
            converted_amount=p.conversion.converted,
            fx_rate=p.conversion.rate,
            fx_date=p.conversion.rate_date,
            reference=p.reference,
            notes=str(data.get("notes") or ""),
            created_by=signed_in(actor),
        )
        _set_releasable_to(contribution, data.get("releasable_to") or [])
        after = _contribution_after(contribution)
        if p.outlier:
            after["confirmed_above_fair_share"] = p.fair_share
        audit.record(actor=actor, action="create", obj=contribution, after=after)
    return contribution


def _last_delivery(pledge: Pledge) -> dt.date | None:
    """The day of the pledge's last recorded delivery, if any."""
    last: dt.date | None = (
        Delivery.objects.filter(allocation__pledge=pledge)
        .order_by("-delivered_on")
        .values_list("delivered_on", flat=True)
        .first()
    )
    return last


def _check_creditable(fund: Fund, pledge: Pledge) -> None:
    """The fund's rule decides which statuses are credited: delivered (at_delivery) or firm."""
    pk = pledge.pk
    if pledge.status not in CREDITABLE_UNDER[fund.in_kind_credit]:
        if fund.in_kind_credit == InKindCredit.AT_DELIVERY and pledge.status in CREDITABLE_PLEDGE_STATUSES:
            raise Conflict(
                f"Pledge {pk} is {pledge.status}; {fund.slug} credits pledges at delivery: "
                "only a delivered pledge is credited."
            )
        raise Conflict(
            f"Pledge {pk} is {pledge.status}; only committed, in-delivery or delivered pledges are credited."
        )


def _credit_date(fund: Fund, pledge: Pledge, value_date: Any, today: dt.date) -> dt.date:
    """The credit's value date: the one given, else (at delivery) the pledge's last delivery, else its
    value date (or today when that is still to come)."""
    if value_date is not None and value_date != "":
        on = cleaning.date(value_date, "value_date")
        if on > today:
            raise InvalidInput(f"The value date {on} is in the future.", field="value_date")
        return on
    fallback = pledge.available_from if pledge.available_from and pledge.available_from <= today else today
    if fund.in_kind_credit == InKindCredit.AT_DELIVERY:
        # A financial pledge, or one without recorded deliveries: its value date.
        last = _last_delivery(pledge)
        return min(last, today) if last is not None else fallback
    return fallback


def credit_pledge(
    *,
    actor: Actor,
    slug: str,
    pledge_id: Any,
    year: Any = None,
    value_date: Any = None,
    releasability: str | None = None,
    notes: str = "",
    confirm: bool = False,
    today: dt.date | None = None,
) -> Contribution:
    """Credit a committed or delivered pledge to a fund at its valuation; a pledge is credited once
    (among the entries in force), and one worth more than the member's fair share only when confirmed."""
    today = today or clock.today()
    with transaction.atomic():
        fund = _fund_for_write(actor, slug, "credit pledges")
        try:
            pk = int(str(pledge_id))
        except (TypeError, ValueError):
            raise InvalidInput(f"{pledge_id!r} is not a pledge id.", field="pledge_id") from None
        if not -(2**63) < pk < 2**63 or not Pledge.objects.restrict(actor, "view").filter(pk=pk).exists():
            raise InvalidInput(f"No pledge {pk}.", field="pledge_id")
        # Lock the plain row: PostgreSQL refuses FOR UPDATE with DISTINCT (restrict) or outer joins.
        pledge = Pledge.objects.select_for_update().get(pk=pk)
        earlier = in_force().filter(pledge=pledge).select_related("fund").first()
        if earlier is not None:
            raise Conflict(
                f"Pledge {pk} is already credited to {earlier.fund.slug} (contribution {earlier.pk}); "
                "a pledge is credited once."
            )
        _check_creditable(fund, pledge)
        if pledge.kind not in fund.counts_kinds:
            raise InvalidInput(f"{pledge.kind} pledges do not count toward {fund.slug}.", field="pledge_id")
        if package_attribution.backing_pledge_ids().filter(pledge_id=pledge.pk).exists():
            # The implementer of a package is not credited for what its funders paid (packages/attribution).
            raise InvalidInput(
                f"Pledge {pk} delivers a package's schedule: the package's funders are credited, "
                "not its implementer.",
                field="pledge_id",
            )
        if fund.counts_capabilities and pledge.item_type is not None:
            area = pledge.item_type.capability.code
            if area not in fund.counts_capabilities:
                raise InvalidInput(
                    f"Capability area {area} does not count toward {fund.slug}.", field="pledge_id"
                )
        _member_of(fund, pledge.owner, "pledge_id")
        _not_opted_out(fund, pledge.owner, "pledge_id")
        amount = pledge.value_amount
        if amount is None or amount <= 0:
            raise InvalidInput(f"Pledge {pk} has no valuation.", field="pledge_id")
        on = _credit_date(fund, pledge, value_date, today)
        credit_year = _credit_year(fund, year, on)
        conversion = _convert(Decimal(amount), pledge.currency, fund, on, field="pledge_id")
        p = Preview(
            fund=fund,
            member=pledge.owner,
            amount=Decimal(amount),
            currency=pledge.currency,
            value_date=on,
            year=credit_year,
            conversion=conversion,
            fair_share=whole_fund_fair_share(fund, pledge.owner.code),
            reference=pledge.external_ref or "",
        )
        _check_outlier(p, confirm, f"Pledge {pk}", "confirm")
        contribution = Contribution.objects.create(
            fund=fund,
            owner=pledge.owner,
            releasability=_releasability(releasability or pledge.releasability),
            kind=ContributionKind.IN_KIND,
            pledge=pledge,
            year=credit_year,
            amount=Decimal(amount),
            currency=pledge.currency,
            value_date=on,
            converted_amount=conversion.converted,
            fx_rate=conversion.rate,
            fx_date=conversion.rate_date,
            reference=pledge.external_ref or "",
            notes=notes,
            created_by=signed_in(actor),
        )
        if releasability is None:
            contribution.releasable_to.set(pledge.releasable_to.all())
        after = _contribution_after(contribution)
        if p.outlier:
            after["confirmed_above_fair_share"] = p.fair_share
        audit.record(actor=actor, action="create", obj=contribution, after=after)
    return contribution


# --- corrections: reversal entries -------------------------------------------------------------


def _reverse(original: Contribution, *, actor: Actor, reason: str, on: dt.date) -> Contribution:
    """The reversal entry of `original` (already locked and in force), value-dated `on`, audited."""
    entry = Contribution.objects.create(
        fund=original.fund,
        owner=original.owner,
        releasability=original.releasability,
        kind=original.kind,
        pledge=original.pledge,
        year=original.year,
        amount=-original.amount,
        currency=original.currency,
        value_date=max(on, original.value_date),
        converted_amount=-original.converted_amount,
        fx_rate=original.fx_rate,
        fx_date=original.fx_date,
        reference=original.reference,
        reverses=original,
        reason=reason,
        created_by=actor if is_signed_in(actor) else None,
    )
    entry.releasable_to.set(original.releasable_to.all())
    audit.record(actor=actor, action="reverse", obj=entry, after=_contribution_after(entry))
    return entry


def reverse_contribution(
    *, actor: Actor, slug: str | None, contribution_id: Any, reason: str
) -> Contribution:
    """Correct a contribution by a reversal entry; the original is kept unchanged and both are shown.

    The reversal carries the original's value date: the entry was wrong from the start, so a status as
    of any date shows the corrected figures (the audit chain keeps when each entry was made). A
    reversal is never reversed itself: record the right contribution anew instead."""
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise InvalidInput("Give the reason for the reversal.", field="reason")
    if len(reason) > 500:
        raise InvalidInput("The reason is at most 500 characters.", field="reason")
    try:
        pk = int(str(contribution_id))
    except (TypeError, ValueError):
        raise NotFound("Contribution not found.") from None
    if not -(2**63) < pk < 2**63:
        raise NotFound("Contribution not found.")
    visible = Contribution.objects.restrict(actor, "view")
    if slug is None:  # the command line names the contribution only
        slug = visible.filter(pk=pk).values_list("fund__slug", flat=True).first()
        if slug is None:
            raise NotFound("Contribution not found.")
    with transaction.atomic():
        fund = _fund_for_write(actor, slug, "reverse contributions")
        if not visible.filter(fund=fund, pk=pk).exists():
            raise NotFound("Contribution not found.")
        original = Contribution.objects.select_for_update().get(pk=pk)
        if original.reverses_id is not None:
            raise Conflict(
                f"Contribution {pk} is itself the reversal of {original.reverses_id}; "
                "record the right contribution anew instead."
            )
        done = Contribution.objects.filter(reverses=original).first()
        if done is not None:
            raise Conflict(f"Contribution {pk} is already reversed (by {done.pk}).")
        return _reverse(original, actor=actor, reason=reason, on=original.value_date)


def follow_pledge(sender: Any, *, pledge: Any, actor: Actor, **kwargs: Any) -> None:
    """Credit follows the pledge (receiver of `pledges.signals.pledge_changed`, in its transaction).

    A credited pledge that is no longer committed, in delivery or delivered (withdrawn, declined) has
    its credit reversed from the day of that change (it counted until then); one whose valuation
    changed has its credit reversed and credited again at the new valuation, both at the credit's
    value date (the valuation is restated). Each entry is audited with the pledge's reason.
    """
    today = clock.today()
    for credit in in_force().filter(pledge_id=pledge.pk).select_for_update().order_by("pk"):
        if pledge.status not in CREDITABLE_PLEDGE_STATUSES:
            _reverse(credit, actor=actor, reason=f"pledge {pledge.pk} {pledge.status}", on=today)
            continue
        if (pledge.value_amount, pledge.currency) == (credit.amount, credit.currency):
            continue
        _reverse(credit, actor=actor, reason=f"pledge {pledge.pk} re-valued", on=credit.value_date)
        conversion = _convert(Decimal(pledge.value_amount), pledge.currency, credit.fund, credit.value_date)
        again = Contribution.objects.create(
            fund=credit.fund,
            owner=credit.owner,
            releasability=credit.releasability,
            kind=ContributionKind.IN_KIND,
            pledge_id=pledge.pk,
            year=credit.year,
            amount=Decimal(pledge.value_amount),
            currency=pledge.currency,
            value_date=credit.value_date,
            converted_amount=conversion.converted,
            fx_rate=conversion.rate,
            fx_date=conversion.rate_date,
            reference=credit.reference,
            notes=f"pledge {pledge.pk} re-valued; replaces contribution {credit.pk}",
            created_by=actor if is_signed_in(actor) else None,
        )
        again.releasable_to.set(credit.releasable_to.all())
        audit.record(actor=actor, action="create", obj=again, after=_contribution_after(again))


# --- disbursements: what the fund spends ----------------------------------------------------------


def cash_in(fund: Fund, on: dt.date) -> Decimal:
    """Cash the fund received up to `on` (reversals included), in the fund's currency."""
    rows = Contribution.objects.filter(fund=fund, kind=ContributionKind.CASH, value_date__lte=on)
    return sum(rows.values_list("converted_amount", flat=True), Decimal(0))


def cash_out(fund: Fund, on: dt.date) -> Decimal:
    """What the fund disbursed up to `on`, in the fund's currency."""
    rows = Disbursement.objects.filter(fund=fund, value_date__lte=on)
    return sum(rows.values_list("converted_amount", flat=True), Decimal(0))


def balance(fund: Fund, on: dt.date) -> Decimal:
    """The fund's cash balance at the end of `on`: sources minus uses up to that day."""
    return cash_in(fund, on) - cash_out(fund, on)


def available(fund: Fund, on: dt.date) -> Decimal:
    """What can be disbursed on `on` without the balance going below zero then or at any later
    disbursement already recorded (the least balance from `on` on)."""
    later = set(
        Disbursement.objects.filter(fund=fund, value_date__gt=on).values_list("value_date", flat=True)
    )
    return min(balance(fund, day) for day in {on, *later})


def disburse(*, actor: Actor, slug: str, data: Mapping[str, Any]) -> Disbursement:
    """Pay from the fund to a package (finance officers): converted to the fund's currency at the ECB
    rate of the value date; refused (409) beyond the fund's balance at that date. The payment becomes
    a funder line of the package."""
    cleaning.check_fields(dict(data), ("package", "amount", "currency", "value_date", "notes"))
    with transaction.atomic():
        fund = _fund_for_write(actor, slug, "disburse from a fund")
        package_id = cleaning.integer(data.get("package"), "package")
        if not Package.objects.restrict(actor, "view").filter(pk=package_id).exists():
            raise NotFound("Package not found.", field="package")
        currency = _currency(data.get("currency"), field="currency")
        amount = cleaning.money(data.get("amount"), "amount", currency=currency)
        value_date = cleaning.date(data.get("value_date"), "value_date")
        if value_date > clock.today():
            raise InvalidInput(f"value_date: {value_date} is in the future", field="value_date")
        conversion = _convert(amount, currency, fund, value_date)
        # Lock the fund's books: two disbursements at once must not both spend the same balance.
        list(Disbursement.objects.select_for_update().filter(fund=fund))
        left = available(fund, value_date)
        if conversion.converted > left:
            raise Conflict(
                f"amount: {money.money_text(conversion.converted, fund.currency)} {fund.currency} exceeds "
                f"the fund's balance of {money.money_text(left, fund.currency)} {fund.currency} "
                f"on {value_date}",
                field="amount",
            )
        funder = package_services.add_fund_funder(
            actor=actor,
            package_id=package_id,
            fund=fund.slug,
            amount=amount,
            currency=currency,
            value_date=value_date,
        )
        disbursement = Disbursement.objects.create(
            fund=fund,
            package_id=package_id,
            funder=funder,
            amount=amount,
            currency=currency,
            value_date=value_date,
            converted_amount=conversion.converted,
            fx_rate=conversion.rate,
            fx_date=conversion.rate_date,
            notes=cleaning.text(data.get("notes"), "notes", max_length=10_000),
            created_by=signed_in(actor),
        )
        audit.record(
            actor=actor,
            action="create",
            obj=disbursement,
            after={
                "fund": fund.slug,
                "package": package_id,
                "amount": str(amount),
                "currency": currency,
                "value_date": value_date.isoformat(),
                "converted_amount": str(conversion.converted),
                "fx_rate": str(conversion.rate),
            },
        )
    return disbursement
