"""Capability coalitions at work: roadmap, requirements view, members' pledges, clearing over the scope."""

from __future__ import annotations

from typing import Any

import pytest

from clearinghouse.clearing import services as clearing_services
from clearinghouse.clearing.models import ClearingRun, Proposal
from clearinghouse.core.errors import InvalidInput, PermissionDenied
from clearinghouse.pledges.tests import factories

pytestmark = pytest.mark.django_db


def test_roadmap_view_and_clearing_over_the_coalition_scope(bodies: dict[str, Any], api_client: Any) -> None:
    factories.ensure_catalog()
    need = factories.requirement(bodies)  # ammunition, 1000 rounds of 155mm
    inside = factories.accepted(bodies, donor="donor_usa")  # USA: a member of the artillery coalition
    outside = factories.accepted(bodies, donor="outsider")  # JPN is not a member
    with pytest.raises(InvalidInput, match="no roadmap"):
        clearing_services.run_matching(actor=bodies["coordinator"], coalition="coalition-artillery")
    # A lead nation's officer (USA leads artillery) sets the roadmap; another donor may not.
    with pytest.raises(PermissionDenied):
        clearing_services.set_roadmap_target(
            actor=bodies["donor_deu"],
            coalition="coalition-artillery",
            capability="ammunition",
            year=2026,
            quantity=1,
        )
    r = api_client(bodies["donor_usa"]).post(
        "/api/v1/clearing/coalitions/coalition-artillery/roadmap",
        {"capability": "ammunition", "year": 2026, "quantity": 500000, "source": "test"},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    view = api_client(bodies["analyst"]).get("/api/v1/clearing/coalitions/coalition-artillery").json()
    assert view["roadmap"] == [
        {"capability": "ammunition", "year": 2026, "quantity": 500000, "source": "test"}
    ]
    assert set(view["leads"]) == {"FRA", "USA"}
    assert [x["id"] for x in view["requirements"]] == [need.pk]
    assert {x["id"] for x in view["pledges"]} == {inside.pk}
    run = clearing_services.run_matching(actor=bodies["coordinator"], coalition="coalition-artillery")
    assert run.parameters["scope"]["coalition"] == "coalition-artillery"
    pledged = set(Proposal.objects.filter(run=run).values_list("pledge_id", flat=True))
    assert pledged == {inside.pk} and outside.pk not in pledged
    everyone = clearing_services.run_matching(actor=bodies["coordinator"])
    assert outside.pk in set(Proposal.objects.filter(run=everyone).values_list("pledge_id", flat=True))
    # The same through the command line.
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("clearing", "run", "--coalition", "coalition-artillery", "--as", "coordinator", stdout=out)
    cli_run = ClearingRun.objects.order_by("-pk").first()
    assert cli_run is not None and cli_run.parameters["scope"]["coalition"] == "coalition-artillery"
    assert set(cli_run.proposals.values_list("pledge_id", flat=True)) == {inside.pk}


def test_shipped_roadmap_targets_load_once_with_their_source(bodies: dict[str, Any]) -> None:
    from clearinghouse.catalog.services import load_catalog
    from clearinghouse.clearing.models import RoadmapTarget
    from clearinghouse.core.models import AuditEvent

    load_catalog()
    assert clearing_services.load_roadmap_targets(actor=bodies["admin"]) == {"created": 2}
    assert clearing_services.load_roadmap_targets(actor=bodies["admin"]) == {"created": 0}
    got = {(t.body.code, t.capability.code, t.year): t for t in RoadmapTarget.objects.all()}
    assert set(got) == {("coalition-artillery", "artillery", 2024), ("coalition-drones", "drones", 2024)}
    caesar = got[("coalition-artillery", "artillery", 2024)]
    assert caesar.quantity == 78 and "18 January 2024" in caesar.source and "CAESAR" in caesar.notes
    assert got[("coalition-drones", "drones", 2024)].quantity == 1_000_000
    assert AuditEvent.objects.filter(object_type__icontains="roadmap").count() == 2
