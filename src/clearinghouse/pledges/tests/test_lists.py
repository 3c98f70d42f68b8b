"""Lists that work: sortable columns, totals in EUR over the filtered rows (not one page), filter
chips, saved views, bulk accept from the pledge list, breadcrumbs."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from clearinghouse.core.errors import InvalidInput, NotFound
from clearinghouse.core.models import AuditEvent
from clearinghouse.participants import services as participant_services
from clearinghouse.participants.models import SavedView
from clearinghouse.pledges.models import Pledge
from clearinghouse.pledges.tests import factories

pytestmark = pytest.mark.django_db


def ids_on(content: bytes, what: str = "pledges") -> list[int]:
    table = content.split(f'id="{what}"'.encode())[1].split(b"</table>")[0]
    return [int(n) for n in re.findall(rb'<td><a href="/' + what.encode() + rb'/(\d+)/">', table)]


def test_pledge_list_sorts_by_whitelisted_columns(personas: dict[str, Any], page_client: Any) -> None:
    small = factories.pledge(personas, quantity=1, releasability="contact_group")
    big = factories.pledge(personas, quantity=50, releasability="contact_group")
    mid = factories.pledge(personas, quantity=10, releasability="contact_group")
    client = page_client(personas["coordinator"])
    assert ids_on(client.get("/pledges/").content) == [mid.pk, big.pk, small.pk]  # newest first
    assert ids_on(client.get("/pledges/?sort=value_eur").content) == [small.pk, mid.pk, big.pk]
    page = client.get("/pledges/?sort=-value_eur").content
    assert ids_on(page) == [big.pk, mid.pk, small.pk]
    assert b'aria-sort="descending"' in page and b'href="?sort=value_eur"' in page
    # A field that is not a column (or not allowed) is ignored, never a 500.
    assert ids_on(client.get("/pledges/?sort=owner__users__password").content) == [mid.pk, big.pk, small.pk]


def test_pledge_totals_are_over_every_filtered_row(
    personas: dict[str, Any], page_client: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr("clearinghouse.core.pages.PAGE_SIZE", 1)
    for _ in range(3):
        factories.pledge(personas, quantity=10, releasability="contact_group")  # 30,000 EUR each
    factories.pledge(personas, donor="donor_pol", quantity=1, releasability="owner")  # not visible to DEU
    client = page_client(personas["donor_deu"])
    page = client.get("/pledges/?page=2&kind=in_kind&donor=USA").content.decode()
    assert len(ids_on(page.encode())) == 1  # one row a page
    totals = page.split('id="pledge-totals"')[1].split("</p>")[0]
    assert "<strong>3</strong> pledges match" in totals
    assert "90,000" in totals or "90 000" in totals or "90000" in totals
    # The chips show the active filter, with a link that removes it.
    chips = page.split('id="filter-chips"')[1].split("</ul>")[0]
    assert "Kind: <strong>In kind</strong>" in chips
    assert 'href="?donor=USA"' in chips and 'href="?kind=in_kind"' in chips


def test_requirement_list_sorts_totals_and_chips(personas: dict[str, Any], page_client: Any) -> None:
    low = factories.requirement(personas, priority="low", quantity=10)
    critical = factories.requirement(personas, priority="critical", quantity=20)
    client = page_client(personas["recipient"])
    assert ids_on(client.get("/requirements/").content, "requirements") == [critical.pk, low.pk]
    page = client.get("/requirements/?sort=-quantity&priority=low").content.decode()
    assert ids_on(page.encode(), "requirements") == [low.pk]
    totals = page.split('id="requirement-totals"')[1].split("</p>")[0]
    # 10 rounds at the test catalog's 3,000 EUR.
    assert "<strong>1</strong> requirement match" in totals and "30,000" in totals
    assert "Priority: <strong>Low</strong>" in page
    assert ids_on(client.get("/requirements/?sort=quantity").content, "requirements") == [low.pk, critical.pk]


def test_saved_views_are_saved_applied_and_private(personas: dict[str, Any], page_client: Any) -> None:
    usa = personas["donor_usa"]
    view = participant_services.save_view(
        actor=usa, list_name="pledge-list", name="Mine", query="?donor=USA&page=3&sort=-value_eur"
    )
    assert view.query == "donor=USA&sort=-value_eur"  # the page number is not part of a view
    again = participant_services.save_view(
        actor=usa, list_name="pledge-list", name="Mine", query="kind=in_kind"
    )
    assert again.pk == view.pk and SavedView.objects.get().query == "kind=in_kind"
    assert AuditEvent.objects.filter(object_type="participants.savedview").count() == 2
    with pytest.raises(InvalidInput):
        participant_services.save_view(actor=usa, list_name="../x", name="x", query="")
    with pytest.raises(NotFound):  # another user's view is not found
        participant_services.delete_view(actor=personas["donor_deu"], view_id=view.pk)

    client = page_client(usa)
    page = client.get("/pledges/").content.decode()
    assert 'href="?kind=in_kind">Mine</a>' in page
    assert "Mine" not in page_client(personas["donor_deu"]).get("/pledges/").content.decode()
    saved = client.post(
        "/views/save/",
        {
            "list": "requirement-list",
            "name": "Critical",
            "query": "priority=critical",
            "next": "/requirements/",
        },
    )
    assert saved.status_code == 302 and saved["Location"] == "/requirements/"
    assert 'href="?priority=critical">Critical</a>' in client.get("/requirements/").content.decode()
    assert page_client(personas["donor_deu"]).post(f"/views/{view.pk}/delete/").status_code == 404
    assert client.post(f"/views/{view.pk}/delete/", {"next": "/pledges/"}).status_code == 302
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_bulk_accept_from_the_pledge_list(personas: dict[str, Any], page_client: Any) -> None:
    a = factories.pledge(personas, releasability="contact_group")
    b = factories.pledge(personas, donor="donor_deu", releasability="contact_group")
    done = factories.accepted(personas, releasability="contact_group")
    cell = page_client(personas["coordinator"])
    page = cell.get("/pledges/").content.decode()
    assert f'name="pledge" value="{a.pk}"' in page and f'name="pledge" value="{done.pk}"' not in page
    # A donor may accept nothing: no checkboxes.
    assert 'name="pledge"' not in page_client(personas["donor_usa"]).get("/pledges/").content.decode()
    refused = cell.post(
        "/pledges/offers/accept/", {"pledge": [a.pk, done.pk], "next": "/pledges/"}, follow=True
    )
    text = refused.content.decode()
    assert f"Pledge #{done.pk}: cannot move pledge {done.pk} from accepted to accepted" in text
    assert "Nothing was accepted." in text
    assert Pledge.objects.get(pk=a.pk).status == "offered"
    ok = cell.post("/pledges/offers/accept/", {"pledge": [a.pk, b.pk], "next": "/pledges/?status=offered"})
    assert ok["Location"] == "/pledges/?status=offered"
    assert set(Pledge.objects.filter(pk__in=[a.pk, b.pk]).values_list("status", flat=True)) == {"accepted"}


def test_detail_pages_have_breadcrumbs(personas: dict[str, Any], page_client: Any) -> None:
    p = factories.pledge(personas, releasability="contact_group")
    r = factories.requirement(personas)
    client = page_client(personas["coordinator"])
    pledge_page = client.get(f"/pledges/{p.pk}/").content.decode()
    crumbs = pledge_page.split('aria-label="Breadcrumb"')[1].split("</nav>")[0]
    assert 'href="/pledges/">Pledges</a>' in crumbs and f"Pledge #{p.pk}" in crumbs
    req_page = client.get(f"/requirements/{r.pk}/").content.decode()
    assert 'href="/requirements/">Requirements</a>' in req_page.split('aria-label="Breadcrumb"')[1]


def test_totals_selector_sums_exactly(personas: dict[str, Any]) -> None:
    from clearinghouse.pledges import selectors

    factories.pledge(personas, quantity=3, unit_value="0.10")
    factories.pledge(personas, quantity=7, unit_value="0.20")
    got = selectors.totals(selectors.pledge_list(user=personas["donor_usa"]))
    assert got == {"count": 2, "value_eur": Decimal("1.70"), "unvalued": 0}
