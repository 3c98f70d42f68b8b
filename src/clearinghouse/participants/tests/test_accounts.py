"""Accounts for any participant: CLI, page and API; every change audited; deactivation is immediate."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from clearinghouse.core.models import ApiToken, AuditEvent
from clearinghouse.core.services import create_token
from clearinghouse.participants.models import User

pytestmark = pytest.mark.django_db


def test_cli_creates_an_account_and_prints_its_password_last(
    reference_data: None, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command(
        "user", "create", "officer-chn", "--participant", "CHN", "--role", "analyst", "--email", "a@b.cn"
    )
    out = capsys.readouterr().out.strip().splitlines()
    password = out[-1]
    user = User.objects.get(username="officer-chn")
    assert (user.participant.code, user.role, user.email) == ("CHN", "analyst", "a@b.cn")
    assert user.check_password(password) and len(password) >= 16
    assert password not in json.dumps(
        AuditEvent.objects.get(action="create", object_type="participants.user", object_id=str(user.pk)).after
    )
    event = AuditEvent.objects.get(action="create", object_type="participants.user", object_id=str(user.pk))
    assert event.via == "cli" and "@" in event.origin and event.actor == "system"
    assert (
        Client(REMOTE_ADDR="10.3.0.1")
        .post("/login/", {"username": "officer-chn", "password": password})
        .status_code
        == 302
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x1", "--participant", "XXX", "--role", "analyst"], "Unknown participant"),
        (["bad name!", "--participant", "DEU", "--role", "analyst"], "Enter a valid username"),
        (["x2", "--participant", "DEU", "--role", "analyst", "--email", "nope"], "valid email"),
    ],
)
def test_cli_refuses_bad_input_in_one_line(reference_data: None, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("user", "create", *args)
    assert not User.objects.filter(username__in=["x1", "bad name!", "x2"]).exists()


def test_cli_refuses_a_duplicate(personas: dict[str, Any]) -> None:
    with pytest.raises(CommandError, match="exists already"):
        call_command("user", "create", "analyst", "--participant", "NATO", "--role", "analyst")


def test_cli_lists_accounts_as_json(personas: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    call_command("user", "list", "--format", "json")
    data = json.loads(capsys.readouterr().out)
    rows = {r["username"]: r for r in data["items"]}
    assert data["count"] == len(personas) and rows["donor_deu"]["participant"] == "DEU"
    assert rows["analyst"]["is_active"] is True and "password" not in rows["analyst"]


def test_deactivation_stops_sessions_and_tokens_at_once(
    personas: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    browser = Client(REMOTE_ADDR="10.3.0.2")
    from conftest import PASSWORD

    assert browser.post("/login/", {"username": "donor_pol", "password": PASSWORD}).status_code == 302
    raw = create_token(actor=personas["donor_pol"], user=personas["donor_pol"]).raw
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert browser.get("/").status_code == 200 and api.get("/api/v1/me").status_code == 200
    call_command("user", "deactivate", "donor_pol", "--as", "admin")
    assert browser.get("/").status_code == 302
    assert api.get("/api/v1/me").status_code == 401
    assert not ApiToken.objects.filter(user=personas["donor_pol"], revoked_at__isnull=True).exists()
    event = AuditEvent.objects.get(action="deactivate")
    assert event.before is not None and event.after is not None
    assert event.before["is_active"] is True and event.after["is_active"] is False
    assert event.after["sessions_ended"] == 1 and event.after["tokens_revoked"] == 1
    assert event.via == "cli-as" and event.actor == "admin"
    assert browser.post("/login/", {"username": "donor_pol", "password": PASSWORD}).status_code == 200


def test_only_admins_manage_accounts(personas: dict[str, Any]) -> None:
    with pytest.raises(CommandError, match="Only an admin"):
        call_command("user", "deactivate", "donor_pol", "--as", "coordinator")
    assert User.objects.get(username="donor_pol").is_active


def test_admins_create_and_deactivate_accounts_on_a_page(personas: dict[str, Any], page_client: Any) -> None:
    admin = page_client(personas["admin"])
    response = admin.post(
        "/users/", {"username": "new-officer", "participant": "CHN", "role": "donor_officer"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    password = html.split('id="new-password">')[1].split("<")[0]
    assert User.objects.get(username="new-officer").check_password(password)
    assert admin.get("/users/").content.decode().count(password) == 0, "shown once"
    # Bad input: the form comes back with the error beside the field and what was typed.
    bad = admin.post("/users/", {"username": "new-officer", "participant": "CHN", "role": "analyst"})
    assert b"exists already" in bad.content and b'value="new-officer"' in bad.content
    confirm = admin.get("/users/new-officer/deactivate/")
    assert confirm.status_code == 200 and b"confirm-button" in confirm.content
    assert User.objects.get(username="new-officer").is_active
    assert admin.post("/users/new-officer/deactivate/", {"confirm": "yes"}).status_code == 302
    assert not User.objects.get(username="new-officer").is_active
    assert page_client(personas["coordinator"]).get("/users/").status_code == 403


def test_the_api_creates_and_deactivates_accounts(personas: dict[str, Any], api_client: Any) -> None:
    admin = api_client(personas["admin"])
    response = admin.post(
        "/api/v1/users",
        {"username": "api-officer", "participant": "KOR", "role": "analyst"},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["participant"] == "KOR" and User.objects.get(username="api-officer").check_password(
        body["password"]
    )
    bad = admin.post(
        "/api/v1/users",
        {"username": "x", "participant": "KOR", "role": "boss"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["field"].endswith("role")
    assert admin.post("/api/v1/users/api-officer/deactivate").json()["is_active"] is False
    assert api_client(personas["donor_usa"]).post("/api/v1/users/api-officer/deactivate").status_code == 404


def test_nobody_deactivates_themselves(personas: dict[str, Any], api_client: Any) -> None:
    assert api_client(personas["admin"]).post("/api/v1/users/admin/deactivate").status_code == 409


def test_lost_password_and_lost_authenticator(
    personas: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    call_command("user", "reset-password", "finance", "--as", "admin")
    password = capsys.readouterr().out.strip().splitlines()[-1]
    assert User.objects.get(username="finance").check_password(password)
    assert AuditEvent.objects.filter(action="password_reset").count() == 1
    TOTPDevice.objects.create(user=personas["finance"], name="lost phone", confirmed=True)
    with pytest.raises(CommandError, match="needs an admin"):
        call_command("user", "reset-mfa", "finance")
    call_command("user", "reset-mfa", "finance", "--as", "admin")
    assert not TOTPDevice.objects.filter(user=personas["finance"]).exists()
    response = Client(REMOTE_ADDR="10.3.0.9").post("/login/", {"username": "finance", "password": password})
    assert response["Location"] == "/login/second-step/", "enrols again at the next sign-in"
