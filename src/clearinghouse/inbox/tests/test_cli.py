"""`clearinghouse inbox --as USER [--format json]`: the API's answer, and a readable text form."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from clearinghouse.pledges.tests import factories

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("inbox", *args, stdout=out)
    return out.getvalue()


def test_json_mirrors_the_api_and_text_lists_the_items(personas: dict[str, Any], api_client: Any) -> None:
    p = factories.pledge(personas)
    data = json.loads(run("--as", "coordinator", "--format", "json"))
    assert data == api_client(personas["coordinator"]).get("/api/v1/inbox").json()
    assert [i["url"] for i in data["items"]] == [f"/pledges/{p.pk}/"] and data["count"] == 1
    text = run("--as", "coordinator")
    assert "Offers to decide (1)" in text and f"/pledges/{p.pk}/" in text
    assert run("--as", "analyst").strip() == "Nothing waits for analyst."


def test_an_unknown_account_is_one_readable_error(personas: dict[str, Any]) -> None:
    with pytest.raises(CommandError, match="no active account named 'nobody'"):
        run("--as", "nobody")
