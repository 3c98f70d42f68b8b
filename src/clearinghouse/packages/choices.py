"""Package states, their moves, and the implementing agencies that are not participants."""

from __future__ import annotations

from django.db import models


class PackageState(models.TextChoices):
    """Where a jointly funded package is, from proposal to completion."""

    PROPOSED = "proposed", "Proposed"
    FUNDED = "funded", "Funded"
    CONTRACTED = "contracted", "Contracted"
    DELIVERING = "delivering", "Delivering"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


TRANSITIONS: dict[str, frozenset[str]] = {
    PackageState.PROPOSED: frozenset({PackageState.FUNDED, PackageState.CANCELLED}),
    PackageState.FUNDED: frozenset({PackageState.CONTRACTED, PackageState.CANCELLED}),
    PackageState.CONTRACTED: frozenset({PackageState.DELIVERING, PackageState.CANCELLED}),
    PackageState.DELIVERING: frozenset({PackageState.COMPLETED, PackageState.CANCELLED}),
    PackageState.COMPLETED: frozenset(),
    PackageState.CANCELLED: frozenset(),
}
# States whose funding counts (the funders' military aid in the records reports).
FUNDED_STATES = frozenset(
    {PackageState.FUNDED, PackageState.CONTRACTED, PackageState.DELIVERING, PackageState.COMPLETED}
)
# States in which a contract may be added, and in which a schedule is supply for the clearing house.
CONTRACTABLE = frozenset({PackageState.FUNDED, PackageState.CONTRACTED, PackageState.DELIVERING})
SUPPLYING = frozenset({PackageState.CONTRACTED, PackageState.DELIVERING})

# Implementing agencies that are not participants, with the participant that acts for them (whose
# officers manage the package and whose name the schedule's offers carry).
AGENCIES: dict[str, tuple[str, str]] = {
    "NSPA": ("NATO Support and Procurement Agency", "NATO"),
}
