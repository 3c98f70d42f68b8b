"""Cached report figures: a write shows at once, and readers with different rights never share.

Transactional tests: inside a test's (or a write's) transaction nothing is cached at all, so these
run in autocommit as the served application does.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from clearinghouse.core.models import AuditEvent
from clearinghouse.pledges.tests import factories
from clearinghouse.reports import cache, selectors

pytestmark = pytest.mark.django_db(transaction=True)


def commitments(report: dict[str, Any]) -> Decimal:
    return sum((r["commitments"] or Decimal(0) for r in report["rows"]), Decimal(0))


def uncached(name: str, **kwargs: Any) -> dict[str, Any]:
    return getattr(selectors, name).__wrapped__(**kwargs)  # type: ignore[no-any-return]


@pytest.fixture(autouse=True)
def fresh_memory() -> None:
    cache.clear_local()


def test_a_figure_is_served_from_the_cache_and_changes_after_a_write(
    personas: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    factories.financial(personas, releasability="public")
    coordinator = personas["coordinator"]
    first = selectors.totals_report(user=coordinator, source="records")
    with django_assert_max_num_queries(1):  # the data's version; the figures from memory
        again = selectors.totals_report(user=coordinator, source="records")
    assert again == first
    cache.clear_local()
    with django_assert_max_num_queries(2):  # the version, then the shared (database) cache
        assert selectors.totals_report(user=coordinator, source="records") == first
    factories.financial(personas, donor="donor_deu", amount="2000000", currency="EUR")
    after = selectors.totals_report(user=coordinator, source="records")
    assert commitments(after) == commitments(first) + Decimal("0.002")
    assert after == uncached("totals_report", user=coordinator, source="records")


def test_readers_with_different_rights_never_see_each_others_figures(personas: dict[str, Any]) -> None:
    # Public, contact-group and owner-marked pledges of three donors: each reader sees a different set.
    factories.financial(personas, donor="donor_usa", amount="1000000", currency="EUR", releasability="public")
    factories.financial(personas, donor="donor_usa", amount="7000000", currency="EUR", releasability="owner")
    factories.financial(personas, donor="donor_deu", amount="3000000", currency="EUR", releasability="owner")
    factories.financial(
        personas, donor="donor_pol", amount="5000000", currency="EUR", releasability="contact_group"
    )
    readers = ["donor_usa", "donor_deu", "donor_pol", "coordinator", "nonmember", "outsider"]
    reports = ("totals_report", "donors_report", "groups_report", "weapons_report")
    for order in (readers, readers[::-1]):
        cache.clear_local()
        for name in order:
            for report in reports:
                for public in (False, True):
                    got = getattr(selectors, report)(user=personas[name], source="records", public=public)
                    assert got == uncached(report, user=personas[name], source="records", public=public), (
                        name,
                        report,
                        public,
                    )
    usa = selectors.totals_report(user=personas["donor_usa"], source="records")
    deu = selectors.totals_report(user=personas["donor_deu"], source="records")
    assert cache.audience(personas["donor_usa"], source="records", public=False) != cache.audience(
        personas["donor_deu"], source="records", public=False
    )
    assert usa != deu


def test_nothing_is_cached_inside_a_transaction(personas: dict[str, Any]) -> None:
    from django.db import transaction

    factories.financial(personas, releasability="public")
    with transaction.atomic():
        selectors.totals_report(user=personas["coordinator"], source="records")
    assert not cache._local
    assert AuditEvent.objects.exists()


def test_the_records_dataset_is_built_once_per_version_and_again_after_a_write(
    personas: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 18 (6): the dashboard's reports share one dataset per audience and data version; a write
    moves the version, and the next figures count it."""
    factories.financial(personas, releasability="public")
    builds: list[bool] = []
    real = selectors._records_dataset

    def counting(user: Any, *, public: bool) -> Any:
        builds.append(public)
        return real(user, public=public)

    monkeypatch.setattr(selectors, "_records_dataset", counting)
    coordinator = personas["coordinator"]
    reports = ("totals_report", "donors_report", "groups_report", "weapons_report")
    first = {name: getattr(selectors, name)(user=coordinator, source="records") for name in reports}
    assert builds == [False]  # four reports, one dataset
    selectors.totals_report(user=coordinator, source="records", by="month")
    assert builds == [False]
    factories.financial(personas, donor="donor_deu", amount="2000000", currency="EUR")
    after = {name: getattr(selectors, name)(user=coordinator, source="records") for name in reports}
    assert builds == [False, False]
    assert commitments(after["totals_report"]) == commitments(first["totals_report"]) + Decimal("0.002")
    for name in reports:
        assert after[name] == uncached(name, user=coordinator, source="records")
    # Another audience has its own dataset.
    selectors.totals_report(user=personas["donor_usa"], source="records")
    assert builds == [False, False, False]
    # What a caller gets is its own: changing it changes no later answer.
    after["totals_report"]["rows"].clear()
    assert selectors.totals_report(user=coordinator, source="records")["rows"]
