"""Frameworks: one payment, several promises.

A framework is a promise of a group of participants to give a yearly amount (pro rata over any period),
shared among them by a burden key; its exempt members hold no share (the others' shares are
re-normalised over the participants). What counts toward it is military aid through any channel, read
from the Kiel tracker's current release or from the system's own records. The framework only reads: a
contribution counts toward every framework whose rule it meets, and at most once within each.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from clearinghouse.core.actors import Actor, is_signed_in
from clearinghouse.core.models import RestrictedModel
from clearinghouse.core.money import AmountField
from clearinghouse.frameworks.choices import Counts, Source


class Framework(RestrictedModel):
    """A yearly target over a period, shared by a key over a group; every signed-in user reads it,
    finance officers and admins define it."""

    slug = models.SlugField(max_length=60, unique=True)
    title = models.CharField(max_length=200)
    start = models.DateField(help_text="First day of the period.")
    end = models.DateField(help_text="Last day of the period.")
    target_amount = AmountField(help_text="The target per year (pro rata over a part of a year).")
    currency = models.CharField(max_length=3)
    group = models.ForeignKey(
        "participants.ParticipantGroup", on_delete=models.PROTECT, related_name="frameworks"
    )
    burden_key = models.ForeignKey("funds.BurdenKey", on_delete=models.PROTECT, related_name="frameworks")
    exempt = models.ManyToManyField(
        "participants.Participant",
        blank=True,
        related_name="+",
        help_text="Members of the group who hold no share (the others' shares are re-normalised).",
    )
    counts = models.CharField(max_length=20, choices=Counts.choices, default=Counts.MILITARY)
    default_source = models.CharField(max_length=10, choices=Source.choices, default=Source.RECORDS)
    source_note = models.CharField(max_length=500, blank=True, help_text="Where the promise is published.")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("start", "slug")
        constraints = [
            models.CheckConstraint(
                condition=Q(target_amount__gt=0),
                name="frameworks_target_positive",
                violation_error_message="The target must be positive.",
            ),
            models.CheckConstraint(
                condition=Q(end__gte=F("start")),
                name="frameworks_period_ordered",
                violation_error_message="The period ends on or after its start.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def write_q(cls, user: Actor | None, action: str) -> Q | None:
        if is_signed_in(user) and user.has_role("finance_officer"):
            return Q()
        return None
