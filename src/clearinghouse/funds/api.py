"""API routes of the funds app: funds, burden keys, status and shares, opt-outs and contributions."""

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from clearinghouse.core.errors import InvalidInput
from clearinghouse.core.pagination import LimitOffsetPagination
from clearinghouse.core.schemas import ErrorOut
from clearinghouse.core.validation import Date, Id, Year
from clearinghouse.funds import selectors, services
from clearinghouse.funds.choices import ContributionKind
from clearinghouse.funds.models import BurdenKey, BurdenKeyVersion, Contribution, Fund, FundOptOut
from clearinghouse.funds.schemas import (
    CashIn,
    ContributionOut,
    DisbursementIn,
    DisbursementOut,
    FlowsOut,
    FundIn,
    FundOut,
    FundPatch,
    GdpOut,
    KeyOut,
    KeyVersionIn,
    KeyVersionOut,
    OptOutIn,
    OptOutOut,
    PledgeCreditIn,
    ReversalIn,
    SharesOut,
    StatusOut,
    jsonable_status,
    shares_dict,
    status_dict,
)

router = Router(tags=["funds"])
# Burden keys and the GDP series sit beside the funds, not under /funds: a path such as
# /funds/keys would also be the fund whose slug is "keys".
keys_router = Router(tags=["funds"])
gdp_router = Router(tags=["funds"])

ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _key_out(key: BurdenKey, versions: Iterable[BurdenKeyVersion]) -> dict[str, Any]:
    return {
        "code": key.code,
        "name": key.name,
        "description": key.description,
        "versions": [_version_out(v) for v in versions],
    }


def _version_out(v: BurdenKeyVersion) -> dict[str, Any]:
    return {
        "effective_year": v.effective_year,
        "kind": v.kind,
        "gdp_year": v.gdp_year,
        "source": v.source,
        "notes": v.notes,
        "weights": [
            {
                "participant": w.participant.code,
                "weight": format(w.weight.normalize(), "f"),
                "source": w.source,
            }
            for w in v.weights.all()
        ],
    }


@router.get("", response=list[FundOut])
@paginate(LimitOffsetPagination)
def list_funds(request: HttpRequest) -> QuerySet[Fund]:
    """Funds, by first year."""
    return selectors.fund_list(user=request.user).prefetch_related("year_targets", "opt_outs__participant")


@router.post("", response={201: FundOut, **ERRORS})
def create_fund(request: HttpRequest, payload: FundIn) -> Status[Any]:
    """Create a fund (finance officers); the target is split evenly unless a yearly schedule is given."""
    data = payload.dict()
    if payload.yearly_targets is not None:
        data["yearly_targets"] = [t.dict() for t in payload.yearly_targets]
    return Status(201, services.create_fund(actor=request.user, data=data))


@keys_router.get("", response=list[KeyOut])
@paginate(LimitOffsetPagination)
def list_keys(request: HttpRequest) -> list[dict[str, Any]]:
    """Burden keys with every version and its weights (GDP in EUR bn, or percentages)."""
    return [
        _key_out(k, selectors.key_versions(user=request.user, key=k))
        for k in selectors.key_list(user=request.user)
    ]


@keys_router.post("", response={201: KeyVersionOut, **ERRORS})
def create_key_version(request: HttpRequest, payload: KeyVersionIn) -> Status[Any]:
    """Add a burden-key version taking effect in a year: GDP of a year, or a fixed table (finance)."""
    version = services.create_key_version(
        actor=request.user,
        key=payload.key,
        name=payload.name,
        effective_year=payload.effective_year,
        kind=payload.kind,
        gdp_year=payload.gdp_year,
        weights=payload.weights,
        source=payload.source,
        notes=payload.notes,
    )
    return Status(201, _version_out(version))


@keys_router.get("/{code}", response={200: KeyOut, 404: ErrorOut})
def get_key(request: HttpRequest, code: str) -> dict[str, Any]:
    """One burden key with its versions."""
    key = selectors.get_key(user=request.user, code=code)
    return _key_out(key, selectors.key_versions(user=request.user, key=key))


@gdp_router.get("", response=list[GdpOut])
@paginate(LimitOffsetPagination)
def list_gdp(request: HttpRequest, year: Year | None = None) -> list[dict[str, Any]]:
    """The shipped GDP series (EUR billion) with the source of every figure."""
    return [
        {
            "participant": g.participant.code,
            "year": g.year,
            "gdp_eur_bn": str(g.gdp_eur_bn),
            "source": g.source,
        }
        for g in selectors.gdp_series(user=request.user, year=year)
    ]


@router.get("/{slug}", response={200: FundOut, 404: ErrorOut})
def get_fund(request: HttpRequest, slug: str) -> Fund:
    """One fund with its yearly targets and opt-outs."""
    return selectors.get_fund(user=request.user, slug=slug)


@router.patch("/{slug}", response={200: FundOut, **ERRORS})
def update_fund(request: HttpRequest, slug: str, payload: FundPatch) -> Fund:
    """Change a fund's name, notes, shortfall policy or crediting rule (finance officers)."""
    return services.update_fund(actor=request.user, slug=slug, changes=payload.dict(exclude_unset=True))


@router.get("/{slug}/status", response={200: StatusOut, 404: ErrorOut, 422: ErrorOut}, by_alias=True)
def fund_status(request: HttpRequest, slug: str, year: Year | None = None, as_of: Date | None = None) -> Any:
    """Compliance of every member (fair share, credited, gap, met %), cumulative to date or for `year`;
    the fund's totals and progress over the years; predictability and slippage. Amounts are decimal
    strings in the fund's currency. `as_of` sets "today": credit counts from its value date (a
    correction is restated from the corrected entry's value date); a past date only for readers who
    see every contribution.
    Cash and in kind count the contributions releasable to you; `credited_not_releasable` the rest."""
    fund = selectors.get_fund(user=request.user, slug=slug)
    status = selectors.status_of(fund, year=year, as_of=as_of, user=request.user)
    return jsonable_status(status_dict(fund, status))


@router.get("/{slug}/shares", response={200: SharesOut, 404: ErrorOut, 422: ErrorOut})
def fund_shares(request: HttpRequest, slug: str, year: Year | None = None) -> dict[str, Any]:
    """Shares in force in a year (default the first): weight, exact value, rounded share and adjustment."""
    fund = selectors.get_fund(user=request.user, slug=slug)
    y = fund.first_year if year is None else year
    tables = selectors.share_tables(fund)
    if y not in tables:
        raise InvalidInput(f"The fund runs from {fund.first_year} to {fund.last_year}.", field="year")
    return shares_dict(fund, y, tables[y])


@router.get("/{slug}/opt-outs", response={200: list[OptOutOut], 404: ErrorOut})
def list_opt_outs(request: HttpRequest, slug: str) -> list[FundOptOut]:
    """Members that opted out of the fund (constructive abstention)."""
    fund = selectors.get_fund(user=request.user, slug=slug)
    return list(selectors.opt_outs(user=request.user, fund=fund))


@router.post("/{slug}/opt-outs", response={201: OptOutOut, **ERRORS})
def create_opt_out(request: HttpRequest, slug: str, payload: OptOutIn) -> Status[Any]:
    """Record a member's opt-out (finance officers); the fund's shortfall policy applies."""
    return Status(
        201,
        services.opt_out(
            actor=request.user,
            slug=slug,
            participant=payload.participant,
            reason=payload.reason,
            decision=payload.decision,
        ),
    )


@router.delete("/{slug}/opt-outs/{participant}", response={204: None, **ERRORS})
def delete_opt_out(request: HttpRequest, slug: str, participant: str) -> Status[Any]:
    """Withdraw a member's opt-out (finance officers)."""
    services.cancel_opt_out(actor=request.user, slug=slug, participant=participant)
    return Status(204, None)


@router.get("/{slug}/contributions", response={200: list[ContributionOut], 404: ErrorOut})
@paginate(LimitOffsetPagination)
def list_contributions(
    request: HttpRequest,
    slug: str,
    participant: str | None = None,
    year: Year | None = None,
    kind: ContributionKind | None = None,
) -> QuerySet[Contribution]:
    """The fund's contributions that are releasable to you, reversal entries included (compliance
    figures show every member's totals)."""
    fund = selectors.get_fund(user=request.user, slug=slug)
    return selectors.contribution_list(
        user=request.user, fund=fund, participant=participant, year=year, kind=kind
    )


@router.post("/{slug}/contributions", response={201: ContributionOut, **ERRORS})
def create_contribution(request: HttpRequest, slug: str, payload: CashIn) -> Status[Any]:
    """Record a cash contribution (finance officers), converted at the ECB rate of its value date. One
    larger than the member's fair share of the whole fund is refused (422, field `confirm`) unless
    `"confirm": true`; a member that opted out cannot contribute."""
    return Status(201, services.record_cash_contribution(actor=request.user, slug=slug, data=payload.dict()))


@router.get("/{slug}/contributions/{contribution_id}", response={200: ContributionOut, 404: ErrorOut})
def get_contribution(request: HttpRequest, slug: str, contribution_id: Id) -> Contribution:
    """One contribution, if releasable to you."""
    fund = selectors.get_fund(user=request.user, slug=slug)
    return selectors.get_contribution(user=request.user, fund=fund, contribution_id=contribution_id)


@router.post("/{slug}/pledge-credits", response={201: ContributionOut, **ERRORS})
def credit_pledge(request: HttpRequest, slug: str, payload: PledgeCreditIn) -> Status[Any]:
    """Credit a committed or delivered pledge at its valuation (finance officers); once across all funds."""
    return Status(
        201,
        services.credit_pledge(
            actor=request.user,
            slug=slug,
            pledge_id=payload.pledge_id,
            year=payload.year,
            value_date=payload.value_date,
            releasability=payload.releasability,
            notes=payload.notes,
            confirm=payload.confirm,
        ),
    )


@router.post("/{slug}/contributions/{contribution_id}/reversal", response={201: ContributionOut, **ERRORS})
def reverse_contribution(
    request: HttpRequest, slug: str, contribution_id: int, payload: ReversalIn
) -> Status[Any]:
    """Correct a contribution by a reversal entry (finance officers): the original stays as it was,
    both are listed, and the reversal carries the original's value date, so the compliance figures
    count neither, at any date."""
    entry = services.reverse_contribution(
        actor=request.user, slug=slug, contribution_id=contribution_id, reason=payload.reason
    )
    return Status(201, entry)


@router.get("/{slug}/disbursements", response={200: FlowsOut, 404: ErrorOut})
def fund_flows(request: HttpRequest, slug: str, as_of: Date | None = None) -> dict[str, Any]:
    """Sources (cash contributions) and uses (disbursements to packages) over time, and the balance."""
    fund = selectors.get_fund(user=request.user, slug=slug)
    return selectors.fund_flows(user=request.user, fund=fund, as_of=as_of)


@router.post("/{slug}/disbursements", response={201: DisbursementOut, **ERRORS})
def disburse(request: HttpRequest, slug: str, payload: DisbursementIn) -> Status[Any]:
    """Pay from the fund to a package (finance officers), converted at the ECB rate of the value date;
    more than the fund's balance at that date is a 409. The payment becomes a funder of the package."""
    d = services.disburse(actor=request.user, slug=slug, data=payload.dict())
    return Status(201, selectors.disbursement_dict(d))
