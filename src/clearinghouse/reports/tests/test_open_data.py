"""Issue 17: open data. The anonymous public API, the IATI 2.03 export, HXL-tagged CSV, citable figures.

The public API is held to the very numbers the public page's selectors compute (`public=True`);
the IATI file is validated with lxml against the official 2.03 schema shipped with the package.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from lxml import etree

from clearinghouse.reports import exports, iati, selectors

pytestmark = pytest.mark.django_db

SCHEMA = iati.SCHEMA_DIR / "iati-activities-schema.xsd"
HXL_TAG = re.compile(r"^#[a-z][a-z0-9_]*( *\+[a-z][a-z0-9_]*)*$")


def _figures(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> list[tuple[Any, ...]]:
    """Rows as tuples of Decimals (or None: withheld), from the API's strings or the selector's Decimals."""
    return [tuple(None if r.get(k) is None else Decimal(str(r[k])) for k in keys) for r in rows]


# --- the anonymous public API --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["totals", "donors", "groups", "weapons", "releases"])
def test_every_public_operation_answers_without_credentials(r29: Any, path: str) -> None:
    response = Client().get(f"/api/v1/public/{path}")
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert {"release", "citation", "rows"} <= set(body)
    assert body["release"]["number"] == 29
    assert ("Release 29" in body["citation"] and "release=29" in body["url"]) or path == "releases"
    assert body["rows"]
    assert response["Cache-Control"].startswith("public, max-age=")
    assert re.fullmatch(r'"[0-9a-f]{32}"', response["ETag"])


def test_the_public_api_serves_the_public_pages_figures_exactly(r29: Any) -> None:
    client = Client()
    columns = ("military", "financial", "humanitarian", "total", "commitments")
    for by in ("year", "month"):
        page = selectors.totals_report(user=None, by=by, source="tracker", public=True)
        api = client.get(f"/api/v1/public/totals?by={by}").json()
        assert [r["period"] for r in api["rows"]] == [r["period"] for r in page["rows"]]
        assert _figures(api["rows"], columns) == _figures(page["rows"], columns)
        # Money as decimal strings, never numbers.
        assert all(isinstance(r["total"], str) for r in api["rows"])
    page = selectors.donors_report(user=None, type="military", per_gdp=True, source="tracker", public=True)
    api = client.get("/api/v1/public/donors?type=military&per_gdp=true").json()
    assert [r["participant"] for r in api["rows"]] == [d["participant"] for d in page["donors"]]
    assert _figures(api["rows"], ("value_eur_bn", "pct_gdp")) == _figures(
        page["donors"], ("value_eur_bn", "pct_gdp")
    )
    page = selectors.groups_report(user=None, source="tracker", public=True)
    api = client.get("/api/v1/public/groups").json()
    shown = [*page["groups"], page["all_donors"]]
    assert [r["group"] for r in api["rows"]] == [g["group"] for g in shown]
    assert _figures(api["rows"], ("military", "total", "share_of_military")) == _figures(
        shown, ("military", "total", "share_of_military")
    )
    page = selectors.weapons_report(user=None, source="tracker", public=True)
    api = client.get("/api/v1/public/weapons").json()
    assert _figures(api["rows"], ("count", "value_eur")) == _figures(page["rows"], ("count", "value_eur"))
    # The figures checked against the files themselves elsewhere: USA's military aid, to the last digit.
    usa = next(
        r
        for r in client.get("/api/v1/public/donors?type=military").json()["rows"]
        if r["participant"] == "USA"
    )
    usa_page = next(
        d
        for d in selectors.donors_report(user=None, type="military", public=True)["donors"]
        if d["participant"] == "USA"
    )
    assert Decimal(usa["value_eur_bn"]) == usa_page["value_eur_bn"]


def test_the_public_api_serves_public_records_with_the_pages_suppression(
    r29: Any, personas: dict[str, Any]
) -> None:
    from clearinghouse.pledges.tests import factories

    for donor in ("donor_usa", "donor_deu"):
        factories.pledge(personas, donor=donor, releasability="public")
    page = selectors.totals_report(user=None, source="records", public=True)
    api = Client().get("/api/v1/public/totals?source=records").json()
    keys = ("military", "financial", "total", "commitments")
    assert _figures(api["rows"], keys) == _figures(page["rows"], keys)
    assert [r["suppressed"] for r in api["rows"]] == [r["suppressed"] for r in page["rows"]]
    # Two donors: their commitments are withheld, on the page as in the API.
    assert api["rows"] and api["rows"][0]["commitments"] is None and api["rows"][0]["suppressed"]
    assert api["suppression"]["protected"] is True and api["release"] is None


def test_an_earlier_release_stays_citable_after_a_newer_one_is_imported(
    r29: Any, personas: dict[str, Any]
) -> None:
    from clearinghouse.tracker import services
    from clearinghouse.tracker.tests.kiel_files import R31_PREVIEW

    before = Client().get("/api/v1/public/totals").json()
    services.import_kiel_release(actor=personas["coordinator"], directory=R31_PREVIEW)
    now = Client().get("/api/v1/public/totals").json()
    assert now["release"]["number"] == 31
    cited = Client().get("/api/v1/public/totals?release=29").json()
    assert cited["rows"] == before["rows"] and cited["url"] == before["url"]
    releases = Client().get("/api/v1/public/releases").json()
    assert [r["number"] for r in releases["rows"]] == [31, 29]
    assert Client().get("/api/v1/public/totals?release=5").status_code == 404


def test_the_public_api_answers_304_to_a_matching_if_none_match(r29: Any) -> None:
    client = Client()
    first = client.get("/api/v1/public/groups")
    tag = first["ETag"]
    again = client.get("/api/v1/public/groups", HTTP_IF_NONE_MATCH=tag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == tag
    assert "max-age" in again["Cache-Control"]
    other = client.get("/api/v1/public/groups", HTTP_IF_NONE_MATCH='"0000"')
    assert other.status_code == 200 and other["ETag"] == tag
    # Another table, another tag.
    assert client.get("/api/v1/public/totals")["ETag"] != tag


@override_settings(PUBLIC_API_RATE_LIMIT=3, PUBLIC_API_RATE_WINDOW=60)
def test_the_public_api_is_rate_limited_per_address(r29: Any) -> None:
    client = Client(REMOTE_ADDR="203.0.113.7")
    statuses = [client.get("/api/v1/public/totals").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    refused = client.get("/api/v1/public/donors")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "Too many requests" in refused.json()["detail"]
    # Another address has its own allowance.
    assert Client(REMOTE_ADDR="203.0.113.8").get("/api/v1/public/totals").status_code == 200


def test_the_public_api_refuses_bad_input_with_the_field(r29: Any) -> None:
    response = Client().get("/api/v1/public/donors?from=2024-13")
    assert response.status_code == 422 and response.json()["field"] == "from"
    response = Client().get("/api/v1/public/totals?source=records&release=29")
    assert response.status_code == 422 and response.json()["field"] == "release"


def test_the_openapi_document_describes_the_public_api() -> None:
    from clearinghouse.api import api

    schema = api.get_openapi_schema()
    for path in ("totals", "donors", "groups", "weapons", "releases"):
        operation = schema["paths"][f"/api/v1/public/{path}"]["get"]
        assert not operation.get("security"), path  # no credentials
        assert {200, 304, 429} <= set(operation["responses"]), path
    rows = schema["components"]["schemas"]["PublicTotalsOut"]["properties"]
    assert {"release", "citation", "rows", "url"} <= set(rows)


# --- IATI ------------------------------------------------------------------------------------------


def _validate(path: Path) -> Any:
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    document = etree.parse(str(path))
    schema.assertValid(document)
    return document


def test_the_iati_export_validates_against_the_official_schema(r29: Any, tmp_path: Path) -> None:
    target = tmp_path / "F.xml"
    out = StringIO()
    call_command("export", "iati", "--output", str(target), stdout=out)
    document = _validate(target)
    activities = document.findall("iati-activity")
    donors = {d["participant"] for d in selectors.donors_report(user=None, public=True)["donors"]}
    assert len(activities) == len(donors) and f"Wrote {len(activities)} IATI activities" in out.getvalue()
    usa = next(a for a in activities if a.findtext("iati-identifier").endswith("-KIEL29-USA-UKR"))
    assert usa.find("participating-org[@role='1']").get("ref").endswith("-USA")
    codes = {t.find("transaction-type").get("code") for t in usa.findall("transaction")}
    assert codes == {"2", "12"}
    for t in usa.findall("transaction"):
        value = t.find("value")
        assert value.get("currency") == "EUR" and value.get("value-date") == t.find("transaction-date").get(
            "iso-date"
        )
        assert t.find("provider-org").get("ref").endswith("-USA") and t.find("receiver-org").get(
            "ref"
        ).endswith("-UKR")
    # The allocations (type 2) add up to USA's total in the public figures, exactly, in EUR.
    allocated = sum(
        Decimal(t.findtext("value"))
        for t in usa.findall("transaction")
        if t.find("transaction-type").get("code") == "2"
    )
    total = next(
        d for d in selectors.donors_report(user=None, public=True)["donors"] if d["participant"] == "USA"
    )
    assert allocated == (total["value_eur_bn"] * 10**9).quantize(Decimal("0.01"))


def test_the_iati_export_of_one_participant(r29: Any, tmp_path: Path) -> None:
    target = tmp_path / "deu.xml"
    call_command("export", "iati", "--output", str(target), "--participant", "DEU", stdout=StringIO())
    document = _validate(target)
    assert [a.findtext("iati-identifier")[-8:] for a in document.findall("iati-activity")] == ["-DEU-UKR"]
    with pytest.raises(CommandError, match="no participant 'XXX'"):
        call_command("export", "iati", "--output", str(target), "--participant", "XXX", stdout=StringIO())


def test_no_non_public_record_is_in_the_iati_export(
    r29: Any, personas: dict[str, Any], tmp_path: Path
) -> None:
    from clearinghouse.pledges.tests import factories

    factories.pledge(personas, releasability="owner", unit_value="9876.54", external_ref="HIDDEN-REF-1")
    factories.pledge(personas, releasability="public", unit_value="1234.56", external_ref="PUBLIC-REF-2")
    target = tmp_path / "F.xml"
    call_command("export", "iati", "--output", str(target), stdout=StringIO())
    text = target.read_text()
    _validate(target)
    assert "987654.00" not in text and "HIDDEN-REF-1" not in text
    # Nor is a public pledge, one donor's: the records' small cells are withheld (docs/open-data.md).
    assert "123456.00" not in text and "PUBLIC-REF-2" not in text


def test_the_public_page_links_the_iati_download(r29: Any) -> None:
    page = Client().get("/public/")
    assert b'id="iati-link"' in page.content
    response = Client().get("/public/iati.xml?release=29")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/xml")
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    schema.assertValid(etree.fromstring(response.content))
    assert Client().get("/public/iati.xml?participant=ZZZ").status_code == 404


def test_the_schema_ships_with_its_licence() -> None:
    names = {p.name for p in iati.SCHEMA_DIR.iterdir()}
    assert {"iati-activities-schema.xsd", "iati-common.xsd", "xml.xsd", "LICENSE"} <= names


# --- HXL -------------------------------------------------------------------------------------------


def _hxl_rows(data: bytes) -> tuple[list[str], list[str]]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    return rows[0], rows[1]


PAGE_EXPORTS = [
    "totals.csv?by=year",
    "totals.csv?by=month",
    "donors.csv?type=total",
    "donors.csv?per_gdp=true",
    "groups.csv",
    "weapons.csv",
    "groups.csv?source=records",
    "totals.csv?source=records",
]


@pytest.mark.parametrize("query", PAGE_EXPORTS)
def test_every_public_csv_download_has_an_hxl_variant(r29: Any, query: str) -> None:
    sep = "&" if "?" in query else "?"
    plain = Client().get(f"/public/export/{query}").content
    tagged = Client().get(f"/public/export/{query}{sep}hxl=1").content
    header, tags = _hxl_rows(tagged)
    assert header == next(csv.reader(io.StringIO(plain.decode())))
    assert len(tags) == len(header) and all(HXL_TAG.match(t) for t in tags), tags
    # The data rows are the plain file's, unchanged.
    assert tagged.decode().splitlines()[2:] == plain.decode().splitlines()[1:]


def test_the_hxl_row_uses_the_core_hashtags(r29: Any) -> None:
    header, tags = _hxl_rows(exports.to_csv("donors", selectors.donors_report(user=None), hxl=True))
    by_column = dict(zip(header, tags, strict=True))
    assert by_column["participant"] == "#country +code +donor"
    assert by_column["name"] == "#org +donor +name"
    assert by_column["total_eur_bn"] == "#value +eur +billions +total_eur_bn"
    header, tags = _hxl_rows(exports.to_csv("totals", selectors.totals_report(user=None), hxl=True))
    assert dict(zip(header, tags, strict=True))["period"] == "#date"
    header, tags = _hxl_rows(exports.to_csv("weapons", selectors.weapons_report(user=None), hxl=True))
    assert dict(zip(header, tags, strict=True))["value_eur"] == "#value +eur"


@pytest.mark.parametrize("report", ["totals", "donors", "groups", "weapons"])
def test_the_command_line_and_api_csv_have_an_hxl_variant(
    r29: Any, report: str, tmp_path: Path, personas: dict[str, Any], api_client: Any
) -> None:
    target = tmp_path / f"{report}.csv"
    call_command("report", report, "--format", "csv", "--hxl", "--output", str(target), stdout=StringIO())
    header, tags = _hxl_rows(target.read_bytes())
    assert len(tags) == len(header) and all(HXL_TAG.match(t) for t in tags)
    response = api_client(personas["analyst"]).get(f"/api/v1/reports/{report}?format=csv&hxl=true")
    assert response.status_code == 200
    assert _hxl_rows(response.content) == (header, tags)


def test_the_revisions_csv_has_an_hxl_variant(r29: Any, personas: dict[str, Any]) -> None:
    from clearinghouse.tracker import services
    from clearinghouse.tracker.tests.kiel_files import R31_PREVIEW

    services.import_kiel_release(actor=personas["coordinator"], directory=R31_PREVIEW)
    out = StringIO()
    call_command("kiel", "revisions", "--format", "csv", "--hxl", stdout=out)
    header, tags = _hxl_rows(out.getvalue().encode())
    assert header[0] == "participant" and tags[0] == "#country +code +donor"
    assert all(HXL_TAG.match(t) for t in tags) and len(tags) == len(header)


# --- citable figures -------------------------------------------------------------------------------


def test_every_public_table_and_chart_has_a_stable_link_and_a_citation(r29: Any) -> None:
    page = Client().get("/public/")
    html = page.content.decode()
    cites = page.context["cites"]
    assert set(cites) == {"totals", "totals_month", "donors", "gdp", "groups", "weapons"}
    for cite in cites.values():
        assert "release=29#" in cite["url"] and "Release 29" in cite["text"] and cite["url"] in cite["text"]
        anchor = cite["url"].rsplit("#", 1)[1]
        assert f'id="{anchor}"' in html
    assert html.count("Cite this") >= 10  # six tables, five charts (two share a table)
    # The stable link shows that release, and its downloads stay on it.
    pinned = Client().get("/public/?release=29")
    assert pinned.status_code == 200 and "release=29" in pinned.context["links"]["groups"]["csv"]
    assert "hxl=1" in pinned.context["links"]["groups"]["hxl"]
    assert pinned.context["links"]["groups"]["json"].startswith("/api/v1/public/groups")
