"""Kinds of body, procedures, positions and states of a decision, declared once."""

from __future__ import annotations

from django.db import models


class BodyKind(models.TextChoices):
    COUNCIL = "council", "Council"
    CONTACT_GROUP = "contact_group", "Contact group"
    COALITION = "coalition", "Capability coalition"


class Procedure(models.TextChoices):
    """How a decision is taken: consensus (any objection blocks), silence (adopted at the deadline
    unless a member objects), majority (more agree than object, for bodies whose rules allow it)."""

    CONSENSUS = "consensus", "Consensus"
    SILENCE = "silence", "Silence procedure"
    MAJORITY = "majority", "Majority"


class Position(models.TextChoices):
    AGREE = "agree", "Agree"
    OBJECT = "object", "Object"
    ABSTAIN = "abstain", "Abstain (does not block)"
    EXEMPT = "exempt", "Exempt (does not block; exempted from the obligations)"


class DecisionStatus(models.TextChoices):
    OPEN = "open", "Open"
    ADOPTED = "adopted", "Adopted"
    BLOCKED = "blocked", "Blocked"


class MembershipRole(models.TextChoices):
    MEMBER = "member", "Member"
    LEAD = "lead", "Lead nation"


class MeetingFormat(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    VIRTUAL = "virtual", "Virtual"
    HYBRID = "hybrid", "Hybrid"


class Subject(models.TextChoices):
    """What a decision decides (the link is `subject_ref`)."""

    GENERAL = "general", "General"
    FUND = "fund", "Creating a fund"
    FUND_OPT_OUT = "fund_opt_out", "A member's opt-out of a fund"
    HANDOVER = "handover", "A mandate handover"
    REQUIREMENTS = "requirements", "Endorsing a list of requirements"
    ROADMAP = "roadmap", "A coalition's roadmap"
