"""Pages answer the services' refusals in one place (core.middleware.DomainErrorPagesMiddleware),
and show exactly the moves the services allow (pledges/policies.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from clearinghouse.core.errors import Conflict, NotFound, PermissionDenied
from clearinghouse.core.middleware import DomainErrorPagesMiddleware
from clearinghouse.pledges import services
from clearinghouse.pledges.choices import PledgeStatus
from clearinghouse.pledges.tests import factories
from clearinghouse.pledges.views import _may_move


def _answer(exc: Exception) -> Any:
    request = RequestFactory().get("/somewhere/")
    request.user = AnonymousUser()
    return DomainErrorPagesMiddleware(lambda r: None).process_exception(request, exc)  # type: ignore[arg-type,return-value]


@pytest.mark.django_db
def test_not_found_is_the_404_page_and_permission_denied_the_403_page() -> None:
    missing = _answer(NotFound("Pledge not found."))
    assert missing.status_code == 404 and b"<html" in missing.content.lower()
    forbidden = _answer(PermissionDenied("Only the cell."))
    assert forbidden.status_code == 403


def test_other_domain_errors_are_left_to_the_page() -> None:
    assert _answer(Conflict("cannot move")) is None
    assert _answer(ValueError("a bug")) is None


def test_an_invisible_record_is_a_404_page_without_a_try_in_the_view(
    personas: dict[str, Any], page_client: Any
) -> None:
    assert page_client(personas["donor_usa"]).get("/pledges/987654/").status_code == 404
    assert page_client(personas["analyst"]).get("/funds/no-such-fund/").status_code == 404


@pytest.mark.parametrize("persona", ["coordinator", "donor_usa", "donor_deu", "recipient", "admin"])
def test_the_page_offers_exactly_the_moves_the_service_allows(personas: dict[str, Any], persona: str) -> None:
    pledge = factories.financial(personas)
    user = personas[persona]
    for to in PledgeStatus.values:
        offered = _may_move(user, pledge, to)
        try:
            services.transition_pledge(actor=user, pledge_id=pledge.pk, to=to, reason="a test of the rule")
        except NotFound:
            continue  # not visible to this user: no page to offer anything on
        except PermissionDenied:
            allowed = False
        except Exception:  # a Conflict (illegal from this status): the role was allowed
            allowed = True
        else:
            allowed = True
            pledge = factories.financial(personas, external_ref=f"P-{persona}-{to}")
        assert offered == allowed, (persona, to)
