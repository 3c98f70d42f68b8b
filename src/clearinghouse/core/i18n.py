"""Languages and time zones of the people who use the system (docs/i18n.md).

A signed-in user's profile language (when set) wins over the browser's preference and the
switcher's cookie; their time zone is their own, else their participant's, else UTC. Times are
stored in UTC; templates convert them to the active zone and name it.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from clearinghouse.core.actors import Actor, account_or_none


@cache
def known_time_zones() -> frozenset[str]:
    """The IANA zone names this machine knows (zoneinfo, or the tzdata package)."""
    return frozenset(zoneinfo.available_timezones())


def is_time_zone(name: str) -> bool:
    return name in known_time_zones()


def language_codes() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]


def user_time_zone(user: Actor | None) -> str:
    """The zone pages use for `user`: their own, else their participant's, else the default (UTC)."""
    account = account_or_none(user)
    if account is None:
        return str(settings.TIME_ZONE)
    own = account.time_zone
    if own and is_time_zone(own):
        return own
    zone = account.participant.zone
    return zone if is_time_zone(zone) else str(settings.TIME_ZONE)


class UserLocaleMiddleware:
    """After authentication: the user's language (profile) and time zone for the rest of the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        account = account_or_none(getattr(request, "user", None))
        if account is not None and account.language in language_codes():
            translation.activate(account.language)
            request.LANGUAGE_CODE = account.language
        timezone.activate(zoneinfo.ZoneInfo(user_time_zone(account)))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
