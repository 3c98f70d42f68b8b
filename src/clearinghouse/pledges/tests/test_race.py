"""Two coordination officers racing to allocate the last units of one pledge, on real threads.

On PostgreSQL the services' `SELECT ... FOR UPDATE` row locks decide the race. On SQLite the test
runs on a real database file, configured as in production (WAL, `BEGIN IMMEDIATE`, busy timeout):
the test runner's in-memory shared-cache database uses table locks that fail at once ("database
table is locked") instead of waiting, which is not how the deployed application behaves.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, connections

from clearinghouse.core.errors import Conflict
from clearinghouse.pledges import services
from clearinghouse.pledges.models import Allocation, Pledge
from clearinghouse.pledges.tests import factories
from clearinghouse.requirements.models import Requirement


@pytest.fixture
def database_file(transactional_db: None, tmp_path: Path) -> Iterator[None]:
    """On SQLite, switch every connection of this test to a migrated database file (see above)."""
    if connection.vendor != "sqlite":
        yield
        return
    settings_dict = connection.settings_dict  # the same dict new (thread) connections are made from
    in_memory = settings_dict["NAME"]
    # Django never closes an in-memory database's connection (that would destroy it): set it aside,
    # so this thread connects afresh to the file, and put it back afterwards.
    kept = connection.connection
    connection.connection = None
    settings_dict["NAME"] = str(tmp_path / "race.sqlite3")
    try:
        call_command("migrate", verbosity=0)
        yield
    finally:
        connection.close()
        settings_dict["NAME"] = in_memory
        connection.connection = kept


@pytest.mark.django_db(transaction=True)
def test_racing_for_the_last_units_one_wins_the_other_gets_409(
    database_file: None, personas: dict[str, Any]
) -> None:
    from clearinghouse.participants.services import create_user

    second_officer = create_user(
        actor=None, username="coordinator2", participant="NATO", role="coordinator", password=None
    )
    pledge = factories.accepted(personas, quantity=100)
    first = factories.requirement(personas, quantity=1000)
    other = factories.requirement(personas, quantity=1000)
    # 90 of 100 are taken: two officers each want the last 10, for different requirements.
    services.allocate(
        actor=personas["coordinator"], pledge_id=pledge.pk, requirement_id=first.pk, quantity=90
    )

    barrier = threading.Barrier(2)
    outcomes: dict[str, Any] = {}

    def officer(name: str, actor: Any, requirement_id: int) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[name] = services.allocate(
                actor=actor, pledge_id=pledge.pk, requirement_id=requirement_id, quantity=10
            )
        except Exception as exc:  # the test inspects what each thread got
            outcomes[name] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=officer, args=("a", personas["coordinator"], first.pk)),
        threading.Thread(target=officer, args=("b", second_officer, other.pk)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)

    won = [o for o in outcomes.values() if isinstance(o, Allocation)]
    lost = [o for o in outcomes.values() if isinstance(o, Conflict)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert "only 0 of its 100 are not allocated" in lost[0].message
    pledge = Pledge.objects.get(pk=pledge.pk)
    assert pledge.allocated_quantity == 100
    assert sum(Allocation.objects.filter(pledge=pledge).values_list("quantity", flat=True)) == 100
    totals = {r.pk: r.allocated_quantity for r in Requirement.objects.all()}
    assert sum(totals.values()) == 100
    assert connection.vendor in ("sqlite", "postgresql")
