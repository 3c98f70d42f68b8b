"""The attacker on what is actually published: the records reports of the demo's pledges.

For the public page (its CSV exports) and for several signed-in viewers (the API's JSON), every
records table a viewer can get is fetched and parsed; the attacker (attacker.py, HiGHS) knows
what each figure adds up, from its own reading of the reports' definitions, and which pledges
the viewer may see. No withheld figure may be narrowed down beyond the stated margin, and every
door (page, CSV, XLSX, API, command line) withholds the same cells.
"""

from __future__ import annotations

import csv
import io
import json
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from decimal import Decimal
from io import StringIO
from typing import Any, cast

import pytest
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook

from clearinghouse.pledges.choices import FIRM, LIVE
from clearinghouse.reports.tests.attacker import Figure, leaks

pytestmark = pytest.mark.django_db

ALLOCATED = FIRM
TYPES = ("military", "financial", "humanitarian", "total")
VIEWERS = ("public", "donor-deu", "donor-pol", "recipient", "nonmember")


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """The demo's requirements and pledges, loaded once for the module and rolled back at its end."""
    from django.db import transaction

    from clearinghouse.catalog.services import load_catalog
    from clearinghouse.participants.services import create_user, load_reference_data
    from clearinghouse.pledges import demo as pledges_demo
    from clearinghouse.requirements import demo as requirements_demo

    accounts = [
        ("admin", "NATO", "admin"),
        ("coordinator", "NATO", "coordinator"),
        ("recipient", "UKR", "recipient_officer"),
        ("donor-usa", "USA", "donor_officer"),
        ("donor-deu", "DEU", "donor_officer"),
        ("donor-pol", "POL", "donor_officer"),
        ("nonmember", "CHN", "analyst"),
    ]
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            load_reference_data()
            users = {
                name: create_user(actor=None, username=name, participant=code, role=role, password=None)
                for name, code, role in accounts
            }
            load_catalog(actor=users["admin"])
            requirements_demo.seed(users["admin"])
            pledges_demo.seed(users["admin"])
            # The demo marks its pledges illustrative, and the public page never counts those: here
            # they stand in for real records, so that the public tables have figures to attack.
            from clearinghouse.pledges.models import Pledge

            Pledge.objects.update(illustrative=False)
            yield users
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# ------------------------------------------------------------------ what the viewer may see


def _pieces(demo: dict[str, Any], viewer: str) -> list[dict[str, Any]]:
    """The viewer's live pledges as the attacker's pieces: allocated or pending value, delivered, count."""
    from clearinghouse.pledges.models import Pledge

    if viewer == "public":
        qs = Pledge.objects.filter(releasability="public")
    else:
        qs = Pledge.objects.restrict(demo[viewer], "view")
    out = []
    for p in qs.filter(status__in=LIVE).select_related("owner", "item_type__capability"):
        if p.value_eur is None:
            continue
        value = Decimal(p.value_eur).scaleb(-9)
        delivered = Decimal(0)
        if p.kind == "in_kind" and p.quantity and p.delivered_quantity:
            delivered = (value * p.delivered_quantity / p.quantity).quantize(Decimal("1e-12"))
        elif p.kind == "financial" and p.status == "delivered":
            delivered = value
        out.append(
            {
                "pk": p.pk,
                "donor": p.owner.code,
                "kind": p.kind,
                "allocated": p.status in ALLOCATED,
                "year": str(p.available_from.year),
                "month": p.available_from.strftime("%Y-%m"),
                "value": value,
                "delivered": delivered,
                "quantity": p.quantity or 0,
                "category": (p.item_type.capability.name if p.item_type else "") or "Unspecified",
            }
        )
    return out


def _truth(pieces: list[dict[str, Any]]) -> tuple[dict[Hashable, float], dict[Hashable, str]]:
    truth: dict[Hashable, float] = {}
    donors: dict[Hashable, str] = {}
    for p in pieces:
        held = (p["pk"], "allocated" if p["allocated"] else "pending")
        truth[held] = float(p["value"])
        donors[held] = p["donor"]
        if p["delivered"]:
            truth[(p["pk"], "delivered")] = float(p["delivered"])
            donors[(p["pk"], "delivered")] = p["donor"]
        if p["kind"] == "in_kind" and p["allocated"]:
            truth[(p["pk"], "count")] = float(p["quantity"])
            donors[(p["pk"], "count")] = p["donor"]
    return truth, donors


def _sum(pieces: list[dict[str, Any]], column: str, **match: Any) -> frozenset[Hashable]:
    """The pieces a figure of `column` adds up, over the pledges matching `match`."""
    chosen = [p for p in pieces if all(p[k] == v for k, v in match.items() if k != "donors")]
    if "donors" in match:
        chosen = [p for p in chosen if p["donor"] in match["donors"]]
    kinds = {"military": ("in_kind",), "financial": ("financial",), "humanitarian": ()}
    if column in kinds:
        return frozenset(
            (p["pk"], "allocated") for p in chosen if p["allocated"] and p["kind"] in kinds[column]
        )
    if column == "total":
        return frozenset((p["pk"], "allocated") for p in chosen if p["allocated"])
    if column == "commitments":
        return frozenset((p["pk"], "allocated" if p["allocated"] else "pending") for p in chosen)
    if column == "delivered":
        return frozenset((p["pk"], "delivered") for p in chosen if p["delivered"])
    if column == "count":
        return frozenset((p["pk"], "count") for p in chosen if p["kind"] == "in_kind" and p["allocated"])
    if column == "value":
        return frozenset((p["pk"], "allocated") for p in chosen if p["kind"] == "in_kind" and p["allocated"])
    raise AssertionError(column)


# ------------------------------------------------------------------ what is published


def _number(value: Any) -> float | None:
    """A published figure: JSON number or decimal string, CSV text; empty or null is withheld."""
    if value is None or value == "":
        return None
    return float(Decimal(str(value)))


def _fetch(client: Client, viewer: str, report: str, query: str) -> dict[str, Any] | list[dict[str, str]]:
    if viewer == "public":
        response = client.get(f"/public/export/{report}.csv?source=records&{query}")
        assert response.status_code == 200, response.content
        return list(csv.DictReader(io.StringIO(response.content.decode())))
    response = client.get(f"/api/v1/reports/{report}?source=records&{query}")
    assert response.status_code == 200, response.content
    return cast("dict[str, Any] | list[dict[str, str]]", response.json())


def _rows(payload: Any, key: str) -> list[dict[str, Any]]:
    return payload if isinstance(payload, list) else payload[key]


def _published(
    client: Client, viewer: str, pieces: list[dict[str, Any]], members: dict[str, list[str]]
) -> tuple[list[Figure], list[str]]:
    """Every records figure the viewer can get, with what it adds up; and any ratio that leaks."""
    figures: list[Figure] = []
    problems: list[str] = []
    columns = ("military", "financial", "humanitarian", "total", "commitments", "delivered")
    for by in ("year", "month"):
        for row in _rows(_fetch(client, viewer, "totals", f"by={by}"), "rows"):
            for column in columns:
                pieces_of = _sum(pieces, column, **{by: row["period"]})
                figures.append(Figure(("totals", by, row["period"], column), pieces_of, _number(row[column])))
    groups = _fetch(client, viewer, "groups", "")
    rows = _rows(groups, "groups") + ([] if isinstance(groups, list) else [groups["all_donors"]])
    everyone = next(r for r in rows if r["group"] == "all_donors")
    for row in rows:
        codes = members.get(row["group"])
        for column in TYPES:
            match: dict[str, Any] = {} if codes is None else {"donors": codes}
            figures.append(
                Figure(("groups", row["group"], column), _sum(pieces, column, **match), _number(row[column]))
            )
        share = _number(row.get("share_of_military"))
        if share is not None and (_number(row["military"]) is None or _number(everyone["military"]) is None):
            problems.append(f"{row['group']}: share of military published beside a withheld figure")
    # The donors report unfiltered, filtered to each year, and (total aid) to each single month.
    years = sorted({p["year"] for p in pieces})
    windows: list[tuple[str, dict[str, str]]] = [("", {})]
    windows += [(f"from={y}-01&to={y}-12", {"year": y}) for y in years]
    months = [(f"from={m}&to={m}", {"month": m}) for m in sorted({p["month"] for p in pieces})]
    for aid_type in TYPES:
        for query, window in windows + (months if aid_type == "total" else []):
            payload = _fetch(client, viewer, "donors", f"type={aid_type}&{query}")
            for row in _rows(payload, "donors"):
                value = row.get(f"{aid_type}_eur_bn", row.get("value_eur_bn"))
                match = {"donor": row["participant"], **window}
                figures.append(
                    Figure(
                        ("donors", aid_type, query, row["participant"]),
                        _sum(pieces, aid_type, **match),
                        _number(value),
                    )
                )
        gdp = _fetch(client, viewer, "donors", f"type={aid_type}&per_gdp=true")
        for row in _rows(gdp, "donors"):
            value = row.get(f"{aid_type}_eur_bn", row.get("value_eur_bn"))
            if _number(row.get("pct_gdp")) is not None and _number(value) is None:
                problems.append(f"{row['participant']}: share of GDP published beside a withheld value")
    weapons = _fetch(client, viewer, "weapons", "")
    tables = [("pair", _rows(weapons, "rows"))]
    if not isinstance(weapons, list):
        tables += [("category", weapons["by_category"]), ("donor", weapons["by_donor"])]
    for table, rows in tables:
        for row in rows:
            match = {}
            if row.get("category"):
                match["category"] = row["category"]
            if row.get("participant"):
                match["donor"] = row["participant"]
            name = ("weapons", table, row.get("category"), row.get("participant"))
            figures.append(
                Figure((*name, "count"), _sum(pieces, "count", **match), _number(row["count"]), "count")
            )
            figures.append(
                Figure((*name, "value"), _sum(pieces, "value", **match), _number(row["value_eur_bn"]))
            )
    return figures, problems


def _client(demo: dict[str, Any], viewer: str, api_client: Any) -> Client:
    return Client() if viewer == "public" else api_client(demo[viewer])


def _members(demo: dict[str, Any], api_client: Any) -> dict[str, list[str]]:
    """Who is in each group: published with the groups report (the same for every viewer)."""
    body = api_client(demo["coordinator"]).get("/api/v1/reports/groups?source=records").json()
    return {g["group"]: g["members"] for g in body["groups"]}


@pytest.mark.parametrize("viewer", VIEWERS)
def test_no_withheld_figure_can_be_worked_out_from_what_is_published(
    demo: dict[str, Any], api_client: Any, viewer: str
) -> None:
    pieces = _pieces(demo, viewer)
    truth, donors = _truth(pieces)
    figures, problems = _published(
        _client(demo, viewer, api_client), viewer, pieces, _members(demo, api_client)
    )
    withheld = [f for f in figures if f.published is None and f.pieces]
    assert withheld, "the demo's records should need some suppression"
    assert problems == []
    assert leaks(figures, truth, donors) == []


def test_without_complementary_suppression_the_attacker_recovers_figures(
    demo: dict[str, Any], api_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The attack is real: with primary suppression only (the old rule), it finds withheld figures."""
    from clearinghouse.reports import linked

    monkeypatch.setattr(linked, "protect", lambda cells, atoms, rules: _primary_only(cells))
    monkeypatch.setattr(linked, "_CACHE", OrderedDict())
    pieces = _pieces(demo, "public")
    truth, donors = _truth(pieces)
    figures, _ = _published(Client(), "public", pieces, _members(demo, api_client))
    assert leaks(figures, truth, donors)


def _primary_only(cells: dict[Hashable, Any]) -> Any:
    from clearinghouse.reports.complementary import Result

    return Result(withheld=frozenset(k for k, s in cells.items() if s.primary), complementary=frozenset())


# ------------------------------------------------------------------ every door withholds the same cells


def _withheld_cells(rows: list[dict[str, Any]], key: str, columns: tuple[str, ...]) -> set[tuple[str, str]]:
    return {(str(r[key]), c) for r in rows for c in columns if _number(r[c]) is None}


def test_every_door_withholds_the_same_cells(demo: dict[str, Any], api_client: Any) -> None:
    columns = ("military", "financial", "humanitarian", "total", "commitments", "delivered")
    user = demo["donor-deu"]
    api = api_client(user)
    body = api.get("/api/v1/reports/totals?source=records&by=year").json()
    expected = _withheld_cells(body["rows"], "period", columns)
    assert expected
    as_csv = api.get("/api/v1/reports/totals?source=records&by=year&format=csv").content.decode()
    assert _withheld_cells(list(csv.DictReader(io.StringIO(as_csv))), "period", columns) == expected
    book = load_workbook(
        io.BytesIO(api.get("/api/v1/reports/totals?source=records&by=year&format=xlsx").content)
    )
    sheet = book["totals"]
    header = [c.value for c in sheet[1]]
    xlsx_rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    assert _withheld_cells(xlsx_rows, "period", columns) == expected
    out = StringIO()
    call_command(
        "report", "totals", "--source", "records", "--as", user.username, "--format", "json", stdout=out
    )
    assert _withheld_cells(json.loads(out.getvalue())["rows"], "period", columns) == expected
    # The dashboard's table of years shows the same cells withheld.
    client = Client()
    client.force_login(user)
    html = client.get("/reports/?source=records").content.decode()
    table = html.split('id="table-totals"', 1)[1].split("</table>", 1)[0]
    for period in {p for p, _ in expected}:
        row = table.split(f"<td>{period}</td>", 1)[1].split("</tr>", 1)[0]
        cells = row.count('class="withheld"')
        assert cells == len({c for p, c in expected if p == period and c != "delivered"}), period


def test_the_public_page_withholds_what_its_exports_withhold(demo: dict[str, Any]) -> None:
    client = Client()
    rows = list(
        csv.DictReader(io.StringIO(client.get("/public/export/totals.csv?source=records").content.decode()))
    )
    groups = list(
        csv.DictReader(io.StringIO(client.get("/public/export/groups.csv?source=records").content.decode()))
    )
    html = client.get("/public/").content.decode()
    totals = html.split('id="table-records-totals"', 1)[1].split("</table>", 1)[0]
    shown = ("military", "financial", "total", "commitments", "delivered")  # the page's columns
    for r in rows:
        row = totals.split(f"<td>{r['period']}</td>", 1)[1].split("</tr>", 1)[0]
        assert row.count('class="withheld"') == sum(_number(r[c]) is None for c in shown), r["period"]
    table = html.split('id="table-records-groups"', 1)[1].split("</table>", 1)[0]
    for g in groups:
        if g["group"] == "all_donors":
            continue
        row = table.split(f"<td>{g['label']}</td>", 1)[1].split("</tr>", 1)[0]
        withheld = sum(_number(g[c]) is None for c in ("military", "financial", "total"))
        assert row.count('class="withheld"') >= withheld, g["group"]
