"""Login throttling: after too many failures, a username or a client address is locked for a while."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def _keys(username: str, address: str) -> list[str]:
    user_key = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return [f"login-fail:u:{user_key}", f"login-fail:a:{address}"]


def is_locked(username: str, address: str) -> bool:
    """Whether this username or this address has too many recent failures."""
    user_key, address_key = _keys(username, address)
    # An address is shared by everybody behind one proxy, so it gets a wider allowance than a username.
    return (cache.get(user_key) or 0) >= settings.LOGIN_MAX_FAILURES or (
        cache.get(address_key) or 0
    ) >= 4 * settings.LOGIN_MAX_FAILURES


def note_failure(username: str, address: str) -> None:
    """Count a failed attempt against both the username and the address."""
    for k in _keys(username, address):
        cache.add(k, 0, settings.LOGIN_LOCKOUT_SECONDS)
        try:
            cache.incr(k)
        except ValueError:
            cache.set(k, 1, settings.LOGIN_LOCKOUT_SECONDS)


def clear(username: str, address: str) -> None:
    """Forget failures after a successful login."""
    cache.delete_many(_keys(username, address))
