"""Choices of catalog records for the forms of other apps."""

from __future__ import annotations

from typing import Any

from clearinghouse.catalog import selectors as catalog_selectors
from clearinghouse.core.actors import Actor


def item_type_choices(user: Actor) -> list[tuple[str, Any]]:
    """Item types grouped by capability area, for a select."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for item in catalog_selectors.item_type_list(user=user):
        groups.setdefault(item.capability.name, []).append((item.code, f"{item.code} · {item.name}"))
    return list(groups.items())
