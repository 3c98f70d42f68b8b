"""Pages: the transparency dashboard (signed in) and the public transparency page (anyone)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from clearinghouse.core.actors import Actor
from clearinghouse.core.errors import DomainError, NotFound
from clearinghouse.reports import citation, exports, iati, selectors
from clearinghouse.reports.filenames import export_name
from clearinghouse.tracker.models import KielRelease

TOP_DONORS = 15
SHORT_GROUP_LABELS = {
    "allies": "Allies",
    "partners": "Partners",
    "organisations": "EU institutions",
    "eu27": "EU27",
    "continental_europe": "Continental Europe",
    "continental_europe_with_eu": "Cont. Europe + EU inst.",
    "usa": "United States",
}
TOP_WEAPON_DONORS = 8


def _timeline(totals: dict[str, Any]) -> dict[str, Any]:
    """Monthly series for the chart, with the months nobody recorded anything filled in as zero."""
    by_period = {r["period"]: r for r in totals["rows"]}
    labels: list[str] = []
    if by_period:
        first, last = min(by_period), max(by_period)
        year, month = int(first[:4]), int(first[5:])
        while f"{year}-{month:02d}" <= last:
            labels.append(f"{year}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    empty = {t: Decimal(0) for t in ("military", "financial", "humanitarian")}
    return {
        "labels": labels,
        **{
            t: [by_period.get(p, empty)[t] for p in labels] for t in ("military", "financial", "humanitarian")
        },
    }


def _ranking(donors: dict[str, Any], key: str, limit: int = TOP_DONORS) -> dict[str, Any]:
    ranked = [d for d in donors["donors"] if d.get(key) is not None][:limit]
    return {
        "labels": [d["name"] for d in ranked],
        "codes": [d["participant"] for d in ranked],
        "values": [d[key] for d in ranked],
    }


def _weapons_chart(weapons: dict[str, Any]) -> dict[str, Any]:
    """Value of heavy weapons by category, stacked by the largest donors (the rest as 'Others')."""
    categories = [c["category"] for c in weapons["by_category"]]
    top = [d["participant"] for d in weapons["by_donor"] if d["value_eur"] is not None][:TOP_WEAPON_DONORS]
    names = {d["participant"]: d["name"] for d in weapons["by_donor"]}
    series: dict[str, dict[str, Decimal]] = {code: {} for code in [*top, "others"]}
    for r in weapons["rows"]:
        if r["value_eur_bn"] is None:
            continue
        code = r["participant"] if r["participant"] in top else "others"
        series[code][r["category"]] = series[code].get(r["category"], Decimal(0)) + r["value_eur_bn"]
    datasets = [
        {
            "label": names.get(code, "Others") if code != "others" else "Others",
            "data": [s.get(c) for c in categories],
        }
        for code, s in series.items()
        if s
    ]
    return {"labels": categories, "datasets": datasets}


def _current_release(number: int | None = None) -> dict[str, Any] | None:
    """The current tracker release (or the one asked for), shown on every transparency page."""
    releases = KielRelease.objects.all()
    release = releases.filter(number=number).first() if number else releases.filter(is_current=True).first()
    return selectors.release_meta(release) if release else None


def _release_param(request: HttpRequest) -> int | None:
    """`?release=N`: the tracker release a cited page or download shows (None: the current one)."""
    value = request.GET.get("release") or ""
    return int(value) if value.isdigit() and len(value) < 9 else None


def _top_by_category(weapons: dict[str, Any], limit: int = 6) -> list[dict[str, Any]]:
    """Each category with its largest donors by value (rows are already sorted by value)."""
    out = []
    for c in weapons["by_category"]:
        top = [r for r in weapons["rows"] if r["category"] == c["category"] and r["count"]][:limit]
        out.append({**c, "top": top})
    return out


def _export_links(
    view: str, report: str, params: dict[str, Any], release: int | None = None
) -> dict[str, str]:
    query = {k: v for k, v in params.items() if v not in (None, "", False)}
    if view == "api":
        base = f"/api/v1/reports/{report}"
        links = {fmt: f"{base}?{urlencode({**query, 'format': fmt})}" for fmt in ("csv", "xlsx")}
        links["hxl"] = f"{base}?{urlencode({**query, 'format': 'csv', 'hxl': 'true'})}"
        return links
    if release is not None and query.get("source", "tracker") == "tracker":
        query["release"] = release  # a download of the page's release, whatever is current later
    links = {
        fmt: reverse("public-export", kwargs={"report": report, "fmt": fmt})
        + (f"?{urlencode(query)}" if query else "")
        for fmt in ("csv", "xlsx")
    }
    links["hxl"] = (
        reverse("public-export", kwargs={"report": report, "fmt": "csv"})
        + "?"
        + urlencode({**query, "hxl": 1})
    )
    links["json"] = f"/api/v1/public/{report}" + (f"?{urlencode(query)}" if query else "")
    return links


# The page's tables and charts, each with the report it shows and its anchor (citable figures).
CITED = {
    "totals": ("totals", "table-totals"),
    "totals_month": ("totals", "chart-timeline-card"),
    "donors": ("donors", "table-donors"),
    "gdp": ("donors", "table-gdp"),
    "groups": ("groups", "table-groups"),
    "weapons": ("weapons", "table-weapons"),
}


def _citations(
    request: HttpRequest, context: dict[str, Any], release: int | None
) -> dict[str, dict[str, str]]:
    """Each public table and chart: its stable address (the page at its release, and its anchor)
    and the text to cite it by."""
    payloads = {
        "totals": context.get("totals_year"),
        "donors": context.get("donors"),
        "groups": context.get("groups"),
        "weapons": context.get("weapons"),
    }
    out: dict[str, dict[str, str]] = {}
    for key, (report, anchor) in CITED.items():
        payload = payloads[report]
        page = citation.stable_url(reverse("public-transparency"), {}, payload)
        url = request.build_absolute_uri(page) + f"#{anchor}"
        out[key] = {"url": url, "text": citation.cite(report, payload, url)}
    return out


def _report_context(
    user: Actor | None, *, source: str, public: bool, params: dict[str, str], release: int | None = None
) -> dict[str, Any]:
    """Everything the dashboard (or the public page) shows for one source (`release`: a tracker
    release other than the current one, for a cited public page)."""
    donor_type = params.get("type") or "total"
    month_from = params.get("from") or None
    month_to = params.get("to") or None
    pin: dict[str, Any] = {"release": release} if release is not None else {}
    totals_year = selectors.totals_report(user=user, by="year", source=source, public=public, **pin)
    totals_month = selectors.totals_report(user=user, by="month", source=source, public=public, **pin)
    donors = selectors.donors_report(
        user=user,
        type=donor_type,
        month_from=month_from,
        month_to=month_to,
        source=source,
        public=public,
        **pin,
    )
    per_gdp = selectors.donors_report(
        user=user,
        type=donor_type,
        per_gdp=True,
        month_from=month_from,
        month_to=month_to,
        source=source,
        public=public,
        **pin,
    )
    groups = selectors.groups_report(user=user, source=source, public=public, **pin)
    weapons = selectors.weapons_report(user=user, source=source, public=public, **pin)
    charts = {
        "timeline": _timeline(totals_month),
        "donors": _ranking(donors, "value_eur_bn"),
        "gdp": _ranking(per_gdp, "pct_gdp"),
        "groups": {
            "labels": [SHORT_GROUP_LABELS.get(g["group"], g["label"]) for g in groups["groups"]],
            **{t: [g[t] for g in groups["groups"]] for t in ("military", "financial", "humanitarian")},
        },
        "weapons": _weapons_chart(weapons),
        "type": donor_type,
    }
    base = {"source": source}
    donor_params = {**base, "type": donor_type, "from": month_from, "to": month_to}
    door = "public" if public else "api"
    shown = (totals_year.get("release") or {}).get("number") if public and source == "tracker" else None
    all_donors = groups["all_donors"]
    allies = next(g for g in groups["groups"] if g["group"] == "allies")
    return {
        "meta": totals_year,
        "source": source,
        "totals_year": totals_year,
        "donors": donors,
        "top_donors": donors["donors"][:TOP_DONORS],
        "top_gdp": per_gdp["donors"][:TOP_DONORS],
        "groups": groups,
        "weapons": weapons,
        "weapon_categories": _top_by_category(weapons),
        "all_donors": all_donors,
        "allies_share": allies["share_of_military"],
        "charts": exports.chart_numbers(charts),
        "donor_type": donor_type,
        "types": selectors.TYPES,
        "month_from": month_from or "",
        "month_to": month_to or "",
        "links": {
            "totals": _export_links(door, "totals", {**base, "by": "year"}, shown),
            "totals_month": _export_links(door, "totals", {**base, "by": "month"}, shown),
            "donors": _export_links(door, "donors", donor_params, shown),
            "gdp": _export_links(door, "donors", {**donor_params, "per_gdp": "true"}, shown),
            "groups": _export_links(door, "groups", base, shown),
            "weapons": _export_links(door, "weapons", base, shown),
        },
    }


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The transparency dashboard: the tracker's figures, or the contact group's records as you see them."""
    source = request.GET.get("source") or "tracker"
    if source not in selectors.SOURCES:
        source = "tracker"
    params = {k: request.GET.get(k, "") for k in ("type", "from", "to")}
    context: dict[str, Any] = {
        "source": source,
        "params": params,
        "public": False,
        "release": _current_release(),
    }
    try:
        context.update(_report_context(request.user, source=source, public=False, params=params))
    except NotFound as exc:
        context["missing"] = exc.message
    except DomainError as exc:
        # Bad filters, or records not available: say so, and show the tracker's figures unfiltered.
        context["error"] = exc.message
        context["source"] = "tracker"
        try:
            context.update(_report_context(request.user, source="tracker", public=False, params={}))
        except NotFound as missing:
            context["missing"] = missing.message
    return render(request, "reports/dashboard.html", context)


def public_transparency(request: HttpRequest) -> HttpResponse:
    """The public page: the tracker's published figures, and public records with small cells withheld.

    `?release=N` shows an earlier tracker release: every table and chart cites its stable address
    (this page at its release, and the table's anchor) with a "cite this" text."""
    release = _release_param(request)
    context: dict[str, Any] = {"public": True, "release": _current_release(release)}
    try:
        context.update(_report_context(None, source="tracker", public=True, params={}, release=release))
        context["cites"] = _citations(request, context, release)
        shown = context["totals_year"]["release"]["number"]
        context["iati_link"] = reverse("public-iati") + f"?release={shown}"
    except NotFound as exc:
        context["missing"] = exc.message
    try:
        context["records_totals"] = selectors.totals_report(
            user=None, by="year", source="records", public=True
        )
        context["records_groups"] = selectors.groups_report(user=None, source="records", public=True)
        context["records_links"] = {
            "totals": _export_links("public", "totals", {"source": "records", "by": "year"}),
            "groups": _export_links("public", "groups", {"source": "records"}),
        }
    except DomainError:
        context["records_totals"] = None
    return render(request, "reports/public.html", context)


def public_export(request: HttpRequest, report: str, fmt: str) -> HttpResponse:
    """A published table as CSV or XLSX, for anyone: the tracker, or public records with suppression."""
    if report not in exports.REPORTS or fmt not in ("csv", "xlsx"):
        raise Http404
    source = request.GET.get("source") or "tracker"
    release = _release_param(request)
    pin: dict[str, Any] = {"release": release} if release is not None else {}
    try:
        if report == "totals":
            payload = selectors.totals_report(
                user=None, by=request.GET.get("by") or "year", source=source, public=True, **pin
            )
        elif report == "donors":
            payload = selectors.donors_report(
                user=None,
                type=request.GET.get("type") or "total",
                per_gdp=request.GET.get("per_gdp") in ("true", "1"),
                month_from=request.GET.get("from") or None,
                month_to=request.GET.get("to") or None,
                source=source,
                public=True,
                **pin,
            )
        elif report == "groups":
            payload = selectors.groups_report(user=None, source=source, public=True, **pin)
        else:
            payload = selectors.weapons_report(user=None, source=source, public=True, **pin)
    except NotFound:
        raise  # the 404 page (core.middleware)
    except DomainError as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    hxl = fmt == "csv" and request.GET.get("hxl") in ("1", "true")
    if fmt == "csv":
        response = HttpResponse(
            exports.to_csv(report, payload, hxl=hxl), content_type="text/csv; charset=utf-8"
        )
    else:
        response = HttpResponse(exports.to_xlsx(report, payload), content_type=exports.XLSX_TYPE)
    name = export_name(report, payload, fmt, public=True, hxl=hxl)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def public_iati(request: HttpRequest) -> HttpResponse:
    """The public figures as IATI 2.03 activities (one per donor-to-recipient programme), for anyone:
    `?release=N` (default: the current release), `?participant=ISO` (one donor)."""
    code = (request.GET.get("participant") or "").strip().upper() or None
    # No release, or nothing public for that donor: NotFound, the 404 page (core.middleware).
    data, _ = iati.export(participant=code, release_number=_release_param(request))
    response = HttpResponse(data, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="clearinghouse-iati-activities.xml"'
    return response
