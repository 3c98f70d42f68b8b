"""The one way to ask the time: an aware "now" and the date "today" in the project's time zone.

Everything that needs the current moment or date calls these (ruff's DTZ rules and the banned-api
list in pyproject.toml keep `date.today()`, `datetime.now()` and `timezone.localdate()` out).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    """The current moment, timezone-aware (UTC)."""
    return timezone.now()


def today() -> dt.date:
    """Today's date in the project's time zone (settings.TIME_ZONE)."""
    return timezone.localdate()
