"""Two coordination officers racing to allocate the last units of one pledge, on real threads.

On PostgreSQL the services' `SELECT ... FOR UPDATE` row locks decide the race. On SQLite the test
runs on a real database file, configured as in production (WAL, `BEGIN IMMEDIATE`, busy timeout):
see tests/concurrency.py, the harness shared with tests/test_bulk_import.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from tests import concurrency

from clearinghouse.core.errors import Conflict
from clearinghouse.pledges import services
from clearinghouse.pledges.models import Allocation, Pledge
from clearinghouse.pledges.tests import factories
from clearinghouse.requirements.models import Requirement


@pytest.fixture
def database_file(transactional_db: None, tmp_path: Path) -> Iterator[None]:
    """On SQLite, every connection of this test on a migrated database file (tests/concurrency.py)."""
    with concurrency.database_file(tmp_path / "race.sqlite3"):
        yield


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

    def officer(actor: Any, requirement_id: int) -> Any:
        return services.allocate(actor=actor, pledge_id=pledge.pk, requirement_id=requirement_id, quantity=10)

    outcomes = concurrency.run_together(
        {
            "a": lambda: officer(personas["coordinator"], first.pk),
            "b": lambda: officer(second_officer, other.pk),
        }
    )

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
