"""Services of a person's own security: sign-in records, sessions, second factor, password.

The only code that writes these records; each change is one transaction with its audit event.
"""

from __future__ import annotations

from typing import cast

from django.contrib.auth import password_validation
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clearinghouse.core import audit, mfa
from clearinghouse.core.actors import Account, Actor, is_signed_in
from clearinghouse.core.errors import InvalidInput, NotFound, PermissionDenied
from clearinghouse.core.i18n import is_time_zone, language_codes
from clearinghouse.core.models import UserSession


def record_signin(
    *, user: Account, session_key: str, address: str, user_agent: str, mfa_used: bool
) -> UserSession:
    """Note a new browser session so its owner can see and end it, and audit the sign-in."""
    with transaction.atomic():
        session = UserSession.objects.create(
            user=user,
            session_key=session_key,
            address=address[:45],
            user_agent=user_agent[:200],
            mfa=mfa_used,
        )
        audit.record(
            actor=user,
            action="signin",
            object_type="participants.user",
            object_id=user.pk,
            after={"address": address[:45], "mfa": mfa_used, "session": session.pk},
        )
    return session


def forget_session(*, session_key: str) -> None:
    """Drop the record of a session that was signed out (the session itself is already gone)."""
    with transaction.atomic():
        UserSession.objects.filter(session_key=session_key).delete()


def end_sessions(*, user: Account, keep: str | None = None) -> int:
    """End every browser session of `user` except `keep`; returns how many (no audit: callers do)."""
    ended = 0
    for row in UserSession.objects.filter(user=user).exclude(session_key=keep or ""):
        SessionStore(session_key=row.session_key).delete()
        row.delete()
        ended += 1
    return ended


def revoke_session(*, actor: Actor, session_id: int) -> UserSession:
    """End one browser session (your own; an admin's, anybody's)."""
    with transaction.atomic():
        row = (
            UserSession.objects.restrict(actor, "change").select_related("user").filter(pk=session_id).first()
        )
        if row is None:
            raise NotFound("Session not found.")
        SessionStore(session_key=row.session_key).delete()
        audit.record(
            actor=actor,
            action="session_revoke",
            object_type="participants.user",
            object_id=row.user_id,
            before={"session": row.pk, "address": row.address, "created_at": row.created_at},
            after=None,
        )
        row.delete()
    return cast("UserSession", row)


def change_password(*, user: Account, old_password: str, new_password: str, keep_session: str | None) -> int:
    """Change your password (the old one proves it is you); ends your other sessions, returns how many."""
    if not user.check_password(old_password):
        raise InvalidInput("Your current password is not correct.", field="old_password")
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="new_password") from exc
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        ended = end_sessions(user=user, keep=keep_session)
        audit.record(
            actor=user,
            action="password_change",
            object_type="participants.user",
            object_id=user.pk,
            after={"other_sessions_ended": ended},
        )
    return ended


def start_enrolment(*, user: Account) -> TOTPDevice:
    """A new, unconfirmed authenticator for `user` (replacing an earlier unconfirmed one)."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def _new_recovery_codes(user: Account) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(mfa.RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def confirm_enrolment(*, user: Account, device_id: int, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm an authenticator with a code from it; returns it and new recovery codes (shown once)."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update().filter(pk=device_id, user=user, confirmed=False).first()
        )
        if device is None:
            raise NotFound("That enrolment has expired: start again.")
        if not device.verify_token("".join(code.split())):
            raise InvalidInput(
                "That code is not right: check the time on your device and try again.", field="code"
            )
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        audit.record(
            actor=user,
            action="mfa_enrol",
            object_type="participants.user",
            object_id=user.pk,
            after={"device": device.pk, "recovery_codes": len(codes)},
        )
    return device, codes


def set_authenticator(*, actor: Actor | None, user: Account, key_hex: str) -> TOTPDevice:
    """Give `user` a confirmed authenticator with a known secret (the demo's accounts; system only)."""
    if actor is not None:
        raise PermissionDenied("Only the system sets a known authenticator secret.")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(user=user, name="demo authenticator", key=key_hex, confirmed=True)
        audit.record(
            actor=None,
            action="mfa_enrol",
            object_type="participants.user",
            object_id=user.pk,
            after={"device": device.pk, "demo": True},
        )
    return device


def new_recovery_codes(*, user: Account) -> list[str]:
    """Replace your recovery codes (the old ones stop working); returns the new ones, shown once."""
    if not mfa.has_mfa(user):
        raise PermissionDenied("Set up an authenticator first.")
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        audit.record(
            actor=user,
            action="mfa_recovery_codes",
            object_type="participants.user",
            object_id=user.pk,
            after={"recovery_codes": len(codes)},
        )
    return codes


def remove_mfa(*, actor: Actor, user: Account) -> None:
    """Remove a user's second factor: by the user when their role does not require one, or by an admin
    for a lost device (the user then enrols again at the next sign-in); ends the user's sessions."""
    is_admin = is_signed_in(actor) and actor.has_role("admin")
    if actor.pk != user.pk and not is_admin:
        raise PermissionDenied("Only an admin can reset somebody else's second factor.")
    if actor.pk == user.pk and mfa.required_for(user) and not is_admin:
        raise PermissionDenied("Your role requires a second factor.")
    with transaction.atomic():
        removed = (
            TOTPDevice.objects.filter(user=user).delete()[0]
            + StaticDevice.objects.filter(user=user).delete()[0]
        )
        ended = end_sessions(user=user) if actor.pk != user.pk else 0
        audit.record(
            actor=actor,
            action="mfa_reset",
            object_type="participants.user",
            object_id=user.pk,
            after={"devices_removed": removed, "sessions_ended": ended},
        )


def set_preferences(*, user: Account, language: str, time_zone: str) -> None:
    """Your language and time zone ("" for either: the browser's language, the participant's zone)."""
    if language and language not in language_codes():
        raise InvalidInput(_("Choose one of the offered languages."), field="language")
    if time_zone and not is_time_zone(time_zone):
        raise InvalidInput(_("Give a time zone such as Europe/Kyiv."), field="time_zone")
    before = {"language": user.language, "time_zone": user.time_zone}
    after = {"language": language, "time_zone": time_zone}
    if before == after:
        return
    with transaction.atomic():
        user.language = language
        user.time_zone = time_zone
        user.save(update_fields=["language", "time_zone"])
        audit.record(
            actor=user,
            action="preferences_change",
            object_type="participants.user",
            object_id=user.pk,
            before=before,
            after=after,
        )
