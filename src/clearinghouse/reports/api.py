"""API routes of the transparency reports (every signed-in user: the tracker's data is public).

Each report answers JSON by default, or a file with `format=csv` or `format=xlsx`.
`source=records` reports the contact group's own pledges as the caller may see them.
"""

from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Router
from ninja.params.functions import Query

from clearinghouse.core.openapi import FILE_RESPONSES
from clearinghouse.core.schemas import ErrorOut
from clearinghouse.reports import exports, selectors
from clearinghouse.reports.filenames import export_name
from clearinghouse.reports.schemas import DonorsOut, GroupsOut, ReportTotalsOut, WeaponsOut

router = Router(tags=["reports"])

Source = Literal["tracker", "records"]
Format = Literal["json", "csv", "xlsx"]
AidType = Literal["military", "financial", "humanitarian", "total"]
ERRORS = {404: ErrorOut, 422: ErrorOut}


HXL_HELP = "With format=csv: add the HXL hashtag row under the header (hxlstandard.org)."


def respond(
    report: str, payload: dict[str, Any], fmt: str, *, hxl: bool = False
) -> dict[str, Any] | HttpResponse:
    """The payload itself (JSON), or the report as a CSV (`hxl`: with HXL hashtags) or XLSX attachment."""
    if fmt == "json":
        return payload
    name = export_name(report, payload, fmt, hxl=hxl and fmt == "csv")
    if fmt == "csv":
        response = HttpResponse(
            exports.to_csv(report, payload, hxl=hxl), content_type="text/csv; charset=utf-8"
        )
    else:
        response = HttpResponse(exports.to_xlsx(report, payload), content_type=exports.XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.get(
    "/totals", response={200: ReportTotalsOut, **ERRORS}, exclude_unset=True, openapi_extra=FILE_RESPONSES
)
def totals(
    request: HttpRequest,
    by: Literal["year", "month"] = "year",
    source: Source = "tracker",
    format: Format = "json",
    hxl: bool = Query(False, description=HXL_HELP),
) -> dict[str, Any] | HttpResponse:
    """Aid by year or month: military, financial, humanitarian, total, commitments (EUR billion)."""
    payload = selectors.totals_report(user=request.user, by=by, source=source)
    return respond("totals", payload, format, hxl=hxl)


@router.get("/donors", response={200: DonorsOut, **ERRORS}, exclude_unset=True, openapi_extra=FILE_RESPONSES)
def donors(
    request: HttpRequest,
    type: AidType = "total",
    per_gdp: bool = False,
    with_eu_share: bool = False,
    month_from: str | None = Query(None, alias="from", description="First month, YYYY-MM"),
    month_to: str | None = Query(None, alias="to", description="Last month, YYYY-MM"),
    source: Source = "tracker",
    format: Format = "json",
    hxl: bool = Query(False, description=HXL_HELP),
) -> dict[str, Any] | HttpResponse:
    """Donors ranked by amount of one type of aid, or by its percent of 2021 GDP (`per_gdp`)."""
    payload = selectors.donors_report(
        user=request.user,
        type=type,
        per_gdp=per_gdp,
        with_eu_share=with_eu_share,
        month_from=month_from,
        month_to=month_to,
        source=source,
    )
    return respond("donors", payload, format, hxl=hxl)


@router.get("/groups", response={200: GroupsOut, **ERRORS}, exclude_unset=True, openapi_extra=FILE_RESPONSES)
def groups(
    request: HttpRequest,
    source: Source = "tracker",
    format: Format = "json",
    hxl: bool = Query(False, description=HXL_HELP),
) -> dict[str, Any] | HttpResponse:
    """Allies, partners, organisations, EU27, continental Europe (with and without the EU), USA."""
    return respond("groups", selectors.groups_report(user=request.user, source=source), format, hxl=hxl)


@router.get(
    "/weapons", response={200: WeaponsOut, **ERRORS}, exclude_unset=True, openapi_extra=FILE_RESPONSES
)
def weapons(
    request: HttpRequest,
    source: Source = "tracker",
    format: Format = "json",
    hxl: bool = Query(False, description=HXL_HELP),
) -> dict[str, Any] | HttpResponse:
    """Heavy weapons by category and donor: count and value."""
    payload = selectors.weapons_report(user=request.user, source=source)
    return respond("weapons", payload, format, hxl=hxl)
