"""The contact group's own records in the reports: confidentiality and small-cell suppression."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from clearinghouse.participants.models import Participant
from clearinghouse.reports import selectors
from clearinghouse.reports.suppression import Cell, Contribution, aggregate, aggregate_cell, ratio

# ---------------------------------------------------------------- the rule itself (pure Python)


def c(donor: str, value: str, visible: bool = True, record: int = 0) -> Contribution:
    return Contribution(
        record=record or hash((donor, value)),
        donor=donor,
        column="total",
        value=Decimal(value),
        visible=visible,
    )


def test_a_cell_the_viewer_sees_whole_is_never_suppressed() -> None:
    cell = aggregate_cell([c("USA", "1.5")], always_protect=False)
    assert cell == Cell(value=Decimal("1.5"), suppressed=False, contributors=1)


def test_a_protected_cell_with_fewer_than_three_donors_is_suppressed() -> None:
    cell = aggregate_cell([c("USA", "1"), c("DEU", "2")], always_protect=True)
    assert (cell.value, cell.suppressed, cell.shown, cell.contributors) == (None, True, None, 2)


def test_hidden_records_decide_nothing() -> None:
    """Whether a cell is withheld depends on the viewer and the visible donors, never on hidden records."""
    visible = [c("USA", "1"), c("DEU", "2")]
    hidden = [c("FRA", "4", visible=False), c("POL", "8", visible=False)]
    for protect in (False, True):
        assert aggregate_cell(visible + hidden, always_protect=protect) == aggregate_cell(
            visible, always_protect=protect
        )
    assert aggregate_cell(visible + hidden, always_protect=False).value == Decimal("3")


def test_three_donors_are_enough_and_hidden_records_stay_out_of_the_sum() -> None:
    cell = aggregate_cell(
        [c("USA", "1"), c("DEU", "2"), c("FRA", "4"), c("POL", "8", visible=False)], always_protect=True
    )
    assert (cell.value, cell.suppressed, cell.contributors) == (Decimal("7"), False, 3)


def test_two_records_of_one_donor_are_one_contributor() -> None:
    cell = aggregate_cell(
        [c("USA", "1", record=1), c("USA", "2", record=2), c("DEU", "4"), c("FRA", "1", visible=False)],
        always_protect=True,
    )
    assert cell.suppressed and cell.contributors == 2


def test_the_public_page_always_protects() -> None:
    assert aggregate_cell([c("USA", "1"), c("DEU", "2")], always_protect=True).suppressed
    assert not aggregate_cell([c("USA", "1"), c("DEU", "2"), c("GBR", "3")], always_protect=True).suppressed


def test_a_cell_with_nothing_visible_shows_zero_and_its_key_is_left_out() -> None:
    assert aggregate_cell([c("USA", "1", visible=False)], always_protect=True) == Cell(value=Decimal(0))
    cells = aggregate([c("USA", "1", visible=False), c("DEU", "2")], lambda x: x.donor, always_protect=False)
    assert set(cells) == {"DEU"}


def test_a_share_of_a_suppressed_cell_is_suppressed() -> None:
    shown, hidden = Cell(value=Decimal("1")), Cell(value=None, suppressed=True)
    assert ratio(hidden, Cell(value=Decimal("4"))).suppressed
    assert ratio(shown, hidden).suppressed
    assert ratio(shown, Cell(value=Decimal("4"))).value == Decimal("0.25")
    assert ratio(shown, Cell(value=Decimal(0))).value is None


# ---------------------------------------------------------------- pledges in the reports

pytestmark = pytest.mark.django_db


@pytest.fixture
def pledges(personas: dict[str, Any]) -> dict[str, Any]:
    """Pledges of several donors and markings, written straight to the table (values in EUR)."""
    from clearinghouse.catalog.models import ItemType
    from clearinghouse.pledges.models import Pledge
    from clearinghouse.pledges.tests.factories import ensure_catalog

    ensure_catalog()
    item = ItemType.objects.get(code="AD-NASAMS")
    made = {}

    def add(
        name: str, donor: str, kind: str, status: str, eur: str, marking: str, day: str, **more: Any
    ) -> None:
        fields: dict[str, Any] = (
            {"amount": Decimal(eur)} if kind == "financial" else {"item_type": item, "quantity": 10}
        )
        made[name] = Pledge.objects.create(
            owner=Participant.objects.get(code=donor),
            kind=kind,
            status=status,
            currency="EUR",
            available_from=dt.date.fromisoformat(day),
            value_amount=Decimal(eur),
            value_eur=Decimal(eur),
            fx_rate=Decimal(1),
            fx_date=dt.date.fromisoformat(day),
            releasability=marking,
            **fields,
            **more,
        )

    add("usa", "USA", "financial", "committed", "100000000.00", "public", "2024-01-15")
    add("deu", "DEU", "financial", "committed", "50000000.00", "public", "2024-02-01")
    add("fra", "FRA", "financial", "delivered", "25000000.00", "public", "2024-03-01")
    add("pol", "POL", "in_kind", "committed", "30000000.00", "owner", "2024-03-10")
    add("gbr", "GBR", "financial", "delivered", "20000000.00", "contact_group", "2024-05-05")
    add("usa_offer", "USA", "financial", "offered", "10000000.00", "public", "2024-06-01")
    add("deu_secret", "DEU", "in_kind", "committed", "40000000.00", "owner", "2024-04-01")
    add("deu_gone", "DEU", "financial", "withdrawn", "99000000.00", "public", "2024-04-02")
    add(
        "nor",
        "NOR",
        "in_kind",
        "in_delivery",
        "12345678.91",
        "coordination",
        "2025-01-20",
        allocated_quantity=10,
        delivered_quantity=4,
    )
    return made


def year(report: dict[str, Any], period: str) -> dict[str, Any]:
    return next(r for r in report["rows"] if r["period"] == period)


def test_the_coordination_cell_sees_every_record_and_nothing_is_withheld(
    pledges: dict[str, Any], personas: dict[str, Any]
) -> None:
    report = selectors.totals_report(user=personas["coordinator"], source="records")
    assert report["source"] == "records" and "not the Kiel Institute's figures" in report["source_label"]
    y2024 = year(report, "2024")
    assert y2024["military"] == Decimal("0.07")  # POL and DEU in kind: in kind counts as military
    assert y2024["financial"] == Decimal("0.195")
    assert y2024["humanitarian"] == 0
    assert y2024["total"] == Decimal("0.265")  # committed, in delivery, delivered
    assert y2024["commitments"] == Decimal("0.275")  # every live pledge, offered included; withdrawn not
    assert y2024["delivered"] == Decimal("0.045")
    assert y2024["suppressed"] is False
    y2025 = year(report, "2025")
    assert y2025["military"] == Decimal("0.01234567891")
    assert y2025["delivered"] == Decimal("0.004938271564")  # 4 of 10 units delivered


def test_a_donor_sees_only_what_it_may_and_its_figures_are_protected(
    pledges: dict[str, Any], personas: dict[str, Any]
) -> None:
    report = selectors.totals_report(user=personas["donor_pol"], source="records")
    # POL does not see every marking: its figures are protected, whatever is or is not hidden.
    assert report["suppression"]["protected"] is True
    y2024 = year(report, "2024")
    # Military 2024: POL sees only its own in-kind pledge (DEU's is owner-marked): one donor, withheld.
    assert y2024["military"] is None and "military" in y2024["suppressed_fields"]
    # Total = military + financial: one of them goes too, or the military figure is a subtraction.
    assert y2024["financial"] is None or y2024["total"] is None
    # Commitments: every live pledge POL may see; DEU's confidential 40 million stays out.
    assert y2024["commitments"] == Decimal("0.235")
    # NOR's coordination-marked pledge (2025) is invisible to POL: the year does not appear at all.
    assert [r["period"] for r in report["rows"]] == ["2024"]
    donors = {
        d["participant"]: d
        for d in selectors.donors_report(user=personas["donor_pol"], source="records")["donors"]
    }
    # One donor behind each figure of the donors report: every one is withheld, none ranked.
    assert set(donors) == {"USA", "DEU", "FRA", "GBR", "POL"}
    assert all(d["value_eur_bn"] is None and d["suppressed"] and d["rank"] is None for d in donors.values())


def test_the_public_view_uses_public_records_and_always_suppresses_small_cells(
    pledges: dict[str, Any],
) -> None:
    report = selectors.totals_report(user=None, source="records", public=True)
    y2024 = year(report, "2024")
    assert y2024["commitments"] == Decimal("0.185")  # USA (twice), DEU, FRA: public pledges only
    assert y2024["military"] == 0  # no public in-kind pledge
    # Financial and total (USA, DEU, FRA: three donors) would pass on their own, but commitments
    # minus total would then be the USA's offered pledge (0.01) to the cent: withheld as well.
    assert y2024["financial"] is None and y2024["total"] is None
    assert {"financial", "total"} <= set(y2024["suppressed_fields"])
    assert y2024["delivered"] is None and "delivered" in y2024["suppressed_fields"]  # FRA alone
    groups = {
        g["group"]: g for g in selectors.groups_report(user=None, source="records", public=True)["groups"]
    }
    assert groups["partners"]["financial"] == 0
    assert groups["eu27"]["financial"] is None and groups["eu27"]["suppressed"]  # DEU and FRA only
    assert groups["usa"]["financial"] is None
    assert groups["usa"]["share_of_military"] is None


def test_the_groups_of_records_for_the_coordination_cell(
    pledges: dict[str, Any], personas: dict[str, Any]
) -> None:
    report = selectors.groups_report(user=personas["coordinator"], source="records")
    groups = {g["group"]: g for g in report["groups"]}
    assert groups["usa"]["financial"] == Decimal("0.1")  # one donor, but nothing hidden: shown
    assert groups["allies"]["military"] == Decimal("0.08234567891")
    assert groups["allies"]["share_of_military"] == Decimal(1)
    assert report["all_donors"]["total"] == Decimal("0.27734567891")


def test_records_weapons_by_capability_area(pledges: dict[str, Any], personas: dict[str, Any]) -> None:
    report = selectors.weapons_report(user=personas["coordinator"], source="records")
    [category] = report["by_category"]
    assert category["category"] == "Air-Defence"
    assert (category["count"], category["value_eur"]) == (30, Decimal("82345678.91"))
    pol_view = selectors.weapons_report(user=personas["donor_pol"], source="records")
    assert pol_view["by_category"][0]["count"] is None  # DEU and NOR hidden, POL alone: withheld


def test_the_eu_share_is_for_the_tracker_only(pledges: dict[str, Any], personas: dict[str, Any]) -> None:
    from clearinghouse.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as caught:
        selectors.donors_report(user=personas["coordinator"], source="records", with_eu_share=True)
    assert caught.value.field == "with_eu_share"


def test_the_api_reports_records_as_the_caller_sees_them(
    pledges: dict[str, Any], personas: dict[str, Any], api_client: Any
) -> None:
    body = api_client(personas["donor_pol"]).get("/api/v1/reports/donors?source=records").json()
    deu = next(d for d in body["donors"] if d["participant"] == "DEU")
    assert (deu["value_eur_bn"], deu["suppressed"]) == (None, True)
    assert body["suppression"]["min_contributors"] == 3
    totals = api_client(personas["coordinator"]).get("/api/v1/reports/totals?source=records").json()
    assert totals["rows"][0]["total"] == "0.265000"
    assert totals["suppression"]["protected"] is False
    csv_text = api_client(personas["donor_pol"]).get("/api/v1/reports/totals?source=records&format=csv")
    assert csv_text.content.decode().splitlines()[1] == "2024,,,0.000000,,0.235000,,true"


def test_the_command_line_reports_records_as_the_account_sees_them(pledges: dict[str, Any]) -> None:
    out = StringIO()
    call_command(
        "report", "totals", "--source", "records", "--as", "donor_pol", "--format", "json", stdout=out
    )
    row = json.loads(out.getvalue())["rows"][0]
    assert (row["military"], row["suppressed"], row["commitments"]) == (None, True, "0.235000")
    out = StringIO()
    call_command("report", "groups", "--source", "records", "--as", "donor_pol", stdout=out)
    assert "withheld" in out.getvalue()


def test_the_pages_show_records_apart_and_withheld_cells(
    pledges: dict[str, Any], personas: dict[str, Any], page_client: Any
) -> None:
    html = page_client(personas["donor_pol"]).get("/reports/?source=records").content.decode()
    assert "Contact group records, not the Kiel tracker's figures." in html
    assert 'class="withheld"' in html
    public = page_client(None).get("/public/").content.decode()
    assert 'id="table-records-totals"' in public
    assert "0.185" in public and 'class="withheld"' in public
    assert "0.235" not in public and "0.275" not in public  # no contact-group or owner-marked pledge
    export = page_client(None).get("/public/export/totals.csv?source=records").content.decode().splitlines()
    assert export[1] == "2024,0.000000,,0.000000,,0.185000,,true"


def _everything(client: Any) -> dict[str, Any]:
    """Every records report a viewer can get from the API, including each single month's donors."""
    got: dict[str, Any] = {}
    for by in ("year", "month"):
        got[f"totals-{by}"] = client.get(f"/api/v1/reports/totals?source=records&by={by}").json()
    got["groups"] = client.get("/api/v1/reports/groups?source=records").json()
    got["weapons"] = client.get("/api/v1/reports/weapons?source=records").json()
    for aid_type in ("military", "financial", "total"):
        donors = f"/api/v1/reports/donors?source=records&type={aid_type}"
        got[f"donors-{aid_type}"] = client.get(donors).json()
        for month in range(1, 13):
            m = f"2024-{month:02d}"
            got[f"donors-{aid_type}-{m}"] = client.get(f"{donors}&from={m}&to={m}").json()
    return got


def test_a_hidden_pledge_changes_nothing_the_viewer_gets(
    pledges: dict[str, Any], personas: dict[str, Any], api_client: Any
) -> None:
    """Adding or removing a pledge POL may not see leaves every figure, and every withheld cell, as it was."""
    from clearinghouse.pledges.models import Pledge

    pol = api_client(personas["donor_pol"])
    before = _everything(pol)
    # FRA's delivered financial pledge (March 2024) is alone in its month; DEU adds a confidential one.
    secret = Pledge.objects.create(
        owner=Participant.objects.get(code="DEU"),
        kind="financial",
        status="committed",
        currency="EUR",
        amount=Decimal("5000000.00"),
        available_from=dt.date(2024, 3, 20),
        value_amount=Decimal("5000000.00"),
        value_eur=Decimal("5000000.00"),
        fx_rate=Decimal(1),
        fx_date=dt.date(2024, 3, 20),
        releasability="owner",
    )
    assert _everything(pol) == before
    # And one taken away: DEU's confidential in-kind pledge of April 2024 is withdrawn.
    Pledge.objects.filter(pk=pledges["deu_secret"].pk).update(status="withdrawn")
    secret.delete()
    assert _everything(pol) == before
    # The coordination cell sees both changes (so they were real).
    assert (
        _everything(api_client(personas["coordinator"]))["totals-year"]["rows"][0]["military"] == "0.030000"
    )
