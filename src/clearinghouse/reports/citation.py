"""Citable figures: the stable address of a published table and the "cite this" text beside it.

A table's stable address names every parameter it was computed with, and the tracker release
(`release=N`), so that the same address gives the same figures after a newer release is imported.
The public page and the public API cite alike (docs/open-data.md).
"""

from __future__ import annotations

from typing import Any

from django.utils.http import urlencode

TABLES = {
    "totals": "Aid by period and type",
    "donors": "Donors ranked by aid",
    "groups": "Aid by group of donors",
    "weapons": "Heavy weapons by category and donor",
    "releases": "Releases of the tracker",
}
PUBLISHER = "Clearinghouse public transparency data"


def stable_query(params: dict[str, Any], payload: dict[str, Any] | None) -> dict[str, str]:
    """The parameters that fix a table: those given (empty ones left out) and the release it used."""
    query = {
        k: str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in params.items()
        if v not in (None, "", False)
    }
    release = (payload or {}).get("release")
    if release and (payload or {}).get("source", "tracker") == "tracker":
        query["release"] = str(release["number"])
    return dict(sorted(query.items()))


def stable_url(base: str, params: dict[str, Any], payload: dict[str, Any] | None) -> str:
    """`base` with the table's fixing parameters as its query."""
    query = stable_query(params, payload)
    return f"{base}?{urlencode(query)}" if query else base


def cite(report: str, payload: dict[str, Any] | None, url: str) -> str:
    """The text to cite a table by: its source and release, what it shows, and its stable address."""
    title = TABLES.get(report, report)
    release = (payload or {}).get("release")
    if payload and payload.get("source") == "records":
        source = str(payload.get("source_label", "Contact group records"))
        return f"{PUBLISHER}: {title}. Source: {source}. {url}"
    if release:
        return (
            f"{release['citation']} ({release['period']}, published {release['date']}): {title}. "
            f"{PUBLISHER}, {url}"
        )
    return f"{PUBLISHER}: {title}. {url}"
