"""Meetings (API, pledges announced at them, the page since the previous meeting) and the briefing pack."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from clearinghouse.core import clock
from clearinghouse.governance import services
from clearinghouse.pledges.tests import factories

pytestmark = pytest.mark.django_db

TODAY = clock.today()


def _meetings(p: dict[str, Any]) -> tuple[Any, Any]:
    first = services.create_meeting(
        actor=p["coordinator"],
        data={"body": "udcg", "date": (TODAY - dt.timedelta(days=60)).isoformat(), "title": "UDCG 30"},
    )
    second = services.create_meeting(
        actor=p["coordinator"],
        data={
            "body": "udcg",
            "date": TODAY.isoformat(),
            "title": "UDCG 31",
            "format": "hybrid",
            "place": "NATO HQ, Brussels",
            "chairs": ["GBR", "DEU"],
            "agenda": ["Air defence", "Winter needs"],
        },
    )
    return first, second


def test_meetings_api_contract(bodies: dict[str, Any], api_client: Any) -> None:
    coord = api_client(bodies["coordinator"])
    r = coord.post(
        "/api/v1/meetings",
        {
            "body": "udcg",
            "date": "2025-04-11",
            "title": "UDCG 27",
            "format": "in_person",
            "agenda": ["Air defence"],
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    mid = r.json()["id"]
    got = api_client(bodies["donor_deu"]).get(f"/api/v1/meetings/{mid}").json()
    assert (got["body"], got["date"], got["title"], got["format"], got["agenda"]) == (
        "udcg",
        "2025-04-11",
        "UDCG 27",
        "in_person",
        ["Air defence"],
    )
    assert api_client(bodies["donor_deu"]).get("/api/v1/meetings").json()["count"] == 1
    r = coord.post(
        "/api/v1/meetings",
        {"body": "udcg", "date": "2025-04-11", "title": "x", "format": "zoom"},
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["field"] == "format"
    r = api_client(bodies["donor_deu"]).post(
        "/api/v1/meetings",
        {"body": "udcg", "date": "2025-04-11", "title": "x"},
        content_type="application/json",
    )
    assert r.status_code == 403


def test_pledge_links_to_its_meeting_and_the_page_shows_since_previous(
    bodies: dict[str, Any], page_client: Any
) -> None:
    _first, second = _meetings(bodies)
    pledge = factories.pledge(bodies, meeting=second.pk, releasability="contact_group")
    assert pledge.meeting_id == second.pk
    hidden = factories.pledge(bodies, donor="donor_deu", releasability="owner", purpose="secret-owner-only")
    decision = services.propose_decision(
        actor=bodies["coordinator"], data={"body": "udcg", "title": "Pending item"}
    )
    r = page_client(bodies["donor_pol"]).get(f"/governance/meetings/{second.pk}/")
    assert r.status_code == 200
    html = r.content.decode()
    assert f"P{pledge.pk}</a>" in html and "Pending item" in html
    assert "the previous meeting" in html and f"/governance/meetings/{_first.pk}/" in html
    assert f"P{hidden.pk}</a>" not in html  # DEU's owner-only pledge: not for POL
    assert f"/governance/decisions/{decision.pk}/" in html


def _pdf_text(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def test_briefing_pack_content_and_releasability(
    bodies: dict[str, Any], page_client: Any, tmp_path: Any
) -> None:
    _first, second = _meetings(bodies)
    factories.requirement(bodies)
    shared = factories.pledge(bodies, meeting=second.pk, releasability="contact_group")
    secret = factories.pledge(bodies, donor="donor_deu", releasability="owner")
    services.propose_decision(
        actor=bodies["coordinator"], data={"body": "udcg", "title": "Endorse winter list"}
    )
    # Downloaded from the meeting page by DEU's officer: DEU sees its own owner-only pledge.
    r = page_client(bodies["donor_deu"]).get(f"/governance/meetings/{second.pk}/briefing.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    pages = _pdf_text(r.content)
    text = "\n".join(pages)
    for expected in (
        "Agenda",
        "Air defence",
        "Shortfalls by capability",
        "Fund compliance",
        "Decisions pending",
        "Endorse winter list",
        f"P{shared.pk} USA",
        f"P{secret.pk} DEU",
    ):
        assert expected in text, expected
    assert all("Marking: OWNER" in page for page in pages)
    # Made for POL: DEU's owner-only pledge is not in it, and the marking is the contact group's.
    out = tmp_path / "pack.pdf"
    call_command("briefing", str(second.pk), "--output", str(out), "--as", "donor_pol")
    pages = _pdf_text(out.read_bytes())
    text = "\n".join(pages)
    assert f"P{shared.pk} USA" in text and f"P{secret.pk} DEU" not in text
    assert all("Marking: CONTACT GROUP" in page for page in pages)
    # The public pack: no contact-group pledge at all.
    call_command("briefing", str(second.pk), "--output", str(out))
    text = "\n".join(_pdf_text(out.read_bytes()))
    assert f"P{shared.pk}" not in text and "Marking: PUBLIC" in text


def test_the_secretariat_records_a_meeting_from_the_meetings_page(
    bodies: dict[str, Any], page_client: Any
) -> None:
    from clearinghouse.governance.models import Meeting

    officer = page_client(bodies["donor_deu"])
    assert "Record a meeting" not in officer.get("/governance/meetings/").content.decode()
    assert officer.get("/governance/meetings/new/").status_code == 403
    coord = page_client(bodies["coordinator"])
    assert "/governance/meetings/new/" in coord.get("/governance/meetings/").content.decode()
    form = {
        "body": "udcg",
        "date": "2025-09-09",
        "title": "30th meeting",
        "format": "hybrid",
        "place": "London",
        "agenda": "Air defence\n\nDrones\n",
        "chairs": "GBR, DEU",
        "attendance": "GBR DEU UKR, POL",
        "minutes": "Pledges for air defence.",
        "source": "UK MOD, 9 September 2025",
    }
    bad = coord.post("/governance/meetings/new/", {**form, "attendance": "GBR XXX"})
    assert bad.status_code == 200 and "XXX" in bad.content.decode() and not Meeting.objects.exists()
    r = coord.post("/governance/meetings/new/", form)
    meeting = Meeting.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/governance/meetings/{meeting.pk}/"
    assert (meeting.body.code, meeting.format, meeting.place, meeting.agenda, meeting.minutes) == (
        "udcg",
        "hybrid",
        "London",
        ["Air defence", "Drones"],
        "Pledges for air defence.",
    )
    assert sorted(p.code for p in meeting.chairs.all()) == ["DEU", "GBR"]
    assert sorted(p.code for p in meeting.attendance.all()) == ["DEU", "GBR", "POL", "UKR"]
    assert "30th meeting" in coord.get(f"/governance/meetings/{meeting.pk}/").content.decode()


def test_the_command_line_lists_bodies_and_records_and_shows_meetings(
    bodies: dict[str, Any], api_client: Any
) -> None:
    import json

    from django.core.management import CommandError

    def run(*args: str) -> Any:
        out = io.StringIO()
        call_command(*args, "--format", "json", stdout=out)
        return json.loads(out.getvalue())

    # `body list` answers what `GET /api/v1/bodies` answers.
    listed = run("body", "list")
    api = api_client(bodies["coordinator"]).get("/api/v1/bodies").json()
    assert listed["count"] == api["count"] and {b["code"] for b in listed["items"]} == {
        b["code"] for b in api["items"]
    }
    udcg = run("body", "show", "UDCG")
    assert udcg["kind"] == "contact_group" and "UKR" in udcg["members"]
    with pytest.raises(CommandError, match="nope"):
        run("body", "show", "nope")
    # Only the secretariat records a meeting; the record is the API's.
    args = ("meeting", "create", "udcg", "--date", "2025-09-09", "--title", "30th meeting")
    with pytest.raises(CommandError, match="secretariat"):
        run(*args, "--as", "donor_deu")
    made = run(
        *args, "--meeting-format", "hybrid", "--agenda", "Air defence", "--agenda", "Drones",
        "--chairs", "GBR,DEU", "--as", "coordinator",
    )  # fmt: skip
    assert (made["format"], made["agenda"], made["chairs"]) == (
        "hybrid",
        ["Air defence", "Drones"],
        ["DEU", "GBR"],
    )
    shown = api_client(bodies["coordinator"]).get(f"/api/v1/meetings/{made['id']}").json()
    assert run("meeting", "show", str(made["id"])) == made and shown["title"] == "30th meeting"
    assert [m["id"] for m in run("meeting", "list", "--body", "udcg")["items"]] == [made["id"]]
    with pytest.raises(CommandError, match="date"):
        run("meeting", "create", "udcg", "--date", "someday", "--title", "x", "--as", "coordinator")
