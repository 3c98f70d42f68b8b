"""What makes a list page work: sortable columns (`?sort=field` or `?sort=-field`, only the fields a
page allows), filter chips (each active filter with a link that removes it), and the query strings
behind them. The pages keep their own filters and selectors; this only reads and writes the URL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest


def query_without(request: HttpRequest, *names: str, **changes: str) -> str:
    """The request's query string without `names` (and without its page number), with `changes` set."""
    pairs = [
        (k, v)
        for k, values in request.GET.lists()
        for v in values
        if k not in names and k != "page" and k not in changes and v != ""
    ]
    pairs += [(k, v) for k, v in changes.items() if v]
    return urlencode(pairs)


@dataclass(frozen=True)
class Sort:
    """The sort chosen for a list: `key` as in the URL ("-value_eur") and the ORM ordering."""

    key: str
    ordering: tuple[str, ...]
    links: dict[str, dict[str, str]]


def sort_of(request: HttpRequest, allowed: dict[str, str], default: tuple[str, ...]) -> Sort:
    """The list's order from `?sort=`: a key of `allowed` (mapped to an ORM field or annotation),
    `-` first for descending; anything else keeps `default`. `links` gives every allowed column the
    URL that sorts by it (the other way round when it is the current one) and its state
    ("ascending", "descending" or "none", for aria-sort)."""
    raw = (request.GET.get("sort") or "").strip()
    field = raw.removeprefix("-")
    key, ordering = "", default
    if field in allowed:
        desc = raw.startswith("-")
        key = raw
        ordering = (("-" if desc else "") + allowed[field], "-id" if desc else "id")
    links = {}
    for name in allowed:
        if key == name:
            target, state = f"-{name}", "ascending"
        elif key == f"-{name}":
            target, state = name, "descending"
        else:
            target, state = name, "none"
        links[name] = {"url": "?" + query_without(request, "sort", sort=target), "state": state}
    return Sort(key, ordering, links)


def chips(
    request: HttpRequest, labels: dict[str, str], shown: dict[str, Any] | None = None
) -> list[dict[str, str]]:
    """The active filters among `labels` (URL name → label) as chips: label, value (as `shown` names
    it, else as typed) and the URL of the list without it."""
    out = []
    for name, label in labels.items():
        value = (request.GET.get(name) or "").strip()
        if not value:
            continue
        text = str((shown or {}).get(name, {}).get(value, value)) if shown else value
        out.append(
            {"name": name, "label": label, "value": text, "remove": "?" + query_without(request, name)}
        )
    return out
