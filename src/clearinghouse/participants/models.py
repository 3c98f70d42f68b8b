"""Participants, groups, coordination mandates and the people who act for participants."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Count, F, Q

from clearinghouse.core import clock
from clearinghouse.core.actors import Actor, is_signed_in
from clearinghouse.core.models import RestrictedModel, RestrictedQuerySet
from clearinghouse.participants.choices import MandateFunction, ParticipantKind, Role
from clearinghouse.participants.names import localized_name
from clearinghouse.participants.zones import default_zone

# The body whose dated membership is the contact group (the `contact_group` marking follows it).
CONTACT_GROUP_BODY = "udcg"


class Participant(RestrictedModel):
    """A country or organisation of the contact group (or a donor outside it), by ISO alpha-3 or own code."""

    code = models.CharField(max_length=10, unique=True, help_text="ISO 3166 alpha-3, or EU / NATO.")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=ParticipantKind.choices)
    alliance_accession_year = models.PositiveSmallIntegerField(null=True, blank=True)
    in_contact_group = models.BooleanField(
        default=True, help_text="False for donors that give aid but do not take part in the contact group."
    )
    tracker_name = models.CharField(
        max_length=120, blank=True, help_text="The donor's name in the Kiel Institute tracker's files."
    )
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        help_text="IANA time zone of its people; blank: its capital's (participants.zones).",
    )

    class Meta:
        ordering = ("name",)
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=ParticipantKind.ALLY, alliance_accession_year__isnull=False)
                | ~Q(kind=ParticipantKind.ALLY),
                name="participants_participant_ally_has_accession",
                violation_error_message="An ally needs its accession year.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def zone(self) -> str:
        """The time zone of this participant's people: its own, else its capital's (UTC if unknown)."""
        return self.time_zone or default_zone(self.code)

    @property
    def local_name(self) -> str:
        """The name in the active language (ISO 3166 names in French and Ukrainian from pycountry)."""
        return localized_name(self.code, self.name)

    @property
    def is_ally(self) -> bool:
        return self.kind == ParticipantKind.ALLY

    def is_contact_group_member(self, on: dt.date | None = None) -> bool:
        """Whether this participant is a member of the contact group (body `udcg`) on `on` (today).

        The dated membership of the body decides once the bodies are loaded (governance); before
        that, the `in_contact_group` flag of the shipped data. One query, read through the reverse
        relation (governance sits above participants)."""
        on = on or clock.today()
        memberships = self.body_memberships.model.objects.filter(body__code=CONTACT_GROUP_BODY)
        counts = memberships.aggregate(
            loaded=Count("pk"),
            mine=Count("pk", filter=Q(participant_id=self.pk, start__lte=on) & ~Q(end__lte=on)),
        )
        if not counts["loaded"]:
            return bool(self.in_contact_group)
        return bool(counts["mine"])


class ParticipantGroup(RestrictedModel):
    """A named set of participants: the alliance, EU27, continental Europe, ..."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    members = models.ManyToManyField(Participant, related_name="groups", blank=True)

    class Meta:
        ordering = ("code",)

    def __str__(self) -> str:
        return self.name


class CoordinationMandate(RestrictedModel):
    """A function held by a participant from `start` (inclusive) to `end` (exclusive; open when null).

    `function` is `delivery_coordination` (whoever holds it on a date has the coordination powers:
    `permissions.is_coordination_cell`) or `chair` of the contact group (`co_chair` marks a co-chair).
    """

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="mandates")
    function = models.CharField(
        max_length=30, choices=MandateFunction.choices, default=MandateFunction.DELIVERY_COORDINATION
    )
    co_chair = models.BooleanField(default=False)
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    source = models.CharField(max_length=300, blank=True, help_text="Official or press page, and its date.")

    class Meta:
        ordering = ("start",)
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gt=F("start")),
                name="participants_mandate_dates_ordered",
                violation_error_message="A mandate must end after it starts.",
            ),
            models.UniqueConstraint(
                fields=("function",),
                condition=Q(end__isnull=True, co_chair=False),
                name="participants_mandate_one_open_per_function",
                violation_error_message="Only one mandate of a function can be open at a time.",
            ),
            models.CheckConstraint(
                condition=Q(co_chair=False) | Q(function=MandateFunction.CHAIR),
                name="participants_mandate_co_chair_only_chair",
                violation_error_message="Only the chair can be co-held.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.function} {self.participant.code} from {self.start}" + (
            f" to {self.end}" if self.end else ""
        )


class ClearinghouseUserManager(UserManager["User"]):
    """Users are read through `restrict` like everything else."""

    def get_queryset(self) -> RestrictedQuerySet:
        return RestrictedQuerySet(self.model, using=self._db)

    def restrict(self, user: Actor | None, action: str = "view") -> RestrictedQuerySet:
        return self.get_queryset().restrict(user, action)


class User(AbstractUser):
    """A person, acting for exactly one participant in one role."""

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="users")
    role = models.CharField(max_length=20, choices=Role.choices)
    language = models.CharField(
        max_length=8, blank=True, help_text="Language of the pages (en, fr, uk); blank: the browser's."
    )
    time_zone = models.CharField(
        max_length=64, blank=True, help_text="IANA time zone of the pages; blank: the participant's."
    )

    objects = ClearinghouseUserManager()  # type: ignore[misc]  # django-stubs: a custom manager on AbstractUser

    REQUIRED_FIELDS = ["email", "participant", "role"]

    class Meta:
        ordering = ("username",)

    @property
    def is_coordination(self) -> bool:
        """Users of the coordinating body (the coordination cell)."""
        return self.participant.kind == ParticipantKind.COORDINATING_BODY

    @property
    def is_recipient(self) -> bool:
        return self.participant.kind == ParticipantKind.RECIPIENT

    def has_role(self, *roles: str) -> bool:
        """Whether this account holds one of `roles` (admins hold all)."""
        return self.is_active and (self.role in roles or self.role == Role.ADMIN or self.is_superuser)

    @classmethod
    def view_q(cls, user: Actor | None) -> Q | None:
        """People see the accounts of their own participant; coordination, auditors and admins see all."""
        if not is_signed_in(user):
            return None
        if user.is_superuser or user.role in (Role.ADMIN, Role.AUDITOR) or user.is_coordination:
            return Q()
        return Q(participant_id=user.participant_id)

    @classmethod
    def write_q(cls, user: Actor | None, action: str) -> Q | None:
        return Q() if is_signed_in(user) and user.has_role(Role.ADMIN) else None


class SavedView(RestrictedModel):
    """A list's filters and sort order saved under a name by one user ("my offered ammunition")."""

    user = models.ForeignKey("participants.User", on_delete=models.CASCADE, related_name="saved_views")
    list_name = models.CharField(max_length=40, help_text="The list's page, e.g. pledge-list.")
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=1000, blank=True, help_text="The page's query string, without '?'.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("list_name", "name")
        constraints = [
            models.UniqueConstraint(
                fields=("user", "list_name", "name"),
                name="participants_savedview_unique_name",
                violation_error_message="You already have a saved view of this list with this name.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.list_name}: {self.name}"

    @classmethod
    def view_q(cls, user: Actor | None) -> Q | None:
        """Each user sees their own saved views only."""
        return Q(user_id=user.pk) if is_signed_in(user) else None

    @classmethod
    def write_q(cls, user: Actor | None, action: str) -> Q | None:
        return Q(user_id=user.pk) if is_signed_in(user) else None
