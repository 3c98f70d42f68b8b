"""The reason a person states for an irreversible or consequential action (declining or withdrawing
a pledge, cancelling a requirement, releasing or changing an allocation, accepting a clearing run's
proposals). It is kept in the action's audit event under `stated_reason` and shown in the history.
"""

from __future__ import annotations

from typing import Any

from clearinghouse.core import cleaning
from clearinghouse.core.errors import InvalidInput

MAX_REASON_LENGTH = 2000
AUDIT_KEY = "stated_reason"


def stated_reason(value: Any, *, required_to: str | None = None) -> str:
    """The reason as text ("" when none); `required_to` ("decline a pledge") makes it required."""
    text = cleaning.text(value, "reason", max_length=MAX_REASON_LENGTH)
    if required_to and not text:
        raise InvalidInput(
            f"reason: required to {required_to}; it is kept in the audit chain and shown in the history",
            field="reason",
        )
    return text


def with_reason(after: dict[str, Any] | None, reason: str) -> dict[str, Any] | None:
    """An audit event's `after` with the stated reason added (unchanged when there is none)."""
    if not reason:
        return after
    return {**(after or {}), AUDIT_KEY: reason}
