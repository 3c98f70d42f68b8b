"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from clearinghouse.core.actors import account_or_none
from clearinghouse.core.models import AuditEvent
from clearinghouse.core.releasability import sees_everything


def clearinghouse(request: HttpRequest) -> dict[str, Any]:
    """Navigation facts: the user's participant and role."""
    user = getattr(request, "user", None)
    account = account_or_none(user)
    return {
        "nav_participant": account.participant if account is not None else None,
        "nav_role": account.get_role_display() if account is not None else "",
        # The clearing house draws on confidential pledges: only those who see every marking use it.
        "nav_sees_clearing": account is not None and sees_everything(account),
        "is_auditor": AuditEvent.readable_by(user),
        "nav_is_admin": account is not None and account.has_role("admin"),
    }
