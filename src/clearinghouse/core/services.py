"""Core services: personal API tokens (create, revoke, authenticate)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from clearinghouse.core import audit
from clearinghouse.core.errors import NotFound, PermissionDenied
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


def create_token(*, actor: Any, user: Any, name: str = "") -> NewToken:
    """Create a personal API token for `user` (themselves, or anyone by an admin)."""
    if actor.pk != user.pk and not actor.has_role("admin"):
        raise PermissionDenied("Only an admin can create a token for somebody else.")
    if not user.is_active:
        raise PermissionDenied(f"Account {user.username} is inactive.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name[:100], prefix=raw[:12], digest=token_digest(raw))
        audit.record(
            actor=actor,
            action="token_create",
            obj=token,
            after={"user": user.username, "name": token.name, "prefix": token.prefix},
        )
    return NewToken(token=token, raw=raw)


def revoke_token(*, actor: Any, token_id: int) -> ApiToken:
    """Revoke a token; revoking a revoked token changes nothing."""
    with transaction.atomic():
        token = ApiToken.objects.restrict(actor, "change").select_for_update().filter(pk=token_id).first()
        if token is None:
            raise NotFound("Token not found.")
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit.record(
                actor=actor,
                action="token_revoke",
                obj=token,
                before={"revoked": False},
                after={"revoked": True, "user": token.user.username, "prefix": token.prefix},
            )
    return token


def authenticate_token(raw: str) -> Any | None:
    """The active user behind a bearer token, or None."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user", "user__participant")
        .filter(digest=token_digest(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    # Only touch last_used_at once a minute: a write per API call would serialise SQLite readers.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
