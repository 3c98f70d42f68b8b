"""What a person reads on a page, and the Python structures that must never be part of it.

A page shows data for people: a `{'a': 1}` or `['x']` (a dict's or list's repr), a `Decimal('1.5')`, a
`datetime.date(...)` or a `<QuerySet ...>` in its text means a template printed a Python object instead
of formatting it. Scripts, styles and JSON data islands are not text and are left out.
"""

from __future__ import annotations

import html
import re

_HIDDEN = re.compile(r"<(script|style|template)\b[^>]*>.*?</\1\s*>", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_ATTRIBUTES = re.compile(r'\b(?:title|aria-label|alt|placeholder)="([^"]*)"', re.IGNORECASE)
PATTERNS = re.compile(
    r"\{'|\['|\{\"[a-z_]+\": |Decimal\(|datetime\.(?:date|datetime)\(|<QuerySet|OrderedDict\(|defaultdict\("
    r"|<clearinghouse\.|object at 0x"
)


def visible_text(page: str) -> str:
    """The page's text and the attributes people read (titles, labels), entities decoded."""
    page = _HIDDEN.sub(" ", page)
    attributes = " ".join(_ATTRIBUTES.findall(page))
    return html.unescape(_TAG.sub(" ", page) + " " + attributes)


def python_structures(page: str) -> list[str]:
    """Each Python structure found in what people read, with a little context."""
    text = visible_text(page)
    return [text[max(0, m.start() - 40) : m.end() + 40].strip() for m in PATTERNS.finditer(text)]
