"""Role management for admins on a page (and the command line): audited, one role replacing the other,
in force from the account's next request, never one's own."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from tests.page_text import python_structures

from clearinghouse.core.models import AuditEvent
from clearinghouse.participants.models import User
from clearinghouse.participants.services import create_user

pytestmark = pytest.mark.django_db


def test_an_admin_grants_another_role_and_it_is_audited(personas: dict[str, Any], page_client: Any) -> None:
    create_user(actor=None, username="ana", participant="USA", role="analyst", password=None)
    client = page_client(personas["admin"])
    assert reverse("user-role", args=["ana"]) in client.get(reverse("user-list")).content.decode()
    assert client.get(reverse("user-role", args=["ana"])).status_code == 200
    r = client.post(reverse("user-role", args=["ana"]), {"role": "auditor"})
    assert r.status_code == 302
    ana = User.objects.get(username="ana")
    assert ana.role == "auditor" and not ana.is_superuser
    event = AuditEvent.objects.filter(object_type="participants.user", action="role_change").get()
    assert event.before["role"] == "analyst" and event.after["role"] == "auditor" and event.actor == "admin"
    # The new role takes effect at once: the auditor reads the audit page the analyst could not, and
    # the change is there in words (a table of fields), not as a Python dict.
    audit_page = page_client(ana).get(reverse("audit") + "?object_type=participants.user")
    assert audit_page.status_code == 200
    html = audit_page.content.decode()
    assert "<td><code>role</code></td><td>analyst</td><td>auditor</td>" in html
    assert not python_structures(html), python_structures(html)


def test_role_errors_and_refusals(personas: dict[str, Any], page_client: Any) -> None:
    create_user(actor=None, username="ana", participant="USA", role="analyst", password=None)
    client = page_client(personas["admin"])
    r = client.post(reverse("user-role", args=["ana"]), {"role": "emperor"})
    assert (
        r.status_code == 422 and "emperor" in r.content.decode().split('id="err-role"')[1].split("</ul>")[0]
    )
    r = client.post(reverse("user-role", args=["admin"]), {"role": "analyst"})
    assert r.status_code == 422 and "your own role" in r.content.decode()
    assert client.get(reverse("user-role", args=["nobody"])).status_code == 404
    for persona in ("coordinator", "auditor", "analyst"):
        assert (
            page_client(personas[persona])
            .post(reverse("user-role", args=["ana"]), {"role": "admin"})
            .status_code
            == 403
        )
    assert User.objects.get(username="ana").role == "analyst"
    assert User.objects.get(username="admin").role == "admin"
    assert not AuditEvent.objects.filter(action="role_change").exists()


def test_role_from_the_command_line(personas: dict[str, Any]) -> None:
    create_user(actor=None, username="ana", participant="USA", role="analyst", password=None)
    out = StringIO()
    call_command("user", "role", "ana", "coordinator", stdout=out)
    assert "Coordinator" in out.getvalue()
    assert User.objects.get(username="ana").role == "coordinator"


def test_role_through_the_api(personas: dict[str, Any], api_client: Any) -> None:
    create_user(actor=None, username="ana", participant="USA", role="analyst", password=None)
    admin = api_client(personas["admin"])
    r = admin.post("/api/v1/users/ana/role", {"role": "nope"}, content_type="application/json")
    assert r.status_code == 422
    r = admin.post("/api/v1/users/ana/role", {"role": "coordinator"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["role"] == "coordinator"
    r = admin.post("/api/v1/users/admin/role", {"role": "analyst"}, content_type="application/json")
    assert r.status_code == 409
    assert (
        api_client(personas["analyst"])
        .post("/api/v1/users/ana/role", {"role": "admin"}, content_type="application/json")
        .status_code
        == 403
    )
