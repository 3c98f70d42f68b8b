"""Core models: the append-only audit chain, API tokens, the releasable-record base, background jobs."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from clearinghouse.core import clock
from clearinghouse.core.actors import Actor, is_signed_in
from clearinghouse.core.choices import JobState, Releasability
from clearinghouse.core.releasability import visibility_q
from clearinghouse.core.resilient import ResilientQuerySetMixin


class RestrictedQuerySet(ResilientQuerySetMixin, models.QuerySet[Any]):
    """A queryset that can be narrowed to what a user may do (after NetBox's RestrictedQuerySet).

    Lists leave out, and log, a record that cannot be read (`core.resilient`)."""

    def restrict(self, user: Actor | None, action: str = "view") -> RestrictedQuerySet:
        """Objects `user` may `action`; deny by default (unknown action or no rule: none)."""
        model: Any = self.model
        view_q = model.view_q(user)
        if view_q is None:
            return self.none()
        write_q = Q()
        if action == "view":
            qs = self.filter(view_q)
        else:
            write_q = model.write_q(user, action)
            if write_q is None:
                return self.none()
            qs = self.filter(view_q).filter(write_q)
        # A releasable_to join (a rule `visibility_q` could not express as a subquery) can duplicate
        # rows: DISTINCT then keeps lists and counts honest. The semi-joins it writes for every known
        # releasable model never do, and a DISTINCT over every column only slows a list down.
        joins = _joins_releasable_to(view_q) or (action != "view" and _joins_releasable_to(write_q))
        return qs.distinct() if getattr(model, "uses_releasable_to", False) and joins else qs


def _joins_releasable_to(q: Any) -> bool:
    """Whether a filter reaches through a `releasable_to` many-to-many (a join, not a subquery)."""
    for child in getattr(q, "children", ()):
        if isinstance(child, Q):
            if _joins_releasable_to(child):
                return True
        elif isinstance(child, tuple) and child and "releasable_to" in str(child[0]).split("__"):
            return True
    return False


class RestrictedModel(models.Model):
    """Base of every model read through `restrict`: subclasses say who may view and change."""

    objects: ClassVar[Any] = RestrictedQuerySet.as_manager()

    class Meta:
        abstract = True

    @classmethod
    def view_q(cls, user: Actor | None) -> Q | None:
        """Who may see: default every signed-in user."""
        return Q() if is_signed_in(user) else None

    @classmethod
    def write_q(cls, user: Actor | None, action: str) -> Q | None:
        """Who may change or delete: default nobody."""
        return None


class Releasable(RestrictedModel):
    """A record with an owner and a releasability marking; visibility is `visibility_q`."""

    uses_releasable_to = True

    owner = models.ForeignKey(
        "participants.Participant", on_delete=models.PROTECT, related_name="%(app_label)s_%(class)s_owned"
    )
    releasability = models.CharField(
        max_length=20, choices=Releasability.choices, default=Releasability.COORDINATION
    )
    releasable_to = models.ManyToManyField(
        "participants.Participant", blank=True, related_name="%(app_label)s_%(class)s_releasable"
    )

    class Meta:
        abstract = True

    @classmethod
    def view_q(cls, user: Actor | None) -> Q | None:
        return visibility_q(user, model=cls)


class AuditEvent(models.Model):
    """One link of the tamper-evident audit chain; append-only in the database itself."""

    sequence = models.PositiveBigIntegerField(unique=True)
    created_at = models.DateTimeField()
    actor = models.CharField(max_length=150, blank=True)
    actor_participant = models.CharField(max_length=10, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    via = models.CharField(
        max_length=10, blank=True, help_text="The door: page, api, cli, or cli-as (an account named by --as)."
    )
    origin = models.CharField(
        max_length=100, blank=True, help_text="The client address, or the OS account and host of a CLI run."
    )
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    seal = models.CharField(
        max_length=64, blank=True, help_text="HMAC of the hash under a key kept outside the database."
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ("sequence",)
        indexes = [models.Index(fields=("object_type", "object_id"), name="core_audit_object_idx")]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.object_type}:{self.object_id}"

    @classmethod
    def view_q(cls, user: Actor | None) -> Q | None:
        """Only auditors (and admins) read the chain."""
        return Q() if cls.readable_by(user) else None

    @staticmethod
    def readable_by(user: Actor | None) -> bool:
        """The one rule for who reads the audit chain, used by the API, the page and the navigation."""
        if not is_signed_in(user):
            return False
        return bool(user.is_superuser or user.role in ("auditor", "admin"))

    @classmethod
    def write_q(cls, user: Actor | None, action: str) -> Q | None:
        return None


class ApiToken(RestrictedModel):
    """A personal API token: only a SHA-256 of it is stored; it is shown once, at creation."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, help_text="First characters, to tell tokens apart.")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, help_text="After this the token is refused.")
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= clock.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    @classmethod
    def view_q(cls, user: Actor | None) -> Q | None:
        """People see their own tokens; admins see all."""
        if not is_signed_in(user):
            return None
        return Q() if user.is_superuser or user.role == "admin" else Q(user_id=user.pk)

    @classmethod
    def write_q(cls, user: Actor | None, action: str) -> Q | None:
        return cls.view_q(user)


class IdempotencyRecord(models.Model):
    """The first response to a create sent with an `Idempotency-Key`, replayed to retries of it.

    Keys are per user: two people may pick the same key. The request digest covers the method, the
    path and the canonical JSON body, so the same key reused for a different request is refused.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotency_records"
    )
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_digest = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            models.UniqueConstraint(
                fields=("user", "key"),
                name="core_idempotency_unique_user_key",
                violation_error_message="This Idempotency-Key was already used by this user.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key} {self.method} {self.path} -> {self.response_status}"

    @classmethod
    def view_q(cls, user: Actor | None) -> Q | None:
        """People see their own records; nobody else (they are plumbing, not business records)."""
        return Q(user_id=user.pk) if is_signed_in(user) else None

    @classmethod
    def write_q(cls, user: Actor | None, action: str) -> Q | None:
        return None


class UserSession(RestrictedModel):
    """A signed-in browser session, so that its owner can see it and end it (the session store
    cannot be searched by user). Written at sign-in, removed at sign-out or revocation."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="web_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    address = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    mfa = models.BooleanField(default=False, help_text="Signed in with a second factor.")

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.user} from {self.address or '?'} at {self.created_at:%Y-%m-%d %H:%M}"

    @classmethod
    def view_q(cls, user: Actor | None) -> Q | None:
        """People see their own sessions; admins see all."""
        if not is_signed_in(user):
            return None
        return Q() if user.is_superuser or user.role == "admin" else Q(user_id=user.pk)

    @classmethod
    def write_q(cls, user: Actor | None, action: str) -> Q | None:
        return cls.view_q(user)


class Job(RestrictedModel):
    """A long task (an import, a clearing run) run by a worker on behalf of its owner (`core.jobs`).

    The task's own service writes and audits the records, all or nothing; the job row is plumbing
    that says where the task is. `worker` names the process running it (host:pid) and `heartbeat`
    when it last said it was alive, so that a job whose process died is reported failed, never
    running forever. The uploaded file a job reads travels in `input_file` (shared by every app
    server and worker through the database), cleared when the job ends.
    """

    kind = models.CharField(max_length=50)
    state = models.CharField(max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    progress = models.FloatField(default=0.0, help_text="0 to 1.")
    params = models.JSONField(default=dict, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs")
    input_name = models.CharField(max_length=255, blank=True)
    input_file = models.BinaryField(blank=True, default=b"", editable=False)
    worker = models.CharField(max_length=200, blank=True, help_text="host:pid of the process running it.")
    created_at = models.DateTimeField(default=clock.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=("state", "heartbeat"), name="core_job_state_idx")]

    def __str__(self) -> str:
        return f"job {self.pk} {self.kind} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in (JobState.SUCCEEDED, JobState.FAILED)

    @classmethod
    def view_q(cls, user: Any) -> Q | None:
        """The owner; coordinators and admins see every job. Anyone else: not found."""
        if not getattr(user, "is_authenticated", False):
            return None
        if user.is_superuser or user.role in ("coordinator", "admin"):
            return Q()
        return Q(owner_id=user.pk)

    @classmethod
    def write_q(cls, user: Any, action: str) -> Q | None:
        return None
