"""Participants reference data, mandates and handover, through services, API and pages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pycountry
import pytest

from clearinghouse.core.errors import Conflict, InvalidInput
from clearinghouse.core.models import AuditEvent
from clearinghouse.participants import services
from clearinghouse.participants.models import CoordinationMandate, Participant, ParticipantGroup

pytestmark = pytest.mark.django_db

# The release shipped in the package (a copy of shared/data/kiel-r29), so no ../shared is needed.
KIEL_R29 = Path(__file__).resolve().parents[2] / "tracker" / "data" / "kiel-r29"


def test_the_32_allies_with_accession_years(reference_data: None) -> None:
    allies = Participant.objects.filter(kind="ally")
    assert allies.count() == 32
    assert all(a.alliance_accession_year for a in allies)
    assert allies.get(code="SWE").alliance_accession_year == 2024
    assert allies.get(code="FIN").alliance_accession_year == 2023
    assert ParticipantGroup.objects.get(code="alliance").members.count() == 32
    assert ParticipantGroup.objects.get(code="eu27").members.count() == 27


def test_country_codes_are_iso_alpha3(reference_data: None) -> None:
    for p in Participant.objects.exclude(code__in=["EU", "NATO"]):
        assert pycountry.countries.get(alpha_3=p.code) is not None, p.code
    kinds = dict(Participant.objects.values_list("code", "kind"))
    assert (
        kinds["EU"] == "organisation" and kinds["UKR"] == "recipient" and kinds["NATO"] == "coordinating_body"
    )


def test_every_tracker_donor_is_a_participant(reference_data: None) -> None:
    import csv

    with open(KIEL_R29 / "data_explorer.csv", encoding="utf-8") as fh:
        codes = {row["iso"] for row in csv.DictReader(fh)}
    known = set(Participant.objects.values_list("code", flat=True))
    assert codes - known == set()
    outside = set(Participant.objects.filter(in_contact_group=False).values_list("code", flat=True))
    assert outside == {"CHN", "IND", "TWN"}


def test_initial_mandates(reference_data: None) -> None:
    mandates = list(CoordinationMandate.objects.filter(function="delivery_coordination").order_by("start"))
    assert [(m.participant.code, m.start) for m in mandates] == [
        ("USA", dt.date(2022, 4, 26)),
        ("NATO", dt.date(2025, 1, 1)),
    ]
    assert _mandate_holder(dt.date(2023, 1, 1)) == "USA"
    assert _mandate_holder(dt.date(2026, 1, 1)) == "NATO"
    # The chair of the contact group: the US, then the UK with Germany as co-chair (public dates).
    chairs = CoordinationMandate.objects.filter(function="chair").order_by("start", "co_chair")
    assert [(m.participant.code, m.start, m.co_chair) for m in chairs] == [
        ("USA", dt.date(2022, 4, 26), False),
        ("GBR", dt.date(2025, 2, 12), False),
        ("DEU", dt.date(2025, 2, 12), True),
    ]
    assert all(m.source for m in CoordinationMandate.objects.all())
    chair = services.current_mandate(dt.date(2025, 3, 1), function="chair")
    assert chair is not None and chair.participant.code == "GBR"


def test_handover_closes_and_opens_leaving_history(personas: dict[str, Any]) -> None:
    # The mechanics; who may hand over (a decision and the incoming participant's acceptance) is
    # governance's (governance/tests/test_handover.py).
    first = CoordinationMandate.objects.get(participant__code="USA", function="delivery_coordination")
    snapshot = (first.start, first.end, first.notes)
    new = services.transfer_coordination(actor=personas["coordinator"], to="GBR", on=dt.date(2027, 1, 1))
    first.refresh_from_db()
    assert (first.start, first.end, first.notes) == snapshot
    assert CoordinationMandate.objects.get(participant__code="NATO").end == dt.date(2027, 1, 1)
    assert new.end is None and _mandate_holder(dt.date(2027, 2, 1)) == "GBR"


def test_handover_is_refused_cleanly(personas: dict[str, Any]) -> None:
    count = AuditEvent.objects.count()
    with pytest.raises(Conflict):
        services.transfer_coordination(actor=personas["coordinator"], to="NATO", on=dt.date(2027, 1, 1))
    with pytest.raises(InvalidInput):
        services.transfer_coordination(actor=personas["coordinator"], to="GBR", on=dt.date(2024, 1, 1))
    assert AuditEvent.objects.count() == count


def test_api_participants(personas: dict[str, Any], api_client) -> None:
    client = api_client(personas["donor_usa"])
    body = client.get("/api/v1/participants?kind=ally&limit=5").json()
    assert body["count"] == 32 and len(body["items"]) == 5
    detail = client.get("/api/v1/participants/usa").json()
    assert detail["code"] == "USA" and "alliance" in detail["groups"]
    assert client.get("/api/v1/participants/XXX").status_code == 404
    assert client.get("/api/v1/participants?kind=nonsense").status_code == 422
    assert client.get("/api/v1/participants?limit=-1").status_code == 422


def test_home_page_shows_who_leads(personas: dict[str, Any], page_client) -> None:
    response = page_client(personas["donor_deu"]).get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "North Atlantic Treaty Organization" in html and "Ally" in html and "Partner" in html


def test_api_limit_is_capped(personas: dict[str, Any], api_client) -> None:
    client = api_client(personas["analyst"])
    assert client.get("/api/v1/participants?limit=1000").status_code == 200
    too_many = client.get("/api/v1/participants?limit=1001")
    assert too_many.status_code == 422 and too_many.json()["field"] == "query.limit"


def _mandate_holder(on: dt.date) -> str | None:
    mandate = services.current_mandate(on)
    return mandate.participant.code if mandate is not None else None
