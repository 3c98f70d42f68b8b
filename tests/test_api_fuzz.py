"""Schemathesis fuzzes every operation of the OpenAPI document, in-process, as several personas.

Every operation is called with generated input (positive: valid by the schema; negative: invalid by
it) as each persona in `FUZZ_PERSONAS`, with that persona's bearer token, through the Django WSGI
application on the pytest-django test database. Each answer is held to four checks:

* no server error (5xx);
* the status code is one the operation documents;
* the content type is one the operation documents for that status;
* the body conforms to the documented schema.

Generation is derandomized (a fixed seed per operation) and bounded (`EXAMPLES` per operation,
persona and mode), so the run is reproducible and stays within about two minutes on two cores.
Every finding of every operation is collected and reported at once; one finding fails the test.
"""

from __future__ import annotations

import functools
import logging
import time
import zlib
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings

pytestmark = pytest.mark.django_db

FUZZ_PERSONAS = ("donor_usa", "coordinator")
EXAMPLES = {"positive": 10, "negative": 5}

# Checks left out for one operation, each with the reason; `(method, path, check name)`.
EXCLUSIONS: dict[tuple[str, str, str], str] = {}


@pytest.fixture
def fuzz_data(personas: dict[str, Any]) -> dict[str, Any]:
    """A small but complete installation: catalog, requirements, pledges, a Kiel release, the fund."""
    from clearinghouse.catalog.services import load_catalog
    from clearinghouse.demo import DEMO_ACCOUNTS
    from clearinghouse.funds import demo as funds_demo
    from clearinghouse.participants.services import create_user
    from clearinghouse.pledges import demo as pledges_demo
    from clearinghouse.requirements import demo as requirements_demo
    from clearinghouse.tracker import services as ingest_services
    from clearinghouse.tracker.tests.kiel_files import R29

    for username, participant, role in DEMO_ACCOUNTS:
        if username in personas:
            continue
        create_user(actor=None, username=username, participant=participant, role=role, password=None)
    admin = personas["admin"]
    load_catalog(actor=admin)
    requirements_demo.seed(admin)
    pledges_demo.seed(admin)
    ingest_services.import_kiel_release(actor=admin, directory=R29)
    funds_demo.seed(admin)
    return personas


@pytest.fixture
def _keep_connection() -> Any:
    """As Django's test client does: a request's end must not close the test transaction's connection."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _known_path_parameters(personas: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """For each path with parameters, values naming records that exist (generated ids rarely do)."""
    from clearinghouse.catalog.models import ItemType
    from clearinghouse.funds.models import BurdenKey, Contribution
    from clearinghouse.pledges.models import Allocation, Delivery, Pledge
    from clearinghouse.requirements.models import Requirement

    contribution = Contribution.objects.filter(
        releasability="public"
    ).first() or Contribution.objects.earliest("pk")
    fund = {"slug": "ukraine-fund"}
    return {
        "/api/v1/participants/{code}": {"code": "USA"},
        "/api/v1/catalog/item-types/{code}": {"code": ItemType.objects.earliest("code").code},
        "/api/v1/requirements/{requirement_id}": {"requirement_id": Requirement.objects.earliest("pk").pk},
        "/api/v1/requirements/{requirement_id}/cancel": {
            "requirement_id": Requirement.objects.earliest("pk").pk
        },
        "/api/v1/pledges/{pledge_id}": {
            "pledge_id": Pledge.objects.filter(owner__code="USA").earliest("pk").pk
        },
        "/api/v1/pledges/{pledge_id}/transition": {
            "pledge_id": Pledge.objects.filter(owner__code="USA", status="offered").earliest("pk").pk
        },
        "/api/v1/allocations/{allocation_id}": {"allocation_id": Allocation.objects.earliest("pk").pk},
        "/api/v1/allocations/{allocation_id}/release": {
            "allocation_id": Allocation.objects.earliest("pk").pk
        },
        "/api/v1/deliveries/{delivery_id}": {"delivery_id": Delivery.objects.earliest("pk").pk},
        "/api/v1/deliveries/{delivery_id}/confirm": {"delivery_id": Delivery.objects.earliest("pk").pk},
        "/api/v1/funds/keys/{code}": {"code": BurdenKey.objects.earliest("pk").code},
        "/api/v1/funds/{slug}": fund,
        "/api/v1/funds/{slug}/status": fund,
        "/api/v1/funds/{slug}/shares": fund,
        "/api/v1/funds/{slug}/opt-outs": fund,
        "/api/v1/funds/{slug}/opt-outs/{participant}": {**fund, "participant": "HUN"},
        "/api/v1/funds/{slug}/contributions": fund,
        "/api/v1/funds/{slug}/contributions/{contribution_id}": {**fund, "contribution_id": contribution.pk},
        "/api/v1/funds/{slug}/pledge-credits": fund,
        "/api/v1/kiel/releases/{number}": {"number": 29},
    }


def _schema() -> Any:
    import schemathesis

    from clearinghouse.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


def _call(case: Any, *, headers: dict[str, str], checks: list[Any], excluded: list[Any]) -> None:
    """Send one case and check the answer; what the case wrote is rolled back."""
    from django.db import transaction

    with transaction.atomic():
        try:
            case.call_and_validate(headers=headers, checks=checks, excluded_checks=excluded)
        finally:
            transaction.set_rollback(True)


def _fuzz(strategy: Any, *, examples: int, seed_text: str, call: Any, findings: list[str], label: str) -> int:
    """Run `examples` cases of `strategy` (seeded, derandomized); add each distinct finding."""
    seen: set[str] = set()
    count = 0

    @seed(zlib.crc32(seed_text.encode()))
    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        nonlocal count
        count += 1
        try:
            call(case)
        except (Exception, BaseExceptionGroup) as exc:  # collected, reported together at the end
            failures = getattr(exc, "exceptions", None) or [exc]
            key = " / ".join(sorted({str(f).strip().splitlines()[0] for f in failures}))
            if key not in seen:
                seen.add(key)
                findings.append(f"{label}: {str(exc)[:1500]}")

    run()
    return count


def test_every_operation_holds_its_schema_for_every_persona(
    fuzz_data: dict[str, Any], _keep_connection: None, caplog: pytest.LogCaptureFixture
) -> None:
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    from clearinghouse.core.services import create_token

    # Thousands of 4xx answers are expected: keep only server errors in the log.
    caplog.set_level(logging.ERROR, logger="django.request")

    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    tokens = {
        name: create_token(actor=fuzz_data[name], user=fuzz_data[name], name="fuzz").raw
        for name in FUZZ_PERSONAS
    }
    schema = _schema()
    known = _known_path_parameters(fuzz_data)
    findings: list[str] = []
    operations = 0
    cases = 0
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        excluded = [c for c in checks if (operation.method.upper(), operation.path, c.__name__) in EXCLUSIONS]
        for persona in FUZZ_PERSONAS:
            runs: list[tuple[str, Any, dict[str, Any] | None]] = [
                (mode, examples, None) for mode, examples in EXAMPLES.items()
            ]
            if operation.path in known:
                # The same operation again on records that exist, so that their answers are checked too.
                runs.append(("positive", EXAMPLES["positive"], known[operation.path]))
            for mode, examples, path_parameters in runs:
                label = f"{operation.method.upper()} {operation.path} as {persona} ({mode}"
                label += ", existing records)" if path_parameters else ")"
                cases += _fuzz(
                    operation.as_strategy(
                        generation_mode=GenerationMode(mode), path_parameters=path_parameters
                    ),
                    examples=examples,
                    seed_text=label,
                    call=functools.partial(
                        _call,
                        headers={"Authorization": f"Bearer {tokens[persona]}"},
                        checks=checks,
                        excluded=excluded,
                    ),
                    findings=findings,
                    label=label,
                )
    elapsed = time.monotonic() - started
    print(
        f"schemathesis: {operations} operations, {cases} cases, "
        f"{len(FUZZ_PERSONAS)} personas, {elapsed:.0f} s"
    )
    assert operations >= 60
    assert not findings, f"{len(findings)} finding(s):\n\n" + "\n\n".join(findings)
