"""Several writers at once, on real threads, against a database that behaves as the deployed one.

On PostgreSQL the services' row locks decide races on the test database itself. On SQLite the
test runner's in-memory shared-cache database uses table locks that fail at once ("database table is
locked") instead of waiting, which is not how the deployed application behaves: `database_file`
switches every connection of the test (the threads' too) to a migrated database file, configured as
in production (WAL, `BEGIN IMMEDIATE`, busy timeout). `run_together` starts the writers past one
barrier and returns what each got.

Used by pledges/tests/test_race.py and tests/test_bulk_import.py.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def database_file(path: Path) -> Iterator[None]:
    """On SQLite, every connection opened inside this block uses a migrated database file at `path`;
    on any other database, nothing changes."""
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    settings_dict = connection.settings_dict  # the same dict new (thread) connections are made from
    in_memory = settings_dict["NAME"]
    # Django never closes an in-memory database's connection (that would destroy it): set it aside,
    # so this thread connects afresh to the file, and put it back afterwards.
    kept = connection.connection
    connection.connection = None
    settings_dict["NAME"] = str(path)
    try:
        call_command("migrate", verbosity=0)
        yield
    finally:
        connection.close()
        settings_dict["NAME"] = in_memory
        connection.connection = kept


def run_together(writers: dict[str, Callable[[], Any]], *, timeout: float = 60) -> dict[str, Any]:
    """Run each writer on its own thread, all released at once by a barrier; return, by name, what
    each returned or the exception it raised. Every thread closes its connections at its end, and
    each must finish within `timeout` seconds."""
    from django.db import connections

    barrier = threading.Barrier(len(writers))
    outcomes: dict[str, Any] = {}

    def run(name: str, writer: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=timeout)
            outcomes[name] = writer()
        except BaseException as exc:  # the test inspects what each thread got
            outcomes[name] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=item) for item in writers.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a writer did not finish in time"
    return outcomes
