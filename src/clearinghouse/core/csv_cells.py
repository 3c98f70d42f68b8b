"""Text cells of exported CSV files, safe from formula injection, and read back exactly.

A spreadsheet program opening a CSV runs a cell that starts with `=`, `+`, `-` or `@` (and, in some
programs, a tab or carriage return) as a formula: a pledge note such as `=HYPERLINK(...)` would
become a live link in the reader's spreadsheet. Every text cell an export writes goes through
`escape`, which puts an apostrophe in front of such a cell (the convention spreadsheet programs
read as "this is text", and OWASP's advice); numbers are never text cells, so a negative amount
stays a number.

`unescape` is its exact inverse, and the importer applies it to every cell, so that an exported
file imports again as "unchanged". To stay exact, a text that itself starts with an apostrophe
followed by a trigger (or by another apostrophe) is escaped too; any other cell that starts with an
apostrophe (`'quoted'`) is left alone both ways.
"""

from __future__ import annotations

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def escape(text: str) -> str:
    """The cell as a CSV export writes it: an apostrophe before a formula trigger."""
    if text.startswith(TRIGGERS) or (text.startswith("'") and text[1:2] in (*TRIGGERS, "'")):
        return "'" + text
    return text


def unescape(text: str) -> str:
    """The cell as it was before `escape`."""
    if text.startswith("'") and text[1:2] in (*TRIGGERS, "'"):
        return text[1:]
    return text
