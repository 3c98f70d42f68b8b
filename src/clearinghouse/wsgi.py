"""WSGI entry point for application servers: the application, warmed up before its first request."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clearinghouse.settings")
application = get_wsgi_application()

# The exchange-rate history and the URL modules load here, once per process, not inside the first
# user's request (core/warmup.py).
from clearinghouse.core.warmup import warm_up  # noqa: E402 - after Django is set up

warm_up()
