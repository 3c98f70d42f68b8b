"""Bodies and their dated membership, meetings, decisions with positions, and mandate handovers."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from clearinghouse.core import clock
from clearinghouse.core.models import RestrictedModel
from clearinghouse.governance.choices import (
    BodyKind,
    DecisionStatus,
    MeetingFormat,
    MembershipRole,
    Position,
    Procedure,
    Subject,
)


class Body(RestrictedModel):
    """A body that meets and decides: the council (`nac`), the contact group (`udcg`), a coalition."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=BodyKind.choices)
    procedure = models.CharField(max_length=20, choices=Procedure.choices, default=Procedure.CONSENSUS)
    description = models.TextField(blank=True)
    source = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ("kind", "code")
        verbose_name_plural = "bodies"

    def __str__(self) -> str:
        return self.name

    def members_on(self, on: dt.date | None = None) -> models.QuerySet[BodyMembership]:
        """The memberships in force on a date (today by default)."""
        on = on or clock.today()
        return self.memberships.filter(start__lte=on).exclude(end__lte=on).select_related("participant")


class BodyMembership(RestrictedModel):
    """A participant's membership of a body from `start` to `end` (exclusive; open when null)."""

    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="memberships")
    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.PROTECT, related_name="body_memberships"
    )
    role = models.CharField(max_length=10, choices=MembershipRole.choices, default=MembershipRole.MEMBER)
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=300, help_text="Official or press page, and its date.")

    class Meta:
        ordering = ("body", "participant__code", "start")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gt=F("start")),
                name="governance_membership_dates_ordered",
                violation_error_message="A membership must end after it starts.",
            ),
            models.UniqueConstraint(
                fields=("body", "participant"),
                condition=Q(end__isnull=True),
                name="governance_membership_one_open",
                violation_error_message="A participant has one open membership of a body.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} in {self.body_id} from {self.start}"


class Meeting(RestrictedModel):
    """A meeting of a body, with its agenda, attendance, documents and minutes."""

    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="meetings")
    date = models.DateField()
    title = models.CharField(max_length=200)
    format = models.CharField(max_length=10, choices=MeetingFormat.choices, default=MeetingFormat.IN_PERSON)
    place = models.CharField(max_length=200, blank=True)
    chairs = models.ManyToManyField("participants.Participant", related_name="chaired_meetings", blank=True)
    attendance = models.ManyToManyField(
        "participants.Participant", related_name="meetings_attended", blank=True
    )
    agenda = models.JSONField(default=list, help_text="Agenda items, in order (strings).")
    documents = models.JSONField(default=list, help_text='[{"title": ..., "url": ...}]')
    minutes = models.TextField(blank=True)
    source = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-date", "-id")

    def __str__(self) -> str:
        return f"{self.body_id} {self.date}: {self.title}"

    def previous(self) -> Meeting | None:
        """The body's meeting before this one."""
        return (
            Meeting.objects.filter(body_id=self.body_id)
            .filter(Q(date__lt=self.date) | Q(date=self.date, pk__lt=self.pk))
            .order_by("-date", "-pk")
            .first()
        )


class Decision(RestrictedModel):
    """A decision of a body under a procedure; immutable once closed (adopted or blocked)."""

    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="decisions")
    title = models.CharField(max_length=300)
    procedure = models.CharField(max_length=20, choices=Procedure.choices)
    deadline = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=DecisionStatus.choices, default=DecisionStatus.OPEN)
    subject = models.CharField(max_length=20, choices=Subject.choices, default=Subject.GENERAL)
    subject_ref = models.CharField(max_length=100, blank=True, help_text="Fund slug, handover id, ...")
    subject_participant = models.ForeignKey(
        "participants.Participant", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.PROTECT, related_name="decisions"
    )
    requirements = models.JSONField(
        default=list,
        blank=True,
        help_text="Ids of the requirements a `requirements` decision endorses once adopted.",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"Decision {self.pk} of {self.body_id}: {self.title}"


class DecisionPosition(RestrictedModel):
    """A member's stated position on a decision, and who recorded it."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="positions")
    participant = models.ForeignKey("participants.Participant", on_delete=models.PROTECT, related_name="+")
    position = models.CharField(max_length=10, choices=Position.choices)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("participant__code",)
        constraints = [
            models.UniqueConstraint(
                fields=("decision", "participant"),
                name="governance_position_one_per_member",
                violation_error_message="A member has one position on a decision.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.participant_id}: {self.position}"


class Handover(RestrictedModel):
    """A handover of the delivery coordination: decided by a body, accepted by the incoming participant.

    The new mandate exists only once both hold (`mandate` set on acceptance); history stays."""

    decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="handover")
    to_participant = models.ForeignKey("participants.Participant", on_delete=models.PROTECT, related_name="+")
    effective = models.DateField()
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    mandate = models.OneToOneField(
        "participants.CoordinationMandate",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handover",
    )

    class Meta:
        ordering = ("effective",)

    def __str__(self) -> str:
        return f"Handover to {self.to_participant_id} on {self.effective}"
