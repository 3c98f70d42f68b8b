"""The Kiel Institute's Ukraine Support Tracker, one release at a time, exactly as published.

Every figure is a `Decimal` parsed from the file's text (never a float), so reports reproduce the
tracker to the last decimal. Each row belongs to the release it came from: importing a newer
release adds its rows and makes it current, and the older release's rows stay for comparison.

The tracker's data is public: every model here is readable by anyone (the doors decide who may
reach it: the API and the dashboard ask for a sign-in, the public page does not).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from clearinghouse.core.actors import Actor
from clearinghouse.core.fields import ExactDecimalField
from clearinghouse.core.models import RestrictedModel
from clearinghouse.core.money import AmountField
from clearinghouse.tracker.choices import FlowType


class PublicTrackerModel(RestrictedModel):
    """Base of the tracker's tables: public data, read by everyone, written only by the importer."""

    class Meta:
        abstract = True

    @classmethod
    def view_q(cls, user: Actor | None) -> Q | None:
        return Q()

    @classmethod
    def write_q(cls, user: Actor | None, action: str) -> Q | None:
        return None


class KielRelease(PublicTrackerModel):
    """One imported release of the tracker: its number, period, date, and the digest of its files."""

    number = models.PositiveIntegerField(unique=True, help_text="Release number, e.g. 29.")
    period = models.CharField(max_length=20, help_text="The data's period as published, e.g. 04/2026.")
    date = models.DateField(help_text="Publication date of the release.")
    label = models.CharField(max_length=200)
    imported_at = models.DateTimeField()
    digest = models.CharField(max_length=64, help_text="SHA-256 over the names and contents of the files.")
    files = models.JSONField(default=list, help_text="Names of the files the release was imported from.")
    is_current = models.BooleanField(default=False)
    has_commitments = models.BooleanField(
        default=True, help_text="Whether data_explorer.csv had the commitments and to_be_allocated columns."
    )
    counts = models.JSONField(default=dict, help_text="Rows imported, per table.")
    warnings = models.JSONField(
        default=list, help_text="Rows that break the release's own identities (file, row, check, detail)."
    )

    class Meta:
        ordering = ("-number",)
        constraints = [
            models.UniqueConstraint(
                fields=("is_current",),
                condition=Q(is_current=True),
                name="ingest_kielrelease_one_current",
                violation_error_message="Only one Kiel release can be current.",
            )
        ]

    def __str__(self) -> str:
        return self.label or f"Release {self.number}"

    @property
    def source_line(self) -> str:
        """The citation shown beside every figure of this release."""
        return f"Kiel Institute for the World Economy, Ukraine Support Tracker, Release {self.number}"


class KielFlow(PublicTrackerModel):
    """One cell of data_explorer.csv: a donor's aid of one type in one month, in EUR billion."""

    release = models.ForeignKey(KielRelease, on_delete=models.CASCADE, related_name="flows")
    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.PROTECT, related_name="kiel_flows"
    )
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    type = models.CharField(max_length=20, choices=FlowType.choices)
    value = ExactDecimalField(max_digits=18, decimal_places=9, help_text="EUR billion, as in the file.")

    class Meta:
        ordering = ("release", "participant", "year", "month", "type")
        constraints = [
            models.UniqueConstraint(
                fields=("release", "participant", "year", "month", "type"),
                name="ingest_kielflow_unique_cell",
                violation_error_message="One value per release, donor, month and type.",
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12),
                name="ingest_kielflow_month_range",
                violation_error_message="Month must be 1 to 12.",
            ),
        ]

    def __str__(self) -> str:
        return f"R{self.release_id} {self.participant_id} {self.year}-{self.month:02d} {self.type}"


class KielGdp(PublicTrackerModel):
    """A donor's 2021 GDP (EUR billion) as the release uses it for shares of GDP (0 for the EU)."""

    release = models.ForeignKey(KielRelease, on_delete=models.CASCADE, related_name="gdps")
    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.PROTECT, related_name="kiel_gdps"
    )
    gdp_eur_bn = ExactDecimalField(max_digits=18, decimal_places=13)

    class Meta:
        ordering = ("release", "participant")
        constraints = [
            models.UniqueConstraint(
                fields=("release", "participant"),
                name="ingest_kielgdp_unique",
                violation_error_message="One GDP per release and donor.",
            )
        ]

    def __str__(self) -> str:
        return f"R{self.release_id} {self.participant_id} GDP {self.gdp_eur_bn}"


class KielEuShare(PublicTrackerModel):
    """An EU member's attributed share of the EU institutions' aid, from eu_aid_shares.csv."""

    release = models.ForeignKey(KielRelease, on_delete=models.CASCADE, related_name="eu_shares")
    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.PROTECT, related_name="kiel_eu_shares"
    )
    bilateral_pct_gdp = ExactDecimalField(max_digits=18, decimal_places=12)
    eu_share_pct_gdp = ExactDecimalField(max_digits=18, decimal_places=12)
    total_pct_gdp = ExactDecimalField(max_digits=18, decimal_places=12)
    eu_share_bn = ExactDecimalField(max_digits=18, decimal_places=9)

    class Meta:
        ordering = ("release", "participant")
        constraints = [
            models.UniqueConstraint(
                fields=("release", "participant"),
                name="ingest_kieleushare_unique",
                violation_error_message="One EU share per release and member.",
            )
        ]

    def __str__(self) -> str:
        return f"R{self.release_id} {self.participant_id} EU share {self.eu_share_bn}"


class KielProcurement(PublicTrackerModel):
    """Military aid of one month by source (procurement_trends.csv; not exactly the military total)."""

    release = models.ForeignKey(KielRelease, on_delete=models.CASCADE, related_name="procurement")
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    stockpile = ExactDecimalField(max_digits=18, decimal_places=17)
    procurement = ExactDecimalField(max_digits=18, decimal_places=17)
    unspecified = ExactDecimalField(max_digits=18, decimal_places=17)
    nato_purl = ExactDecimalField(max_digits=18, decimal_places=17)

    class Meta:
        ordering = ("release", "year", "month")
        constraints = [
            models.UniqueConstraint(
                fields=("release", "year", "month"),
                name="ingest_kielprocurement_unique",
                violation_error_message="One row per release and month.",
            )
        ]

    def __str__(self) -> str:
        return f"R{self.release_id} {self.year}-{self.month:02d} procurement"


class KielWeapons(PublicTrackerModel):
    """Heavy weapons of one category pledged by one donor: count, value in EUR, and the models."""

    release = models.ForeignKey(KielRelease, on_delete=models.CASCADE, related_name="weapons")
    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.PROTECT, related_name="kiel_weapons"
    )
    category = models.CharField(max_length=40)
    count = models.PositiveIntegerField()
    value_eur = AmountField(help_text="EUR, not billions.")
    models_list = models.JSONField(default=list, help_text='[{"name": "M777 howitzer", "count": 6}, ...]')

    class Meta:
        ordering = ("release", "category", "participant")
        constraints = [
            models.UniqueConstraint(
                fields=("release", "participant", "category"),
                name="ingest_kielweapons_unique",
                violation_error_message="One row per release, donor and category.",
            )
        ]

    def __str__(self) -> str:
        return f"R{self.release_id} {self.participant_id} {self.category} ×{self.count}"
