"""Core services: personal API tokens (create, revoke, authenticate); expiry in TOKEN_MAX_DAYS."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.db import transaction

from clearinghouse.core import audit, busy, clock
from clearinghouse.core.actors import Account, Actor, is_signed_in
from clearinghouse.core.errors import InvalidInput, NotFound, PermissionDenied
from clearinghouse.core.models import ApiToken

TOKEN_PREFIX = "chs_"


def token_digest(raw: str) -> str:
    """SHA-256 of a token: tokens are 256-bit random, so a fast hash is enough (no dictionary to try)."""
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class NewToken:
    """A token just created: `raw` is shown once and never stored."""

    token: ApiToken
    raw: str


def create_token(
    *, actor: Actor, user: Account, name: str = "", days: int | None = None, by_token: bool = False
) -> NewToken:
    """Create a personal API token for `user` (themselves, or anyone by an admin), valid for `days`
    (default and most: TOKEN_MAX_DAYS). A request authenticated by a token cannot make another."""
    if by_token:
        raise PermissionDenied("A token cannot create tokens: sign in, or use the CLI.")
    if actor.pk != user.pk and not (is_signed_in(actor) and actor.has_role("admin")):
        raise PermissionDenied("Only an admin can create a token for somebody else.")
    if not user.is_active:
        raise PermissionDenied(f"Account {user.username} is inactive.")
    most = settings.TOKEN_MAX_DAYS
    days = most if days is None else days
    if not 1 <= days <= most:
        raise InvalidInput(f"A token lasts from 1 to {most} days.", field="days")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name[:100],
            prefix=raw[:12],
            digest=token_digest(raw),
            expires_at=clock.now() + dt.timedelta(days=days),
        )
        audit.record(
            actor=actor,
            action="token_create",
            obj=token,
            after={
                "user": user.username,
                "name": token.name,
                "prefix": token.prefix,
                "expires_at": token.expires_at,
            },
        )
    return NewToken(token=token, raw=raw)


def revoke_token(*, actor: Actor, token_id: int) -> ApiToken:
    """Revoke a token; revoking a revoked token changes nothing."""
    with transaction.atomic():
        token = ApiToken.objects.restrict(actor, "change").select_for_update().filter(pk=token_id).first()
        if token is None:
            raise NotFound("Token not found.")
        if token.revoked_at is None:
            token.revoked_at = clock.now()
            token.save(update_fields=["revoked_at"])
            audit.record(
                actor=actor,
                action="token_revoke",
                obj=token,
                before={"revoked": False},
                after={"revoked": True, "user": token.user.username, "prefix": token.prefix},
            )
    return cast("ApiToken", token)


def authenticate_token(raw: str) -> Any | None:
    """The active user behind an unrevoked, unexpired bearer token, or None (see `token_for`)."""
    token = token_for(raw)
    return token.user if token is not None else None


def token_for(raw: str) -> ApiToken | None:
    """The unrevoked, unexpired token of an active user that `raw` is, or None; notes its use."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    now = clock.now()
    token = (
        ApiToken.objects.select_related("user", "user__participant")
        .filter(digest=token_digest(raw), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    _note_use(token, now)
    return cast("ApiToken | None", token)


# A token's last use is written at most this often, and tried at most this often per process.
TOKEN_USE_INTERVAL = 300
_use_tried: dict[str, float] = {}


def _note_use(token: ApiToken, now: Any) -> None:
    """Record a token's last use without making the read it signs in a write: at most once per
    TOKEN_USE_INTERVAL, outside the request's transaction, skipped when the database is busy."""
    if token.last_used_at is not None and (now - token.last_used_at).total_seconds() < TOKEN_USE_INTERVAL:
        return
    moment = time.monotonic()
    if moment - _use_tried.get(token.digest, -TOKEN_USE_INTERVAL) < TOKEN_USE_INTERVAL:
        return  # tried lately (the database was busy, or another thread of this process wrote it)
    if len(_use_tried) > 10_000:
        _use_tried.clear()
    _use_tried[token.digest] = moment
    pk = token.pk
    busy.best_effort(
        lambda: ApiToken.objects.filter(pk=pk).update(last_used_at=now), what="a token's last use"
    )
