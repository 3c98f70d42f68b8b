"""The Actor helpers answer as the `getattr(user, "is_authenticated", False)` checks they replace,
and the clock is Django's (aware now, today in TIME_ZONE)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser

from clearinghouse.core import clock
from clearinghouse.core.actors import account_or_none, is_signed_in, signed_in
from clearinghouse.core.errors import PermissionDenied
from clearinghouse.participants.models import User


def test_only_an_account_is_signed_in() -> None:
    account = User(username="someone")
    assert is_signed_in(account) and signed_in(account) is account and account_or_none(account) is account
    for nobody in (None, AnonymousUser()):
        assert not is_signed_in(nobody) and account_or_none(nobody) is None
        with pytest.raises(PermissionDenied):
            signed_in(nobody)


def test_the_clock_is_aware_and_today_is_the_local_date() -> None:
    now = clock.now()
    assert now.tzinfo is not None and now.utcoffset() == dt.timedelta(0)
    zone = ZoneInfo(settings.TIME_ZONE)
    # Either side of a midnight that may fall between the two calls.
    assert clock.today() in {now.astimezone(zone).date(), clock.now().astimezone(zone).date()}
