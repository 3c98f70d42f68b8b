"""Pytest configuration for the pure engine's tests.

These tests never touch a database.  The project's root ``conftest.py`` has an autouse
fixture that sets up the audit table for database tests and, under pytest-django, decides
that by the fixture names in play (``django_db_blocker`` is among them for every test);
overriding it here by name keeps this suite runnable with or without pytest-django.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _audit_append_only_guard() -> Iterator[None]:
    yield
