"""Sign-in: one throttle for every door, a second factor for the roles that need one, sessions a
person can see and end, security events in the audit chain."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import PASSWORD
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clearinghouse.core.models import AuditEvent, UserSession

pytestmark = pytest.mark.django_db


def _client(address: str = "10.0.0.1") -> Client:
    return Client(REMOTE_ADDR=address)


def _code(device: TOTPDevice, ahead: int = 0) -> str:
    totp = TOTP(
        device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift + ahead
    )
    return f"{totp.token():06d}"


def _sign_in(client: Client, username: str, password: str = PASSWORD) -> Any:
    return client.post("/login/", {"username": username, "password": password})


def _actions(since: int) -> list[str]:
    return list(
        AuditEvent.objects.filter(sequence__gt=since).order_by("sequence").values_list("action", flat=True)
    )


def _last_sequence() -> int:
    last = AuditEvent.objects.order_by("-sequence").first()
    return last.sequence if last else 0


# --- one throttle for every door --------------------------------------------------------------------


def test_the_admin_login_is_the_throttled_login(personas: dict[str, Any]) -> None:
    # Eight wrong passwords, then the right one: the admin's door used to let that in.
    client = _client()
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
    for _ in range(8):
        _sign_in(client, "analyst", "wrong-password")
    response = _sign_in(client, "analyst")
    assert response.status_code == 200 and b"Too many failed sign-ins" in response.content
    assert client.get("/admin/").status_code == 302


def test_django_authenticate_shares_the_throttle(personas: dict[str, Any]) -> None:
    from django.contrib.auth import authenticate
    from django.test import RequestFactory

    request = RequestFactory().post("/anywhere/", REMOTE_ADDR="10.9.9.9")
    for _ in range(5):
        assert authenticate(request, username="analyst", password="wrong") is None
    assert authenticate(request, username="analyst", password=PASSWORD) is None
    other = RequestFactory().post("/anywhere/", REMOTE_ADDR="10.9.9.10")
    assert authenticate(other, username="analyst", password=PASSWORD) is not None


def test_a_success_does_not_reset_the_address_count_for_other_usernames(personas: dict[str, Any]) -> None:
    client = _client("10.0.0.2")
    # Spraying many usernames from one address (fewer than the per-pair limit each) ...
    for victim in ("auditor", "donor_usa", "donor_deu", "donor_pol"):
        for _ in range(4):
            _sign_in(client, victim, "wrong-password")
    # ... then a successful sign-in to the attacker's own account ...
    assert _sign_in(client, "analyst").status_code == 302
    client.post("/logout/")
    # ... does not clear the address: four more guesses lock it.
    for _ in range(4):
        _sign_in(client, "recipient", "wrong-password")
    response = _sign_in(client, "recipient")
    assert b"Too many failed sign-ins" in response.content


def test_guessing_at_a_named_account_does_not_lock_its_owner_out(personas: dict[str, Any]) -> None:
    attacker = _client("203.0.113.5")
    for _ in range(30):
        _sign_in(attacker, "auditor", "wrong-password")
    assert b"Too many failed sign-ins" in _sign_in(attacker, "auditor").content
    owner = _client("198.51.100.7")
    assert _sign_in(owner, "auditor").status_code == 302


def test_the_wait_grows_with_each_failure(settings) -> None:
    from clearinghouse.core.throttle import _wait

    settings.LOGIN_LOCKOUT_SECONDS = 900
    waits = [_wait(n, 5) for n in range(1, 12)]
    assert waits[:4] == [0, 0, 0, 0]
    assert waits[4:] == [30, 60, 120, 240, 480, 900, 900]


def test_failures_and_lockouts_are_audited(personas: dict[str, Any]) -> None:
    since = _last_sequence()
    client = _client("10.0.0.3")
    for _ in range(5):
        _sign_in(client, "analyst", "wrong-password")
    actions = _actions(since)
    assert actions.count("signin_failed") == 5 and actions.count("signin_lockout") == 1
    event = AuditEvent.objects.filter(action="signin_failed").last()
    assert event is not None and event.after["address"] == "10.0.0.3" and event.via == "page"
    assert event.after["username"] == "analyst"


def test_a_successful_sign_in_is_audited_and_recorded_as_a_session(personas: dict[str, Any]) -> None:
    since = _last_sequence()
    client = _client("10.0.0.4")
    assert _sign_in(client, "analyst").status_code == 302
    assert _actions(since) == ["signin"]
    row = UserSession.objects.get(user=personas["analyst"])
    assert row.address == "10.0.0.4" and row.session_key == client.session.session_key


# --- a second factor ---------------------------------------------------------------------------------


def test_a_required_role_without_an_authenticator_enrols_at_first_sign_in(personas: dict[str, Any]) -> None:
    client = _client()
    response = _sign_in(client, "coordinator")
    assert response.status_code == 302 and response["Location"] == "/login/second-step/"
    # Not signed in yet: the password alone opens nothing.
    assert client.get("/").status_code == 302
    page = client.get("/login/second-step/")
    assert b'id="mfa-secret"' in page.content and b'src="data:image/svg+xml' in page.content
    device = TOTPDevice.objects.get(user=personas["coordinator"], confirmed=False)
    assert client.post("/login/second-step/", {"code": "000000"}).status_code == 200
    assert client.get("/").status_code == 302
    response = client.post("/login/second-step/", {"code": _code(device)})
    assert response.status_code == 200 and b'id="recovery-codes"' in response.content
    codes = StaticToken.objects.filter(device__user=personas["coordinator"]).values_list("token", flat=True)
    assert len(codes) == 10 and all(c.encode() in response.content for c in codes)
    assert client.get("/").status_code == 200
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert AuditEvent.objects.filter(action="mfa_enrol", object_id=str(personas["coordinator"].pk)).exists()


def _enrolled(user: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def test_a_user_with_an_authenticator_gives_a_code_after_the_password(personas: dict[str, Any]) -> None:
    device = _enrolled(personas["finance"])
    client = _client()
    assert _sign_in(client, "finance")["Location"] == "/login/second-step/"
    page = client.get("/login/second-step/")
    assert b"mfa-secret" not in page.content
    response = client.post("/login/second-step/", {"code": _code(device)})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert UserSession.objects.get(user=personas["finance"]).mfa


def test_a_recovery_code_works_once(personas: dict[str, Any]) -> None:
    from clearinghouse.core import account_services

    _enrolled(personas["finance"])
    codes = account_services.new_recovery_codes(user=personas["finance"])
    first = _client()
    _sign_in(first, "finance")
    assert first.post("/login/second-step/", {"code": codes[0]}).status_code == 302
    second = _client("10.0.0.8")
    _sign_in(second, "finance")
    assert second.post("/login/second-step/", {"code": codes[0]}).status_code == 200
    assert second.get("/").status_code == 302


def test_wrong_codes_count_in_the_shared_throttle(personas: dict[str, Any]) -> None:
    device = _enrolled(personas["finance"])
    client = _client("10.0.0.9")
    _sign_in(client, "finance")
    for _ in range(5):
        client.post("/login/second-step/", {"code": "123456"})
    response = client.post("/login/second-step/", {"code": _code(device)})
    assert response.status_code == 200 and b"Too many failed sign-ins" in response.content


def test_optional_roles_sign_in_with_the_password_and_may_turn_mfa_on(personas: dict[str, Any]) -> None:
    client = _client()
    assert _sign_in(client, "analyst")["Location"] == "/"
    client.get("/account/authenticator/?restart=1")
    device = TOTPDevice.objects.get(user=personas["analyst"], confirmed=False)
    response = client.post("/account/authenticator/", {"code": _code(device)})
    assert b'id="recovery-codes"' in response.content
    client.post("/logout/")
    assert _sign_in(client, "analyst")["Location"] == "/login/second-step/"


def test_an_unverified_session_of_a_required_role_is_signed_out(personas: dict[str, Any]) -> None:
    client = Client()
    client.force_login(personas["coordinator"])  # a session made without the second step
    assert client.get("/").status_code == 302
    client.force_login(personas["admin"])
    assert client.get("/api/v1/me").status_code == 401


def test_the_admin_site_requires_a_verified_session(personas: dict[str, Any], page_client: Any) -> None:
    assert page_client(personas["admin"]).get("/admin/").status_code == 200
    client = Client()
    client.force_login(personas["admin"])
    assert client.get("/admin/").status_code == 302


def test_bearer_tokens_are_not_asked_for_a_code(personas: dict[str, Any], api_client: Any) -> None:
    assert api_client(personas["coordinator"]).get("/api/v1/me").status_code == 200


# --- sessions and passwords --------------------------------------------------------------------------


def test_a_user_sees_and_ends_their_sessions(personas: dict[str, Any]) -> None:
    laptop, phone = _client("10.1.0.1"), _client("10.1.0.2")
    _sign_in(laptop, "analyst")
    _sign_in(phone, "analyst")
    page = laptop.get("/account/")
    assert b"10.1.0.1" in page.content and b"10.1.0.2" in page.content
    other = UserSession.objects.get(address="10.1.0.2")
    confirm = laptop.get(f"/account/sessions/{other.pk}/end/")
    assert confirm.status_code == 200 and b"confirm-button" in confirm.content
    assert phone.get("/").status_code == 200, "asking for confirmation ends nothing"
    laptop.post(f"/account/sessions/{other.pk}/end/", {"confirm": "yes"})
    assert phone.get("/").status_code == 302
    assert laptop.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="session_revoke").count() == 1


def test_nobody_ends_another_persons_session(personas: dict[str, Any], page_client: Any) -> None:
    victim = _client("10.1.0.3")
    _sign_in(victim, "analyst")
    row = UserSession.objects.get(user=personas["analyst"])
    intruder = page_client(personas["donor_usa"])
    assert intruder.post(f"/account/sessions/{row.pk}/end/", {"confirm": "yes"}).status_code == 404
    assert victim.get("/").status_code == 200


def test_sessions_api(personas: dict[str, Any], api_client: Any) -> None:
    browser = _client("10.1.0.4")
    _sign_in(browser, "analyst")
    api = api_client(personas["analyst"])
    sessions = api.get("/api/v1/sessions").json()["items"]
    assert [s["address"] for s in sessions] == ["10.1.0.4"]
    assert api.delete(f"/api/v1/sessions/{sessions[0]['id']}").status_code == 204
    assert browser.get("/").status_code == 302


def test_changing_the_password_ends_the_other_sessions(personas: dict[str, Any]) -> None:
    laptop, phone = _client("10.2.0.1"), _client("10.2.0.2")
    _sign_in(laptop, "analyst")
    _sign_in(phone, "analyst")
    new = "a-new-long-passphrase-77"
    response = laptop.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password": new, "new_password2": new},
    )
    assert response.status_code == 302
    assert laptop.get("/").status_code == 200, "the session that changed it stays"
    assert phone.get("/").status_code == 302
    event = AuditEvent.objects.get(action="password_change")
    assert event.after == {"other_sessions_ended": 1}
    assert _sign_in(_client("10.2.0.3"), "analyst", new).status_code == 302


def test_a_wrong_current_password_changes_nothing(personas: dict[str, Any]) -> None:
    client = _client()
    _sign_in(client, "analyst")
    response = client.post(
        "/account/password/",
        {
            "old_password": "nope",
            "new_password": "a-new-long-passphrase-77",
            "new_password2": "a-new-long-passphrase-77",
        },
    )
    assert response.status_code == 200 and b"not correct" in response.content
    assert not AuditEvent.objects.filter(action="password_change").exists()
