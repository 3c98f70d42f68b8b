"""A participant's country page (/participants/<code>/): the participant page of the participants
app with, below it, that participant's pledges, deliveries, standing in each fund and its profile in
the Kiel tracker, each read through its own app's selectors (what the viewer may see)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from clearinghouse.core.errors import DomainError
from clearinghouse.funds import selectors as fund_selectors
from clearinghouse.participants import selectors as participant_selectors
from clearinghouse.pledges import selectors as pledge_selectors
from clearinghouse.reports import selectors as report_selectors

PLEDGES_SHOWN = 20
DELIVERIES_SHOWN = 20


def fund_standing(user: Any, code: str) -> list[dict[str, Any]]:
    """The participant's line in every fund the user sees where it is a member: fair share,
    credited, gap, share met, in arrears."""
    out = []
    for fund in fund_selectors.fund_list(user=user):
        try:
            status = fund_selectors.status_of(fund, user=user)
        except DomainError:
            continue
        line = next((m for m in status.members if m.participant == code), None)
        if line is None:
            continue
        out.append(
            {
                "fund": fund,
                "line": line,
                "in_arrears": code in status.arrears,
                "url": reverse("fund-detail", args=[fund.slug]),
            }
        )
    return out


def kiel_profile(user: Any, code: str) -> dict[str, Any] | None:
    """The participant's figures in the current Kiel release, like the tracker's donor profiles: its
    value and rank for each type of aid, and the total as a share of its GDP (None without a release
    or when it is not a donor there)."""
    rows: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    try:
        for kind in ("total", "military", "financial", "humanitarian"):
            report = report_selectors.donors_report(user=user, type=kind, per_gdp=False)
            meta = meta or report
            rows[kind] = next((r for r in report["donors"] if r["participant"] == code), None)
        per_gdp = report_selectors.donors_report(user=user, type="total", per_gdp=True)
    except DomainError:
        return None
    if all(r is None for r in rows.values()):
        return None
    gdp_row = next((r for r in per_gdp["donors"] if r["participant"] == code), None)
    return {
        "release": meta.get("release"),
        "types": [(kind, rows[kind]) for kind in ("total", "military", "financial", "humanitarian")],
        "pct_gdp": gdp_row.get("pct_gdp") if gdp_row else None,
        "gdp_rank": gdp_row.get("rank") if gdp_row else None,
        "donors": len(meta.get("donors", [])),
    }


@login_required
def country_page(request: HttpRequest, code: str) -> HttpResponse:
    """One participant: who it is (kind, groups, mandates), and what it gives: pledges, deliveries,
    fund standing and its Kiel profile, as far as you may see them."""
    user = request.user
    participant = participant_selectors.get_participant(user=user, code=code)
    pledges = pledge_selectors.pledge_list(user=user, donor=participant.code)
    totals = pledge_selectors.totals(pledges)
    deliveries = list(
        pledge_selectors.delivery_list(user=user)
        .filter(allocation__pledge__owner=participant)
        .select_related("allocation__pledge__item_type")
        .order_by("-delivered_on", "-id")[:DELIVERIES_SHOWN]
    )
    return render(
        request,
        "reports/country.html",
        {
            "participant": participant,
            "groups": participant.groups.all(),
            "mandates": participant_selectors.mandate_list(user=user).filter(participant=participant),
            "pledges": list(pledges[:PLEDGES_SHOWN]),
            "pledge_totals": totals,
            "pledges_url": reverse("pledge-list") + f"?donor={participant.code}",
            "deliveries": deliveries,
            "delivered_units": sum((d.quantity for d in deliveries), 0),
            "funds": fund_standing(user, participant.code),
            "kiel": kiel_profile(user, participant.code),
            "zero": Decimal(0),
            "crumbs": [
                ("Participants", reverse("participant-list")),
                (participant.name, None),
            ],
        },
    )
