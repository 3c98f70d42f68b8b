"""The global search: every kind, grouped, through each app's visibility rule (releasability)."""

from __future__ import annotations

from typing import Any

import pytest

from clearinghouse.pledges.tests import factories
from clearinghouse.reports import search

pytestmark = pytest.mark.django_db


def _ids(found: dict[str, list[search.Hit]], kind: str) -> set[str]:
    return {h.id for h in found[kind]}


def test_search_finds_each_kind_and_respects_releasability(personas: dict[str, Any]) -> None:
    open_req = factories.requirement(personas, external_ref="SHELLS-NORTH", releasability="contact_group")
    secret_req = factories.requirement(personas, external_ref="SHELLS-SECRET", releasability="owner")
    usa = factories.pledge(personas, external_ref="SHELLS-USA", releasability="contact_group")
    pol = factories.pledge(personas, donor="donor_pol", external_ref="SHELLS-POL", releasability="owner")
    public = factories.pledge(personas, donor="donor_pol", external_ref="SHELLS-PUB", releasability="public")

    found = search.search(user=personas["coordinator"], q="shells")
    assert _ids(found, "requirements") == {str(open_req.pk), str(secret_req.pk)}
    assert _ids(found, "pledges") == {str(usa.pk), str(pol.pk), str(public.pk)}

    other_donor = search.search(user=personas["donor_deu"], q="shells")
    assert _ids(other_donor, "requirements") == {str(open_req.pk)}
    assert _ids(other_donor, "pledges") == {str(usa.pk), str(public.pk)}  # not POL's own-eyes-only

    nonmember = search.search(user=personas["nonmember"], q="shells")
    assert _ids(nonmember, "requirements") == set()
    assert _ids(nonmember, "pledges") == {str(public.pk)}
    # Not even by its number.
    assert search.search(user=personas["nonmember"], q=f"#{pol.pk}")["pledges"] == []
    assert _ids(search.search(user=personas["donor_pol"], q=f"#{pol.pk}"), "pledges") == {str(pol.pk)}

    people = search.search(user=personas["analyst"], q="germany")
    assert "DEU" in _ids(people, "participants")
    assert search.search(user=personas["analyst"], q="x") == {k: [] for k in search.KINDS}


def test_search_finds_meetings_and_packages(personas: dict[str, Any]) -> None:
    from clearinghouse.governance import services as governance
    from clearinghouse.packages import services as packages

    governance.load_bodies()
    meeting = governance.create_meeting(
        actor=personas["coordinator"],
        data={"body": "udcg", "date": "2025-06-04", "title": "Ramstein format", "format": "in_person"},
    )
    factories.ensure_catalog()
    package = packages.create_package(
        actor=personas["coordinator"],
        data={
            "title": "Ramstein shells",
            "implementer": "USA",
            "items": [{"item_type": "AMM-155-HE", "quantity": 7, "unit_value": "3100.10", "currency": "USD"}],
        },
    )
    found = search.search(user=personas["coordinator"], q="ramstein")
    assert _ids(found, "meetings") == {str(meeting.pk)}
    assert _ids(found, "packages") == {str(package.pk)}
    assert found["meetings"][0].url == f"/governance/meetings/{meeting.pk}/"


def test_search_api_and_page(personas: dict[str, Any], api_client: Any, page_client: Any) -> None:
    usa = factories.pledge(personas, external_ref="FINDME-1", releasability="owner")
    body = api_client(personas["donor_usa"]).get("/api/v1/search?q=findme").json()
    assert body["count"] == 1 and body["results"]["pledges"][0]["id"] == str(usa.pk)
    assert set(body["results"]) == set(search.KINDS)
    other = api_client(personas["donor_deu"]).get("/api/v1/search?q=findme").json()
    assert other["count"] == 0 and other["results"]["pledges"] == []
    too_long = api_client(personas["donor_usa"]).get("/api/v1/search?q=" + "a" * 101)
    assert too_long.status_code == 422 and too_long.json()["field"] == "q"

    page = page_client(personas["donor_usa"]).get("/search/?q=findme").content.decode()
    assert f'href="/pledges/{usa.pk}/"' in page and 'id="results-pledges"' in page
    assert 'id="header-q"' in page
    assert (
        f"/pledges/{usa.pk}/"
        not in page_client(personas["donor_deu"]).get("/search/?q=findme").content.decode()
    )
