"""Shared fixtures: reference data, one persona per demo role, an outsider and an anonymous client.

Imports of Django code stay inside fixtures so that the pure engine's tests (matching/) need no Django.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.snapshot import Step

PERSONAS: dict[str, tuple[str, str]] = {
    # name: (participant, role)
    "coordinator": ("NATO", "coordinator"),
    "donor_usa": ("USA", "donor_officer"),
    "donor_deu": ("DEU", "donor_officer"),
    "donor_pol": ("POL", "donor_officer"),
    "recipient": ("UKR", "recipient_officer"),
    "finance": ("NATO", "finance_officer"),
    "analyst": ("NATO", "analyst"),
    "auditor": ("NATO", "auditor"),
    "admin": ("NATO", "admin"),
    "outsider": ("JPN", "donor_officer"),
    # A participant outside the contact group (`in_contact_group = false`): public records only.
    "nonmember": ("CHN", "analyst"),
}
PASSWORD = "correct-horse-battery-staple-42"


# Argon2 (the shipped hasher) is slow on purpose; the tests hash with MD5 and still read Argon2 hashes.
# core/tests/test_auth.py checks that the shipped settings hash with Argon2.
TEST_PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any) -> Iterator[None]:
    """pytest-django's test databases, with the cheap password hasher for the whole session."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=TEST_PASSWORD_HASHERS):
        yield


def _uses_transactional_db(request: pytest.FixtureRequest) -> bool:
    names = set(request.fixturenames)
    marker = request.node.get_closest_marker("django_db")
    return bool(
        names & {"transactional_db", "live_server"}
        or (marker is not None and marker.kwargs.get("transaction"))
    )


@pytest.fixture(autouse=True)
def _audit_append_only_guard(request: pytest.FixtureRequest) -> Any:
    """Keep the audit table's append-only triggers in place for every database test.

    A transactional test's database is emptied by DELETE after the test, which the triggers would
    refuse: lift them just before that flush, and put them back at the start of the next test.
    """
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if marker is None and not names & {"db", "transactional_db", "live_server"}:
        yield
        return
    transactional = _uses_transactional_db(request)
    request.getfixturevalue("transactional_db" if transactional else "db")
    from clearinghouse.core.audit import install_append_only_guard, remove_append_only_guard

    install_append_only_guard()
    yield
    if transactional:
        remove_append_only_guard()


@pytest.fixture(autouse=True)
def _audit_anchors_in_tmp(request: pytest.FixtureRequest) -> Any:
    """Keep the audit signing key and checkpoint file of every database test in a temporary dir, never
    in the developer's data dir (each test's chain starts afresh, so its checkpoints must too)."""
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if marker is None and not names & {"db", "transactional_db", "live_server"}:
        yield
        return
    from django.test import override_settings

    tmp = request.getfixturevalue("tmp_path")
    with override_settings(
        CLEARINGHOUSE_AUDIT_SIGNING_KEY_FILE=tmp / "audit-signing-key.pem",
        CLEARINGHOUSE_CHECKPOINT_FILE=tmp / "audit-checkpoints.jsonl",
    ):
        yield


@pytest.fixture(autouse=True)
def _jobs_in_process() -> Any:
    """Background jobs run in the test's own process (core.jobs), even when a broker is exported
    (CI's PostgreSQL pass): only the tests that start a worker send jobs to it, through their
    `broker` fixture (tests/test_jobs_queue.py)."""
    from django.test import override_settings

    with override_settings(CLEARINGHOUSE_BROKER_URL=""):
        yield


def _load_reference_data() -> None:
    from clearinghouse.participants.services import load_reference_data

    load_reference_data()


def _create_personas() -> None:
    from clearinghouse.participants.models import User
    from clearinghouse.participants.services import create_user

    for name, (participant, role) in PERSONAS.items():
        create_user(actor=None, username=name, participant=participant, role=role, password=None)
    # The shared test password, hashed once per process (the cheap test hasher; see _test_settings).
    User.objects.filter(username__in=PERSONAS).update(password=_password_hash())


# Built through the services by the first test of a worker that asks, restored from rows afterwards.
_REFERENCE_DATA = Step(_load_reference_data)
_PERSONAS = Step(_create_personas)


@pytest.fixture
def reference_data(db: Any) -> None:
    """Participants, groups and mandates from the shipped data files."""
    _REFERENCE_DATA.run()


@pytest.fixture
def personas(reference_data: None) -> dict[str, Any]:
    """One account per role, an outsider (a donor officer of another participant) and a non-member."""
    from clearinghouse.participants.models import User

    _PERSONAS.run()
    users = User.objects.select_related("participant").in_bulk(list(PERSONAS), field_name="username")
    return {name: users[name] for name in PERSONAS}


_HASH: list[str] = []


def _password_hash() -> str:
    from django.contrib.auth.hashers import make_password

    if not _HASH:
        _HASH.append(make_password(PASSWORD))
    return _HASH[0]


@pytest.fixture
def api_client() -> Any:
    """A client for one persona: `api_client(user)` signs in with a bearer token; None stays anonymous."""
    from django.test import Client

    from clearinghouse.core.services import create_token

    def make(user: Any | None) -> Client:
        if user is None:
            return Client()
        raw = create_token(actor=user, user=user, name="test").raw
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    return make


@pytest.fixture
def page_client() -> Any:
    """A browser-like client signed in with a session for one persona (None: anonymous).

    Roles that require a second factor get an authenticator and a session verified with it, as the
    sign-in pages would leave it (core/tests/test_mfa.py tests those pages themselves)."""
    from django.test import Client

    def make(user: Any | None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
            verify_session_with_second_factor(client, user)
        return client

    return make


def verify_session_with_second_factor(client: Any, user: Any) -> None:
    """Mark a test client's session as signed in with the user's authenticator (made if missing)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from clearinghouse.core.mfa import required_for

    if not required_for(user):
        return
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test authenticator", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright, started once per test process (modules using it call
    tests.browser.require_chromium()); every test gets its own contexts from `open_page`."""
    from playwright.sync_api import sync_playwright
    from tests.browser import CHROMIUM, LAUNCH_ARGS

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    """`open_page(width=1366, height=800, init_script=None)`: a signed-out page in a fresh browser context
    (its own cookies and storage); every context is closed after the test."""
    contexts: list[Any] = []

    def make(*, width: int = 1366, height: int = 800, init_script: str | None = None) -> Any:
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        if init_script is not None:
            context.add_init_script(init_script)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page: Any) -> Any:
    """A signed-out page, 1366×800, in its own browser context."""
    return open_page()
