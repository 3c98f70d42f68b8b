"""`{% load clearing_tags %}`: the engine's explanations with every requirement and pledge linked."""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# R12, R12@2027-03 (a month of a consumption requirement), P7: as matching/explain.py writes them.
_REF = re.compile(r"\b(R(\d+)(?:@\d{4}-\d{2})?|P(\d+))\b")


def _link(match: re.Match[str]) -> str:
    text, requirement, pledge = match.group(1), match.group(2), match.group(3)
    url = (
        reverse("requirement-detail", args=[int(requirement)])
        if requirement
        else reverse("pledge-detail", args=[int(pledge)])
    )
    return f'<a href="{url}">{text}</a>'


@register.filter
def linked_refs(value: Any) -> SafeString:
    """The text, escaped, with each `R12`, `R12@2027-03` and `P7` a link to its record's page."""
    # Escaping leaves the identifiers (letters, digits, @, -) as they were.
    return mark_safe(_REF.sub(_link, str(escape(value or ""))))  # noqa: S308  # escaped just above
