"""Sign-in throttling shared by every door: the login page, the second-factor step, and anything
that calls `django.contrib.auth.authenticate` (the admin site's sign-in is the login page).

Failures are counted per address-and-username and per address, never per username alone: whoever
guesses at a named account from their own address slows down only themselves, so they cannot lock
its owner out (a free denial of service). From `LOGIN_MAX_FAILURES` failures on a pair (four times
as many on an address) each further failure doubles the wait, from 30 seconds up to
`LOGIN_LOCKOUT_SECONDS`. A successful sign-in clears only its own pair: it never resets the
address's count for the other usernames guessed from there.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest

FIRST_WAIT_SECONDS = 30
ADDRESS_FACTOR = 4


def client_address(request: HttpRequest | None) -> str:
    """The address a request came from (REMOTE_ADDR: set it right at the proxy, never trust headers)."""
    if request is None:
        return "unknown"
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _pair(username: str, address: str) -> str:
    return "p:" + _digest(f"{address}\x00{username.strip().lower()}")


def _address(address: str) -> str:
    return "a:" + _digest(address)


def _limits() -> list[tuple[str, int]]:
    n = settings.LOGIN_MAX_FAILURES
    return [("pair", n), ("address", ADDRESS_FACTOR * n)]


def _wait(count: int, threshold: int) -> int:
    """Seconds to wait after `count` failures: 0 below the threshold, then doubling up to the cap."""
    if count < threshold:
        return 0
    return int(min(settings.LOGIN_LOCKOUT_SECONDS, FIRST_WAIT_SECONDS * 2 ** min(count - threshold, 20)))


def is_locked(username: str, address: str) -> bool:
    """Whether this address (or this address for this username) must wait before trying again."""
    return bool(cache.get_many([f"login-lock:{_pair(username, address)}", f"login-lock:{_address(address)}"]))


def note_failure(username: str, address: str) -> bool:
    """Count a failure against the pair and the address; True when this failure starts a wait."""
    started = False
    memory = 4 * settings.LOGIN_LOCKOUT_SECONDS  # failures are forgotten after a quiet spell
    for key, (_, threshold) in zip((_pair(username, address), _address(address)), _limits(), strict=True):
        cache.add(f"login-fail:{key}", 0, memory)
        try:
            count = cache.incr(f"login-fail:{key}")
        except ValueError:
            count = 1
            cache.set(f"login-fail:{key}", 1, memory)
        wait = _wait(count, threshold)
        if wait:
            cache.set(f"login-lock:{key}", 1, wait)
            started = started or count == threshold
    return started


def clear(username: str, address: str) -> None:
    """Forget this pair's failures after a successful sign-in (the address's count stays)."""
    key = _pair(username, address)
    cache.delete_many([f"login-fail:{key}", f"login-lock:{key}"])


def record_failure(*, username: str, address: str, reason: str) -> None:
    """Count a failed sign-in and write it (and a lockout, if one starts) to the audit chain."""
    from clearinghouse.core import audit

    locked = note_failure(username, address)
    with transaction.atomic():
        details = {"username": username[:150], "address": address, "reason": reason}
        audit.record(
            actor=None,
            action="signin_failed",
            object_type="participants.user",
            object_id=username[:64],
            after=details,
        )
        if locked:
            audit.record(
                actor=None,
                action="signin_lockout",
                object_type="participants.user",
                object_id=username[:64],
                after=details,
            )


class ThrottledModelBackend(ModelBackend):
    """The model backend behind the shared throttle: a locked pair or address is refused before the
    password is even checked, and every wrong password is counted and audited."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is None:
            username = kwargs.get("username", "")
        name = str(username or "")
        address = client_address(request)
        if is_locked(name, address):
            record_failure(username=name, address=address, reason="throttled")
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            record_failure(username=name, address=address, reason="wrong username or password")
        return user
