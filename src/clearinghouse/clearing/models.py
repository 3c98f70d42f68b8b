"""Clearing runs: the engine's input digest, parameters, result, explanations and timing, and
the proposals the coordination cell accepts into allocations."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from clearinghouse.clearing.choices import RUN_STATUS_LABELS, ProposalState, RunKind
from clearinghouse.core.actors import Actor
from clearinghouse.core.fields import ExactDecimalField
from clearinghouse.core.models import RestrictedModel
from clearinghouse.core.releasability import sees_everything
from clearinghouse.participants.permissions import is_coordination_cell


def _cell_q(user: Actor | None) -> Q | None:
    """Runs draw on every pledge, confidential ones included: only the coordination cell, auditors
    and admins see them (`sees_everything` is exactly that set)."""
    return Q() if sees_everything(user) else None


class ClearingRun(RestrictedModel):
    """One solve of the matching problem built from the database (or a scenario of it)."""

    kind = models.CharField(max_length=10, choices=RunKind.choices, default=RunKind.BASELINE)
    name = models.CharField(max_length=200, blank=True)
    baseline = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="scenarios"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    origin = models.DateField(help_text="First day of period 0 (the month of the run).")
    parameters = models.JSONField(help_text="Lateness penalty, weight table, periods.")
    scenario = models.JSONField(null=True, blank=True)
    input_digest = models.CharField(max_length=64, help_text="SHA-256 of the canonical problem JSON.")
    problem = models.JSONField(help_text="The engine input, with database ids as element ids.")
    status = models.CharField(max_length=20)
    objective = models.FloatField()
    bound = models.FloatField()
    result = models.JSONField()
    explanations = models.JSONField(default=dict)
    comparison = models.JSONField(null=True, blank=True)
    timings = models.JSONField(default=dict)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"Run {self.pk} ({self.kind})"

    @property
    def status_label(self) -> str:
        """The solver's status in words ("Optimal", "Stopped at the time limit")."""
        return RUN_STATUS_LABELS.get(self.status, self.status.replace("_", " ").capitalize())

    @classmethod
    def view_q(cls, user: Actor | None) -> Q | None:
        return _cell_q(user)

    @classmethod
    def write_q(cls, user: Actor | None, action: str) -> Q | None:
        # The coordination powers follow the active delivery-coordination mandate (one test).
        return Q() if is_coordination_cell(user) else None


class Proposal(RestrictedModel):
    """One allocation the run proposes: `quantity` of pledge → requirement, until accepted or refused."""

    run = models.ForeignKey(ClearingRun, on_delete=models.CASCADE, related_name="proposals")
    requirement = models.ForeignKey("requirements.Requirement", on_delete=models.PROTECT, related_name="+")
    pledge = models.ForeignKey("pledges.Pledge", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(help_text="Whole units of the pledge's item type.")
    provides = ExactDecimalField(
        max_digits=16,
        decimal_places=3,
        default=Decimal(0),
        help_text="What the quantity provides, in the requirement's units (quantity × factor).",
    )
    worth_per_unit = models.FloatField()
    state = models.CharField(max_length=10, choices=ProposalState.choices, default=ProposalState.PROPOSED)
    reason = models.TextField(blank=True)
    allocation = models.ForeignKey(
        "pledges.Allocation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    displaced = models.TextField(blank=True)

    class Meta:
        ordering = ("run", "-worth_per_unit", "id")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0),
                name="clearing_proposal_quantity_positive",
                violation_error_message="A proposal moves at least one unit.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of pledge {self.pledge_id} → requirement {self.requirement_id}"

    @classmethod
    def view_q(cls, user: Actor | None) -> Q | None:
        return _cell_q(user)

    @classmethod
    def write_q(cls, user: Actor | None, action: str) -> Q | None:
        return ClearingRun.write_q(user, action)


class RoadmapTarget(RestrictedModel):
    """A capability coalition's roadmap: a target quantity of a capability area for a year.

    Lives with the clearing house (above catalog and governance): a coalition's scope for the
    clearing is its members' pledges and the requirements in its roadmap's capability areas."""

    body = models.ForeignKey("governance.Body", on_delete=models.CASCADE, related_name="roadmap_targets")
    capability = models.ForeignKey("catalog.CapabilityArea", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    quantity = models.PositiveIntegerField()
    notes = models.TextField(blank=True)
    source = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ("body", "year", "capability__sort_order")
        constraints = [
            models.UniqueConstraint(
                fields=("body", "capability", "year"),
                name="clearing_roadmap_one_target_per_year",
                violation_error_message="A coalition has one target per capability area and year.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.body_id} {self.year} {self.capability_id}: {self.quantity}"
