"""Choices of participants for the forms of other apps."""

from __future__ import annotations

from clearinghouse.core.actors import Actor
from clearinghouse.participants import selectors as participant_selectors


def participant_choices(user: Actor) -> list[tuple[str, str]]:
    return [(p.code, f"{p.code} · {p.name}") for p in participant_selectors.participant_list(user=user)]
