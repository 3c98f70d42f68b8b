"""Fixtures of the report tests: Release 29 imported once per test module."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="module")
def r29(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Any]:
    """The shipped release, imported once for the module inside a transaction rolled back at its end.

    Each test still runs in its own savepoint (pytest-django's `db`), so tests stay independent.
    """
    from django.db import transaction

    from clearinghouse.participants.services import create_user, load_reference_data
    from clearinghouse.tracker import services
    from clearinghouse.tracker.tests.kiel_files import R29

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            load_reference_data()
            importer = create_user(
                actor=None, username="kiel-importer", participant="NATO", role="admin", password=None
            )
            yield services.import_kiel_release(actor=importer, directory=R29).release
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
