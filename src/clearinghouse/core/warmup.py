"""What a new application process loads once at start, before its first request (issue 18, 8).

The exchange-rate history (`core.fx`: the ECB's bundled history, some 0.4 s to parse) and the
URL and API modules (Django imports them on the first request it resolves) used to load inside the
first request each new process served: a user waited for them. `clearinghouse.wsgi` calls
`warm_up()` when a server process loads the application (every gunicorn worker, or once in the
master with `--preload`), so the first request finds them ready. Commands and tests do not call
it: a short command needs neither.
"""

from __future__ import annotations

import time
from typing import Any


def warm_up() -> dict[str, Any]:
    """Load the exchange-rate history and the URL configuration now; the seconds each took."""
    from django.urls import get_resolver

    from clearinghouse.core import fx

    took: dict[str, Any] = {}
    start = time.perf_counter()
    fx.known_currencies()  # parses the history (`fx.converter()`) once per process
    took["fx_seconds"] = round(time.perf_counter() - start, 3)
    start = time.perf_counter()
    get_resolver().url_patterns  # noqa: B018 - imports the URL and API modules
    took["urls_seconds"] = round(time.perf_counter() - start, 3)
    return took
