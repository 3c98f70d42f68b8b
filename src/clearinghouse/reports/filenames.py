"""File names of report downloads: one distinct, descriptive name per table, so that the by-year
and by-month totals (or two donor rankings) saved side by side never overwrite each other.

`<report>[-<view>]-<source>-<release or date>[-hxl][-public].<fmt>`, e.g. `totals-by-month-tracker-r29.csv`,
`donors-military-per-gdp-2024-01-to-2024-12-tracker-r29.xlsx`, `totals-by-year-records-2026-12-01.csv`
(the contact group's records change every day: the date says as of when), `-hxl` for a CSV with
HXL hashtags, and `-public` for the public page's suppressed tables.
"""

from __future__ import annotations

import re
from typing import Any

from clearinghouse.core import clock


def _slug(value: Any) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(value).lower()).strip("-")


def export_name(
    report: str, payload: dict[str, Any], fmt: str, *, public: bool = False, hxl: bool = False
) -> str:
    """The download's file name, built from what the payload says it holds."""
    parts = [report]
    if report == "totals" and payload.get("by"):
        parts.append(f"by-{payload['by']}")
    if report == "donors":
        parts.append(str(payload.get("type") or "total"))
        if payload.get("per_gdp"):
            parts.append("per-gdp")
        if payload.get("with_eu_share"):
            parts.append("with-eu-share")
        first, last = payload.get("from_month"), payload.get("to_month")
        if first or last:
            parts.append(f"{first or 'start'}-to-{last or 'end'}")
    parts.append(str(payload.get("source") or "tracker"))
    release = payload.get("release")
    parts.append(f"r{release['number']}" if release else clock.today().isoformat())
    if hxl:
        parts.append("hxl")
    if public:
        parts.append("public")
    return "-".join(_slug(p) for p in parts if p) + f".{fmt}"
