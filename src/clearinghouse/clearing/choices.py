"""Kinds and states of clearing runs and proposals."""

from __future__ import annotations

from django.db import models


class RunKind(models.TextChoices):
    """A baseline run on current data, or a what-if scenario compared with a baseline."""

    BASELINE = "baseline", "Baseline"
    SCENARIO = "scenario", "Scenario"


class ProposalState(models.TextChoices):
    """What became of one proposed allocation."""

    PROPOSED = "proposed", "Proposed"
    ACCEPTED = "accepted", "Accepted"
    REFUSED = "refused", "Refused (data changed since the run)"


# The solver's status words (stored as the engine gives them), for people.
RUN_STATUS_LABELS = {
    "optimal": "Optimal",
    "feasible": "Feasible (not proven optimal)",
    "infeasible": "Infeasible",
    "time_limit": "Stopped at the time limit",
    "empty": "Nothing to match",
}
