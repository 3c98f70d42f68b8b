"""Pages of the funds app: funds, a fund's compliance, shares, contributions, keys; forms to record."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from clearinghouse.core import clock
from clearinghouse.core.actors import Actor, is_signed_in
from clearinghouse.core.errors import DomainError, InvalidInput, NotFound
from clearinghouse.core.forms import without_field
from clearinghouse.core.pages import act
from clearinghouse.funds import selectors, services
from clearinghouse.funds.choices import ContributionKind
from clearinghouse.funds.forms import (
    CashContributionForm,
    FundForm,
    KeyVersionForm,
    PledgeCreditForm,
    ReversalForm,
)
from clearinghouse.funds.models import Fund
from clearinghouse.funds.schemas import status_dict


def _fund(request: HttpRequest, slug: str) -> Fund:
    return selectors.get_fund(user=request.user, slug=slug)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _can_write(user: Actor) -> bool:
    return is_signed_in(user) and user.has_role(*services.FINANCE_ROLES)


@login_required
def fund_list(request: HttpRequest) -> HttpResponse:
    """Funds with their target and what has been credited so far."""
    rows = []
    for fund in selectors.fund_list(user=request.user):
        try:
            status = selectors.status_of(fund, user=request.user)
        except DomainError:
            status = None
        rows.append((fund, status))
    return render(request, "funds/fund_list.html", {"rows": rows, "can_write": _can_write(request.user)})


def number(value: Decimal | None) -> float | None:
    """A chart's number: only for drawing on the page (the data itself is never a float)."""
    return None if value is None else float(value)


def _chart_data(data: dict[str, Any]) -> dict[str, Any]:
    members = [m for m in data["members"] if not m["opted_out"] or m["credited"]]
    return {
        "labels": [m["participant"] for m in members],
        "fair_share": [number(m["fair_share"]) for m in members],
        "credited_cash": [number(m["credited_cash"]) for m in members],
        "credited_in_kind": [number(m["credited_in_kind"]) for m in members],
        "credited_not_releasable": [number(m["credited_not_releasable"]) for m in members],
        "years": [y["year"] for y in data["years"]],
        "year_target": [number(y["target"]) for y in data["years"]],
        "year_credited": [number(y["credited"]) for y in data["years"]],
        "cumulative_target": [number(y["cumulative_target"]) for y in data["years"]],
        # Nothing is credited in years still to come: the line stops at the current year.
        "cumulative_credited": [
            None if y["state"] == "future" else number(y["cumulative_credited"]) for y in data["years"]
        ],
        "currency": data["currency"],
    }


@login_required
def fund_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A fund's compliance table, chart of fair share against credited, progress, forecast, slippage."""
    fund = _fund(request, slug)
    year = _int(request.GET.get("year"))
    if year is not None and year not in fund.year_range:
        year = None
    status = selectors.status_of(fund, year=year, user=request.user)
    data = status_dict(fund, status)
    context = {
        "fund": fund,
        "data": data,
        "status": status,
        "year": year,
        "years": list(fund.year_range),
        "chart": _chart_data(data),
        "opt_outs": selectors.opt_outs(user=request.user, fund=fund).select_related("participant"),
        "can_write": _can_write(request.user),
        "paying": [m["participant"] for m in data["members"] if not m["opted_out"]],
        "share_sum": sum((m["share"] for m in data["members"]), Decimal(0)),
        "flows": selectors.fund_flows(user=request.user, fund=fund),
    }
    return render(request, "funds/fund_detail.html", context)


@login_required
def fund_shares(request: HttpRequest, slug: str) -> HttpResponse:
    """The shares in force in a year: key weight, exact share, rounded share and the adjustment."""
    fund = _fund(request, slug)
    tables = selectors.share_tables(fund)
    year = _int(request.GET.get("year"))
    if year not in tables:
        year = fund.first_year
    table = tables[year]
    version = services.key_version_for(fund.burden_key, year)
    return render(
        request,
        "funds/fund_shares.html",
        {"fund": fund, "table": table, "year": year, "years": list(fund.year_range), "version": version},
    )


@login_required
def fund_contributions(request: HttpRequest, slug: str) -> HttpResponse:
    """The fund's contributions releasable to you, filterable by member, year and kind."""
    fund = _fund(request, slug)
    kind = request.GET.get("kind") or None
    if kind not in (None, *ContributionKind.values):
        kind = None
    qs = selectors.contribution_list(
        user=request.user,
        fund=fund,
        participant=request.GET.get("participant") or None,
        year=_int(request.GET.get("year")),
        kind=kind,
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "funds/contribution_list.html",
        {
            "fund": fund,
            "page": page,
            "kinds": ContributionKind.choices,
            "kind": kind,
            "years": list(fund.year_range),
            "can_write": _can_write(request.user),
        },
    )


def _apply_error(form: Form, exc: DomainError) -> None:
    """A service's refusal beside the field it names (`weights.DEU` beside `weights`), else on top."""
    name = (exc.field or "").split(".")[0]
    field = name if name in form.fields else None
    form.add_error(field, without_field(exc.message, exc.field) if field else exc.message)


@login_required
@require_http_methods(["GET", "POST"])
def fund_create(request: HttpRequest) -> HttpResponse:
    """Create a fund (finance officers and admins): the same service as `POST /api/v1/funds` and
    `clearinghouse fund create`; each refusal is shown beside its field."""
    if not _can_write(request.user):
        raise DjangoPermissionDenied
    form = FundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            fund = services.create_fund(actor=request.user, data=form.data_for_service())
        except DomainError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, f"Fund {fund.name} created.")
            return redirect(reverse("fund-detail", args=[fund.slug]))
    context = {
        "form": form,
        "title": "New fund",
        "intro": "The target is split evenly over the years and shared out by the burden key over the "
        "contributing group's members; the key must have a version in force for every year.",
        "button": "Create fund",
        "cancel_url": reverse("fund-list"),
    }
    return render(request, "core/form_page.html", context, status=422 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def key_create(request: HttpRequest) -> HttpResponse:
    """Add a burden key version (creating the key with its first one; finance officers and admins):
    GDP of a year, or a fixed table of weights. The same service as `POST /api/v1/burden-keys`."""
    if not _can_write(request.user):
        raise DjangoPermissionDenied
    form = KeyVersionForm(request.POST or None, initial={"key": request.GET.get("key", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            version = services.create_key_version(
                actor=request.user,
                key=data["key"],
                name=data["name"],
                effective_year=data["effective_year"],
                kind=data["kind"],
                gdp_year=data["gdp_year"],
                weights=data["weights"] or None,
                source=data["source"],
                notes=data["notes"],
            )
        except DomainError as exc:
            _apply_error(form, exc)
        else:
            messages.success(
                request, f"Burden key {version.key.code}: version from {version.effective_year} added."
            )
            return redirect(reverse("burden-key-detail", args=[version.key.code]))
    context = {
        "form": form,
        "title": "New burden key version",
        "intro": "A version holds from its year until the next one; earlier versions and the shares "
        "computed with them stay as they were.",
        "button": "Add version",
        "cancel_url": reverse("fund-list"),
    }
    return render(request, "core/form_page.html", context, status=422 if form.errors else 200)


@login_required
@require_POST
def fund_opt_out(request: HttpRequest, slug: str) -> HttpResponse:
    """Record a member's opt-out from the fund page (finance officers), citing the adopted decision
    that granted it; any refusal (no decision, one that grants nothing) is shown on the page."""
    fund = _fund(request, slug)
    if not _can_write(request.user):
        raise DjangoPermissionDenied
    return act(
        request,
        lambda: services.opt_out(
            actor=request.user,
            slug=fund.slug,
            participant=request.POST.get("participant", ""),
            reason=request.POST.get("reason", ""),
            decision=request.POST.get("decision", ""),
        ),
        done="Opt-out recorded.",
        default=reverse("fund-detail", args=[fund.slug]),
    )


@login_required
@require_POST
def fund_opt_out_cancel(request: HttpRequest, slug: str) -> HttpResponse:
    """Withdraw a member's opt-out from the fund page (finance officers): it owes its key share again
    (the same service as `DELETE /api/v1/funds/{slug}/opt-outs/{participant}`)."""
    fund = _fund(request, slug)
    if not _can_write(request.user):
        raise DjangoPermissionDenied
    participant = request.POST.get("participant", "")

    def withdraw() -> None:
        try:
            services.cancel_opt_out(actor=request.user, slug=fund.slug, participant=participant)
        except NotFound as exc:  # the fund is visible: a member without an opt-out is a message
            raise InvalidInput(exc.message, field="participant") from exc

    return act(
        request,
        withdraw,
        done=f"Opt-out of {participant} withdrawn: it owes its key share again.",
        default=reverse("fund-detail", args=[fund.slug]),
    )


@login_required
@require_http_methods(["GET", "POST"])
def fund_contribute(request: HttpRequest, slug: str) -> HttpResponse:
    """Record a cash contribution (finance officers and admins) in two steps: the preview shows the
    conversion with its ECB rate and rate date (stale or not) and the member's fair share; recording
    one larger than that fair share needs the confirmation box ticked."""
    fund = _fund(request, slug)
    if not _can_write(request.user):
        raise DjangoPermissionDenied
    form = CashContributionForm(request.POST or None, fund=fund, initial={"value_date": clock.today()})
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            preview = services.preview_cash_contribution(actor=request.user, slug=fund.slug, data=data)
            if request.POST.get("step") == "record":
                c = services.record_cash_contribution(
                    actor=request.user, slug=fund.slug, data=data, confirm=bool(data.get("confirm"))
                )
                messages.success(
                    request,
                    f"Recorded {c.owner.code} {c.amount:,.2f} {c.currency} = {c.converted_amount:,.2f} "
                    f"{fund.currency} at {c.fx_rate} (ECB {c.fx_date}), credited to {c.year}.",
                )
                return redirect(reverse("fund-contributions", args=[fund.slug]))
        except DomainError as exc:
            _apply_error(form, exc)
    return render(
        request,
        "funds/contribute.html",
        {"fund": fund, "form": form, "title": "Record a cash contribution", "preview": preview},
    )


@login_required
@require_http_methods(["GET", "POST"])
def fund_credit_pledge(request: HttpRequest, slug: str) -> HttpResponse:
    """Credit a committed or delivered pledge in kind (finance officers and admins)."""
    fund = _fund(request, slug)
    if not _can_write(request.user):
        raise DjangoPermissionDenied
    form = PledgeCreditForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            c = services.credit_pledge(
                actor=request.user,
                slug=fund.slug,
                pledge_id=form.cleaned_data["pledge_id"],
                year=form.cleaned_data["year"],
                value_date=form.cleaned_data["value_date"],
                confirm=bool(form.cleaned_data.get("confirm")),
            )
        except DomainError as exc:
            _apply_error(form, exc)
        else:
            messages.success(
                request,
                f"Pledge {form.cleaned_data['pledge_id']} of {c.owner.code} credited: {c.amount:,.2f} "
                f"{c.currency} = {c.converted_amount:,.2f} {fund.currency}, year {c.year}.",
            )
            return redirect(reverse("fund-contributions", args=[fund.slug]))
    return render(
        request, "funds/contribute.html", {"fund": fund, "form": form, "title": "Credit a pledge in kind"}
    )


@login_required
@require_http_methods(["GET", "POST"])
def fund_reverse_contribution(request: HttpRequest, slug: str, contribution_id: int) -> HttpResponse:
    """Correct a contribution by a reversal entry (finance officers and admins): the reason is required,
    the original stays as it was, and both are listed."""
    fund = _fund(request, slug)
    if not _can_write(request.user):
        raise DjangoPermissionDenied
    original = selectors.get_contribution(user=request.user, fund=fund, contribution_id=contribution_id)
    form = ReversalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.reverse_contribution(
                actor=request.user,
                slug=fund.slug,
                contribution_id=original.pk,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            _apply_error(form, exc)
        else:
            messages.success(
                request,
                f"Contribution {original.pk} reversed by {entry.pk}: {entry.amount:,.2f} {entry.currency} "
                f"from {entry.value_date}.",
            )
            return redirect(reverse("fund-contributions", args=[fund.slug]))
    return render(request, "funds/reverse.html", {"fund": fund, "c": original, "form": form})


@login_required
def burden_key_detail(request: HttpRequest, code: str) -> HttpResponse:
    """A burden key's versions and weights, each with its source."""
    key = selectors.get_key(user=request.user, code=code)
    versions = list(selectors.key_versions(user=request.user, key=key))
    totals = {v.pk: sum((w.weight for w in v.weights.all()), Decimal(0)) for v in versions}
    return render(
        request,
        "funds/key_detail.html",
        {
            "key": key,
            "versions": [(v, totals[v.pk]) for v in versions],
            "funds": key.funds.all(),
            "can_write": _can_write(request.user),
        },
    )
