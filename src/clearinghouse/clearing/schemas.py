"""API schemas of the clearing house."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field

from clearinghouse.core.validation import Line
from clearinghouse.packages.selectors import packages_of_pledges
from clearinghouse.requirements.equivalence import format_factor


class RunIn(Schema):
    lateness_penalty: float = Field(100, ge=0, description="Worth lost per unit for each month late.")
    name: Line = Field("", max_length=200)
    coalition: Line | None = Field(
        None,
        max_length=40,
        description="Run over this capability coalition's scope only (e.g. coalition-drones).",
    )


class RoadmapTargetIn(Schema):
    capability: Line = Field(..., max_length=40)
    year: int = Field(..., ge=2022, le=2100)
    quantity: int = Field(..., ge=0, le=2_000_000_000)
    notes: Line = Field("", max_length=2000)
    source: Line = Field("", max_length=300)


class HypotheticalOfferIn(Schema):
    """An offer that does not exist (yet): checked against the participants, the catalog and the
    run's planning horizon."""

    model_config = ConfigDict(extra="forbid")

    donor: str = Field(description="Participant code of a donor, e.g. FRA.")
    item_type: str = Field(description="Catalog item type code, e.g. AMM-155-HE.")
    quantity: int = Field(description="Units, at least 1.")
    available_from: dt.date = Field(description="YYYY-MM-DD, inside the run's planning horizon.")


class ScenarioIn(Schema):
    name: Line = Field("Scenario", max_length=200)
    exclude_donors: list[Line] = Field(
        default_factory=list, description="Donor codes whose pending pledges stall."
    )
    delay_donors: dict[Line, int] = Field(default_factory=dict, description="Donor code → months of delay.")
    scale_donors: dict[Line, float] = Field(
        default_factory=dict, description="Donor code → factor on quantities."
    )
    add_offers: list[HypotheticalOfferIn] = Field(
        default_factory=list,
        description="Hypothetical offers. Unknown participants or item types, quantities below 1 and "
        "dates outside the planning horizon are refused (422 naming the field).",
    )
    stall_packages: list[Any] = Field(
        default_factory=list,
        description="Package ids whose schedule stalls: pending offers and allocated but undelivered "
        "units are gone.",
    )
    delay_packages: dict[str, Any] = Field(
        default_factory=dict,
        description="Package id → months of delay of its schedule (pending offers and allocated but "
        "undelivered units).",
    )
    lateness_penalty: float = Field(100, ge=0)


class RunOut(Schema):
    id: int
    kind: str
    name: str
    created_at: dt.datetime
    created_by: str
    origin: dt.date
    input_digest: str
    status: str
    objective: float
    bound: float
    parameters: dict[str, Any]
    scenario: dict[str, Any] | None
    comparison: dict[str, Any] | None
    timings: dict[str, Any]
    proposals: int
    unmet: list[dict[str, Any]]
    explanations: dict[str, Any]

    @staticmethod
    def resolve_created_by(obj: Any) -> str:
        return str(obj.created_by.username)

    @staticmethod
    def resolve_proposals(obj: Any) -> int:
        return int(obj.proposals.count())

    @staticmethod
    def resolve_unmet(obj: Any) -> list[dict[str, Any]]:
        return list(obj.result.get("unmet", []))

    @staticmethod
    def resolve_parameters(obj: Any) -> dict[str, Any]:
        return {k: v for k, v in obj.parameters.items() if k != "elements"}


class RunSummaryOut(Schema):
    id: int
    kind: str
    name: str
    created_at: dt.datetime
    status: str
    objective: float
    input_digest: str


class ProposalOut(Schema):
    id: int
    requirement: int = Field(alias="requirement_id")
    pledge: int = Field(alias="pledge_id")
    package: int | None = Field(
        None, description="The package whose delivery schedule the pledge is (or null)."
    )
    quantity: int = Field(description="Whole units of the pledge's item type.")
    provides: str = Field(
        description="What they provide, in the requirement's units: quantity × the requirement's "
        'equivalence factor for the pledge\'s item type (a decimal string, e.g. "1.5").'
    )
    worth_per_unit: float
    state: str
    reason: str
    allocation: int | None = Field(alias="allocation_id")
    displaced: str

    @staticmethod
    def resolve_package(obj: Any) -> int | None:
        # Lists annotate it (clearing/selectors.proposal_list); an accepted proposal asks once.
        if "package_ref" in vars(obj):
            return vars(obj)["package_ref"]  # type: ignore[no-any-return]
        return packages_of_pledges([obj.pledge_id]).get(obj.pledge_id)

    @staticmethod
    def resolve_provides(obj: Any) -> str:
        return format_factor(obj.provides)


class AcceptIn(Schema):
    proposals: list[int] | None = Field(None, description="Proposal ids to accept; omit to accept all.")


class AcceptOut(Schema):
    accepted: list[ProposalOut]
    refused: list[ProposalOut]
