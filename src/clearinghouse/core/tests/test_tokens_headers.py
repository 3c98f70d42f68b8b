"""Tokens that expire and cannot breed; headers on every answer; owner-only files; audited doors."""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from clearinghouse.core import clock, services
from clearinghouse.core.headers import content_security_policy
from clearinghouse.core.models import ApiToken, AuditEvent

pytestmark = pytest.mark.django_db


# --- tokens ------------------------------------------------------------------------------------------


def test_tokens_expire_after_the_configured_days(personas: dict[str, Any], settings: Any) -> None:
    settings.TOKEN_MAX_DAYS = 30
    new = services.create_token(actor=personas["analyst"], user=personas["analyst"], name="t")
    assert new.token.expires_at is not None
    left = new.token.expires_at - clock.now()
    assert dt.timedelta(days=29, hours=23) < left <= dt.timedelta(days=30)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {new.raw}")
    assert client.get("/api/v1/me").status_code == 200
    ApiToken.objects.filter(pk=new.token.pk).update(expires_at=clock.now() - dt.timedelta(seconds=1))
    assert client.get("/api/v1/me").status_code == 401


def test_a_token_may_be_shorter_but_never_longer(personas: dict[str, Any], page_client: Any) -> None:
    short = services.create_token(actor=personas["analyst"], user=personas["analyst"], days=7)
    assert short.token.expires_at is not None
    assert (short.token.expires_at - clock.now()).days == 6
    from clearinghouse.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        services.create_token(actor=personas["analyst"], user=personas["analyst"], days=91)
    response = page_client(personas["analyst"]).post("/tokens/", {"name": "long", "days": "400"})
    assert b"from 1 to 90 days" in response.content and b'value="long"' in response.content


def test_the_expiry_is_shown(personas: dict[str, Any], page_client: Any, api_client: Any) -> None:
    new = services.create_token(actor=personas["analyst"], user=personas["analyst"], name="shown")
    page = page_client(personas["analyst"]).get("/tokens/")
    assert f"{new.token.expires_at:%Y-%m-%d}".encode() in page.content
    items = api_client(personas["analyst"]).get("/api/v1/tokens").json()["items"]
    assert all(item["expires_at"] for item in items)


def test_a_token_cannot_create_tokens(personas: dict[str, Any], api_client: Any) -> None:
    response = api_client(personas["admin"]).post(
        "/api/v1/tokens", {"name": "x"}, content_type="application/json"
    )
    assert response.status_code == 403 and "cannot create tokens" in response.json()["detail"]
    assert ApiToken.objects.filter(name="x").count() == 0


def test_a_signed_in_session_creates_tokens_through_the_api(
    personas: dict[str, Any], page_client: Any
) -> None:
    client = page_client(personas["analyst"])
    csrf = client.get("/tokens/").cookies["csrftoken"].value
    client.cookies["csrftoken"] = csrf
    response = client.post(
        "/api/v1/tokens", {"name": "from-session"}, content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    )
    assert response.status_code == 201 and response.json()["token"].startswith("chs_")


def test_revoking_a_token_on_the_page_asks_first(personas: dict[str, Any], page_client: Any) -> None:
    new = services.create_token(actor=personas["analyst"], user=personas["analyst"], name="script")
    client = page_client(personas["analyst"])
    listing = client.get("/tokens/").content.decode()
    assert f'href="/tokens/{new.token.pk}/revoke/"' in listing
    confirm = client.get(f"/tokens/{new.token.pk}/revoke/")
    assert confirm.status_code == 200 and b"cannot be undone" in confirm.content
    # A POST without the confirmation only asks again.
    assert client.post(f"/tokens/{new.token.pk}/revoke/").status_code == 200
    assert ApiToken.objects.get(pk=new.token.pk).revoked_at is None
    assert client.post(f"/tokens/{new.token.pk}/revoke/", {"confirm": "yes"}).status_code == 302
    assert ApiToken.objects.get(pk=new.token.pk).revoked_at is not None
    assert AuditEvent.objects.filter(action="token_revoke", object_id=str(new.token.pk)).count() == 1


# --- headers ------------------------------------------------------------------------------------------


def test_pages_carry_a_nonce_policy_without_unsafe_inline(personas: dict[str, Any], page_client: Any) -> None:
    response = page_client(personas["coordinator"]).get("/")
    policy = response["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce is not None
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert response["Permissions-Policy"].startswith("accelerometer=()")
    assert "camera=()" in response["Permissions-Policy"]
    html = response.content.decode()
    assert f'"inlineScriptNonce": "{nonce.group(1)}"' in html and '"allowEval": false' in html


def test_every_inline_script_and_style_carries_the_nonce_and_no_template_uses_style_attributes() -> None:
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for template in root.glob("**/templates/**/*.html"):
        text = template.read_text()
        for match in re.finditer(r"<(script|style)\b([^>]*)>", text):
            attrs = match.group(2)
            if (
                "src=" not in attrs
                and 'nonce="{{ csp_nonce }}"' not in attrs
                and "application/json" not in attrs
            ):
                offenders.append(f"{template.name}: {match.group(0)}")
        offenders.extend(
            f"{template.name}: {match.group(0).strip()}"
            for match in re.finditer(r"\s(style|on[a-z]+|hx-on[:a-z-]*)=", text)
        )
    assert offenders == []


def test_the_nonce_changes_with_every_answer() -> None:
    first = Client().get("/login/")["Content-Security-Policy"]
    second = Client().get("/login/")["Content-Security-Policy"]
    assert first != second and first.replace(first.split("nonce-")[1].split("'")[0], "") == second.replace(
        second.split("nonce-")[1].split("'")[0], ""
    )


def test_authenticated_answers_are_not_stored(
    personas: dict[str, Any], page_client: Any, api_client: Any
) -> None:
    assert page_client(personas["analyst"]).get("/pledges/")["Cache-Control"] == "no-store"
    assert api_client(personas["analyst"]).get("/api/v1/pledges")["Cache-Control"] == "no-store"
    # What anybody may see (the public page) stays cacheable.
    assert "no-store" not in Client().get("/public/").get("Cache-Control", "")


def test_secure_cookies_bring_hsts_and_an_https_redirect() -> None:
    with override_settings(
        SECURE_SSL_REDIRECT=True, SECURE_HSTS_SECONDS=31536000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True
    ):
        plain = Client().get("/login/")
        assert plain.status_code == 301 and plain["Location"].startswith("https://")
        secure = Client().get("/login/", secure=True)
        assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_settings_turn_hsts_on_with_secure_cookies(tmp_path: Path) -> None:
    code = (
        "from django.conf import settings; import django; django.setup(); "
        "print(settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS)"
    )
    env = {
        **os.environ,
        "CLEARINGHOUSE_DATA_DIR": str(tmp_path / "d"),
        "DJANGO_SETTINGS_MODULE": "clearinghouse.settings",
        "CLEARINGHOUSE_SECURE_COOKIES": "True",
    }
    env.pop("DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "31536000"]
    env["CLEARINGHOUSE_SECURE_COOKIES"] = "False"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "0"]


def test_the_data_dir_and_database_file_are_owner_only(tmp_path: Path) -> None:
    data = tmp_path / "fresh" / "data"
    env = {
        **os.environ,
        "CLEARINGHOUSE_DATA_DIR": str(data),
        "DJANGO_SETTINGS_MODULE": "clearinghouse.settings",
    }
    env.pop("DATABASE_URL", None)
    code = "import django; django.setup(); from django.db import connection; connection.ensure_connection()"
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "clearinghouse.sqlite3").stat().st_mode) == 0o600
    assert stat.S_IMODE((data / "secret_key").stat().st_mode) == 0o600


def test_the_policy_allows_same_origin_scripts_and_styles_for_swagger() -> None:
    policy = content_security_policy("n")
    assert "script-src 'self' 'nonce-n'" in policy and "style-src 'self' 'nonce-n'" in policy
    # Swagger UI served from the app's own static files (the /api/v1/docs work) runs under it.
    assert Client().get("/api/v1/docs").status_code == 200


# --- the audit chain names its door, and never a client's request id ------------------------------------


def test_a_client_request_id_is_not_trusted(personas: dict[str, Any], api_client: Any) -> None:
    client = api_client(personas["analyst"])
    response = client.post(
        "/api/v1/tokens", {"name": "x"}, content_type="application/json", HTTP_X_REQUEST_ID="forged-id-123"
    )
    assert response["X-Request-ID"] != "forged-id-123"
    services.create_token(actor=personas["analyst"], user=personas["analyst"])  # an event to look at
    assert not AuditEvent.objects.filter(request_id="forged-id-123").exists()


def test_api_events_carry_the_door_and_the_address(personas: dict[str, Any]) -> None:
    from clearinghouse.core.services import create_token

    raw = create_token(actor=personas["admin"], user=personas["admin"]).raw
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}", REMOTE_ADDR="192.0.2.44")
    token_id = create_token(actor=personas["admin"], user=personas["admin"]).token.pk
    assert client.delete(f"/api/v1/tokens/{token_id}").status_code == 200
    event = AuditEvent.objects.get(action="token_revoke")
    assert (event.via, event.origin, event.actor) == ("api", "192.0.2.44", "admin")


def test_cli_actions_taken_with_as_are_marked(
    personas: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("token", "create", "analyst", "--as", "admin")
    event = AuditEvent.objects.filter(action="token_create").last()
    assert event is not None and event.via == "cli-as" and event.actor == "admin"
    assert "@" in event.origin  # the OS account and host that ran the command
    from clearinghouse.governance.tests.factories import adopted_handover, incoming_coordinator

    handover = adopted_handover(personas["coordinator"], "GBR", dt.date(2027, 5, 1))
    incoming_coordinator("GBR")
    call_command(
        "mandate",
        "handover",
        "GBR",
        "--on",
        "2027-05-01",
        "--decision",
        str(handover.decision_id),
        "--as",
        "gbr_coord",
    )
    assert AuditEvent.objects.filter(action="handover").last().via == "cli-as"  # type: ignore[union-attr]
