"""Issue 18 (5): lists without DISTINCT over wide rows, the same rows as the join did, queries bounded
independently of the list's size, and deep pages by cursor."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Q
from django.test import Client
from django.test.utils import CaptureQueriesContext

from clearinghouse.core.releasability import visibility_q
from clearinghouse.pledges.models import Allocation, Delivery, Pledge, PledgeTranche
from clearinghouse.pledges.tests import factories
from clearinghouse.requirements.models import Requirement

pytestmark = pytest.mark.django_db

MARKINGS: list[dict[str, Any]] = [
    {"releasability": "public"},
    {"releasability": "contact_group"},
    {"releasability": "coordination"},
    {"releasability": "owner"},
    {"releasability": "owner", "releasable_to": ["DEU"]},
    {"releasability": "owner", "releasable_to": ["DEU", "POL"]},
    {"releasability": "contact_group", "releasable_to": ["CHN"]},
]


def _joined(model: Any, user: Any, prefix: str = "") -> set[int]:
    """The rows the rule selected before issue 18: `releasable_to` by a join, then DISTINCT."""
    q = visibility_q(user, prefix=prefix)
    children = [c for c in q.children if not (isinstance(c, tuple) and c[0].endswith("pk__in"))]
    if len(children) != len(q.children):
        q = Q(*children, _connector=Q.OR) | Q(**{f"{prefix}releasable_to": user.participant_id})
    return set(model.objects.filter(q).distinct().values_list("pk", flat=True))


@pytest.fixture
def records(personas: dict[str, Any]) -> list[Allocation]:
    out = [
        factories.allocation(personas, donor=donor, quantity=5, **marking)
        for donor in ("donor_usa", "donor_deu")
        for marking in MARKINGS
    ]
    factories.delivery(personas, quantity=2, releasability="owner", releasable_to=["POL"])
    return out


def test_every_persona_sees_the_rows_the_join_selected(personas: dict[str, Any], records: Any) -> None:
    users = {**personas, "anonymous": AnonymousUser()}
    for name, user in users.items():
        model: Any
        for model in (Pledge, Requirement):
            got = model.objects.restrict(user, "view")
            assert "DISTINCT" not in str(got.query).upper(), (name, model)
            ids = list(got.values_list("pk", flat=True))
            assert len(ids) == len(set(ids)), (name, model)
            if getattr(user, "participant_id", None) and visibility_q(user).children:
                assert set(ids) == _joined(model, user), (name, model)
        for model, prefix in ((PledgeTranche, "pledge__"),):
            ids = list(model.objects.restrict(user, "view").values_list("pk", flat=True))
            assert len(ids) == len(set(ids))
            if getattr(user, "participant_id", None) and visibility_q(user).children:
                assert set(ids) == _joined(model, user, prefix), (name, model)
        for model in (Allocation, Delivery):
            ids = list(model.objects.restrict(user, "view").values_list("pk", flat=True))
            assert len(ids) == len(set(ids)), (name, model)


def test_released_by_name_is_a_subquery_not_a_join(personas: dict[str, Any], records: Any) -> None:
    sql = str(Pledge.objects.restrict(personas["donor_deu"], "view").query)
    assert "DISTINCT" not in sql.upper()
    assert "pledges_pledge_releasable_to" in sql and " IN (SELECT" in sql.upper()


def test_list_queries_do_not_grow_with_the_list(personas: dict[str, Any], api_client: Any) -> None:
    client = api_client(personas["donor_deu"])
    pages = Client()
    pages.force_login(personas["donor_deu"])

    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            answer = (client if path.startswith("/api/") else pages).get(path)
            assert answer.status_code == 200
        return len(captured)

    factories.pledge(personas, donor="donor_deu", releasability="owner", releasable_to=["POL"])
    factories.requirement(personas, releasability="contact_group")
    few = {p: queries(p) for p in ("/api/v1/pledges", "/api/v1/requirements", "/pledges/")}
    for i in range(12):
        factories.pledge(personas, donor="donor_deu", releasability="owner", releasable_to=["POL"])
        factories.pledge(personas, releasability="contact_group", external_ref=f"more-{i}")
        factories.requirement(personas, releasability="contact_group")
    for path, count in few.items():
        assert queries(path) <= count, path


def test_deep_pages_by_cursor(personas: dict[str, Any], api_client: Any) -> None:
    for i in range(7):
        factories.pledge(personas, releasability="public", external_ref=f"C-{i}")
    client = api_client(personas["donor_deu"])
    everything = client.get("/api/v1/pledges?limit=100").json()
    ids = [p["id"] for p in everything["items"]]
    assert ids == sorted(ids, reverse=True) and len(ids) >= 7
    seen: list[int] = []
    cursor = None
    while True:
        path = "/api/v1/pledges?limit=3" + (f"&cursor={cursor}" if cursor is not None else "")
        page = client.get(path).json()
        assert set(page) == {"items", "count"} and page["count"] == everything["count"]
        if not page["items"]:
            break
        seen += [p["id"] for p in page["items"]]
        cursor = page["items"][-1]["id"]
    assert seen == ids
    # Offset still works, and a list in another order refuses a cursor with the field's path.
    assert [p["id"] for p in client.get("/api/v1/pledges?limit=2&offset=2").json()["items"]] == ids[2:4]
    refused = client.get("/api/v1/requirements?cursor=5")
    assert refused.status_code == 422 and refused.json()["field"] == "query.cursor"
    assert client.get("/api/v1/pledges?cursor=-1").status_code == 422
