"""Participants named in loosely typed input (API bodies, spreadsheet rows), or a 422 naming the field."""

from __future__ import annotations

from typing import Any, cast

from clearinghouse.core.cleaning import code_list, text
from clearinghouse.core.errors import InvalidInput
from clearinghouse.participants.models import Participant


def participant(value: Any, field: str) -> Participant:
    """A participant by its code (ISO alpha-3, EU, NATO)."""
    code = text(value, field, max_length=10).upper()
    if not code:
        raise InvalidInput(f"{field}: required (a participant code such as USA)", field=field)
    found = Participant.objects.filter(code=code).first()
    if found is None:
        raise InvalidInput(f"{field}: unknown participant {code!r}", field=field)
    return cast("Participant", found)


def participants(value: Any, field: str) -> list[Participant]:
    """Participants named by a list of codes (or a ';'-separated string)."""
    codes = [c.upper() for c in code_list(value, field)]
    found = {p.code: p for p in Participant.objects.filter(code__in=codes)}
    for code in codes:
        if code not in found:
            raise InvalidInput(f"{field}: unknown participant {code!r}", field=field)
    return [found[c] for c in codes]
