"""Demo data: reference participants, one account per role, and each app's demo records.

Every step is idempotent: running the demo twice duplicates nothing.
"""

from __future__ import annotations

import base64
import importlib
import json
import os
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from clearinghouse.participants import services as participant_services
from clearinghouse.participants.choices import Role
from clearinghouse.participants.models import User

# (username, participant, role)
DEMO_ACCOUNTS: list[tuple[str, str, str]] = [
    ("coordinator", "NATO", Role.COORDINATOR),
    ("donor-usa", "USA", Role.DONOR_OFFICER),
    ("donor-deu", "DEU", Role.DONOR_OFFICER),
    ("donor-pol", "POL", Role.DONOR_OFFICER),
    ("recipient", "UKR", Role.RECIPIENT_OFFICER),
    ("finance", "NATO", Role.FINANCE_OFFICER),
    ("analyst", "NATO", Role.ANALYST),
    ("auditor", "NATO", Role.AUDITOR),
    ("admin", "NATO", Role.ADMIN),
]

# Apps whose `demo.seed(admin)` runs after the accounts exist, in this order (each is idempotent).
DEMO_APPS: list[str] = [
    "governance",
    "catalog",
    "requirements",
    "pledges",
    "clearing",
    "packages",
    "logistics",
    "tracker",
    "funds",
    "frameworks",
]


def _passwords_file() -> Path:
    return Path(settings.DATA_DIR) / "demo-accounts.json"


TOTP_KEY = "totp_secrets"


def _demo_passwords() -> dict[str, Any]:
    """Random passwords (and authenticator secrets of the roles that require a second factor), generated
    once and kept (mode 600) in the data dir so every run prints the same."""
    from clearinghouse.core.mfa import required_for

    path = _passwords_file()
    stored: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    secrets_by_user: dict[str, str] = stored.setdefault(TOTP_KEY, {})
    changed = not path.exists()
    for username, _, role in DEMO_ACCOUNTS:
        if username not in stored:
            stored[username] = f"{username}-{secrets.token_urlsafe(9)}"
            changed = True
        if required_for(User(role=role)) and username not in secrets_by_user:
            secrets_by_user[username] = base64.b32encode(secrets.token_bytes(20)).decode()
            changed = True
    if changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(stored, fh, indent=2)
    return stored


def seed_accounts() -> list[tuple[str, str, str, str, str]]:
    """Create the demo accounts that do not exist yet, with an authenticator for the roles that require
    one; returns (username, participant, role, password, authenticator secret or "")."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from clearinghouse.core.account_services import set_authenticator

    passwords = _demo_passwords()
    totp: dict[str, str] = passwords[TOTP_KEY]
    rows = []
    for username, participant, role in DEMO_ACCOUNTS:
        user = User.objects.filter(username=username).first()
        if user is None:
            participant_services.create_user(
                actor=None,
                username=username,
                participant=participant,
                role=role,
                password=passwords[username],
            )
        elif not user.check_password(passwords[username]):
            with transaction.atomic():
                user.set_password(passwords[username])
                user.save(update_fields=["password"])
        secret = totp.get(username, "")
        if secret:
            key_hex = base64.b32decode(secret).hex()
            account = User.objects.get(username=username)
            if not TOTPDevice.objects.filter(user=account, key=key_hex, confirmed=True).exists():
                set_authenticator(actor=None, user=account, key_hex=key_hex)
        rows.append((username, participant, str(Role(role).label), passwords[username], secret))
    return rows


def run() -> list[tuple[str, str, str, str, str]]:
    """Load everything the demo shows; returns the accounts to print."""
    participant_services.load_reference_data()
    accounts = seed_accounts()
    admin = User.objects.get(username="admin")
    for app in DEMO_APPS:
        importlib.import_module(f"clearinghouse.{app}.demo").seed(admin)
    _announced_at_meetings(admin)
    return accounts


# Demo pledges announced at the contact group's meetings (illustrative links): external ref -> date.
ANNOUNCED_AT = {
    "USA-AMMO-155-2025": "2025-01-09",
    "GBR-2025": "2025-02-12",
    "DEU-GEPARD-2025": "2025-04-11",
    "NOR-NANSEN-2025": "2025-06-04",
}


def _announced_at_meetings(admin: Any) -> None:
    """Link demo pledges to the meeting they were announced at (governance meets pledges here)."""
    from clearinghouse.governance.models import Meeting
    from clearinghouse.pledges.models import Pledge
    from clearinghouse.pledges.services import update_pledge

    for ref, date in ANNOUNCED_AT.items():
        meeting = Meeting.objects.filter(body__code="udcg", date=date).first()
        pledge = Pledge.objects.filter(external_ref=ref, meeting__isnull=True).first()
        if meeting is not None and pledge is not None:
            update_pledge(actor=admin, pledge_id=pledge.pk, changes={"meeting": meeting.pk})
