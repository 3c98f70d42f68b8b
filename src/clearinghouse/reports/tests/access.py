"""Who may use this app's API operations and pages (merged into tests/access.py).

Reports are readable by every signed-in user (the tracker's data is public; records are narrowed
to what each viewer may see). The public page and its downloads need no sign-in.
"""

from __future__ import annotations

from typing import Any

from tests.access_rules import ALL, Rule


def _release(personas: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.tracker.tests.kiel_files import tiny_release

    tiny_release(7)
    return {}


def _export(personas: dict[str, Any]) -> dict[str, Any]:
    _release(personas)
    return {"report": "groups", "fmt": "csv"}


API: dict[tuple[str, str], Rule] = {
    ("GET", "/api/v1/reports/totals"): Rule(ALL, setup=_release, query="by=month"),
    ("GET", "/api/v1/reports/donors"): Rule(ALL, setup=_release, query="type=military&per_gdp=true"),
    ("GET", "/api/v1/reports/groups"): Rule(ALL, setup=_release),
    ("GET", "/api/v1/reports/weapons"): Rule(ALL, setup=_release),
    # The anonymous public API: everyone, signed in or not.
    ("GET", "/api/v1/public/totals"): Rule(ALL, setup=_release, public=True, query="by=month"),
    ("GET", "/api/v1/public/donors"): Rule(ALL, setup=_release, public=True, query="per_gdp=true"),
    ("GET", "/api/v1/public/groups"): Rule(ALL, setup=_release, public=True),
    ("GET", "/api/v1/public/weapons"): Rule(ALL, setup=_release, public=True),
    ("GET", "/api/v1/public/releases"): Rule(ALL, setup=_release, public=True),
    # The global search: everyone signed in, each finding what is releasable to them.
    ("GET", "/api/v1/search"): Rule(ALL, query="q=usa"),
}
PAGES: dict[str, Rule] = {
    "reports-dashboard": Rule(ALL, setup=_release),
    "public-transparency": Rule(ALL, setup=_release, public=True),
    "public-export": Rule(ALL, setup=_export, public=True),
    "public-iati": Rule(ALL, setup=_release, public=True),
    "search": Rule(ALL, query="q=usa"),
}
