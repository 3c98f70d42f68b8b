"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from clearinghouse.core.models import AuditEvent
from clearinghouse.core.releasability import sees_everything


def clearinghouse(request: HttpRequest) -> dict[str, Any]:
    """Navigation facts: the user's participant and role."""
    user = getattr(request, "user", None)
    authenticated = bool(user and user.is_authenticated)
    return {
        "nav_participant": user.participant if authenticated else None,  # type: ignore[union-attr]
        "nav_role": user.get_role_display() if authenticated else "",  # type: ignore[union-attr]
        # The clearing house draws on confidential pledges: only those who see every marking use it.
        "nav_sees_clearing": authenticated and sees_everything(user),
        "is_auditor": AuditEvent.readable_by(user),
        "nav_is_admin": authenticated and user.has_role("admin"),  # type: ignore[union-attr]
    }
