"""Kinds of Kiel tracker figures, declared once."""

from __future__ import annotations

from django.db import models


class FlowType(models.TextChoices):
    """A column of the tracker's data_explorer.csv, stored as one flow per donor, month and column.

    `total` and `commitments` are stored as published (not derived), so that every report adds up
    the tracker's own figures; the import checks that they equal the sums they stand for.
    """

    MILITARY = "military", "Military"
    FINANCIAL = "financial", "Financial"
    HUMANITARIAN = "humanitarian", "Humanitarian"
    TO_BE_ALLOCATED = "to_be_allocated", "To be allocated"
    TOTAL = "total", "Total"
    COMMITMENTS = "commitments", "Commitments"


# The three kinds of aid that make up a total.
AID_TYPES: tuple[str, ...] = (FlowType.MILITARY, FlowType.FINANCIAL, FlowType.HUMANITARIAN)
