"""What every browser test shares: Debian's Chromium, required in CI, skipped (with the reason) elsewhere."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


def require_chromium() -> None:
    """Call at module level: CI sets CLEARINGHOUSE_REQUIRE_BROWSER=True, so a missing browser fails there."""
    if Path(CHROMIUM).exists():
        # Playwright's sync API runs an event loop in the test thread; the ORM calls stay synchronous.
        os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        return
    if os.environ.get("CLEARINGHOUSE_REQUIRE_BROWSER") == "True":
        raise RuntimeError(f"{CHROMIUM} is missing but CLEARINGHOUSE_REQUIRE_BROWSER=True: install chromium")
    pytest.skip(
        f"{CHROMIUM} is not installed (`make test` installs it when run as root)", allow_module_level=True
    )
