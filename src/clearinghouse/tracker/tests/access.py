"""Who may use this app's API operations and pages (merged into tests/access.py).

The tracker's data is public: every signed-in user reads the releases and revisions. Imports run
on the command line and by upload (coordination cell or admin; test_kiel_import.py, test_upload.py).
"""

from __future__ import annotations

from typing import Any

from tests.access_rules import ALL, Rule

# Who imports a release (services.can_import): the coordination cell's coordinators and analysts, admins.
IMPORTERS = frozenset({"coordinator", "analyst", "admin"})


def _release(personas: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.tracker.tests.kiel_files import tiny_release

    return {"number": tiny_release(7).number}


def _two_releases(personas: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.tracker.tests.kiel_files import tiny_release

    tiny_release(7)
    tiny_release(8, military_usa="1.75")
    return {}


API: dict[tuple[str, str], Rule] = {
    ("GET", "/api/v1/kiel/releases"): Rule(ALL, setup=_release),
    ("GET", "/api/v1/kiel/releases/{number}"): Rule(ALL, setup=_release),
    ("GET", "/api/v1/kiel/revisions"): Rule(ALL, setup=_two_releases),
    # Without files: an importer gets past the permission check to 422 (no files); the rest 403.
    ("POST", "/api/v1/kiel/releases"): Rule(IMPORTERS, ok=(422,), denied=(403,)),
}
PAGES: dict[str, Rule] = {
    "kiel-releases": Rule(ALL, setup=_two_releases),
    "kiel-upload": Rule(IMPORTERS, denied=(403,)),
}
