"""The global search: requirements, pledges, packages, meetings and participants matching a few
words, each kind read through its own app's selector (so through `restrict`): a record that is not
releasable to the user is never found, nor counted.

A query matches a record's number (``12`` or ``#12``), its reference and the text fields named in
`_requirements` … `_participants`, case-insensitively. At most `LIMIT` results of each kind.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse

from clearinghouse.core.actors import Actor
from clearinghouse.core.errors import InvalidInput
from clearinghouse.governance import selectors as governance_selectors
from clearinghouse.packages import selectors as package_selectors
from clearinghouse.participants import selectors as participant_selectors
from clearinghouse.pledges import selectors as pledge_selectors
from clearinghouse.requirements import selectors as requirement_selectors

LIMIT = 20
MAX_LENGTH = 100
KINDS = ("requirements", "pledges", "packages", "meetings", "participants")
LABELS = {
    "requirements": "Requirements",
    "pledges": "Pledges",
    "packages": "Packages",
    "meetings": "Meetings",
    "participants": "Participants",
}


@dataclass(frozen=True)
class Hit:
    """One record found: its kind, id, a title and a line of detail, and the page it is on."""

    kind: str
    id: str
    title: str
    detail: str
    url: str


def clean_query(q: Any) -> str:
    text = " ".join(str(q or "").split())
    if len(text) > MAX_LENGTH:
        raise InvalidInput(f"q: at most {MAX_LENGTH} characters", field="q")
    return text


def _number(q: str) -> Q:
    digits = q.lstrip("#")
    return Q(pk=int(digits)) if digits.isdigit() and len(digits) < 10 else Q(pk__in=[])


def _requirements(user: Actor, q: str) -> list[Hit]:
    qs: QuerySet[Any] = requirement_selectors.requirement_list(user=user).filter(
        _number(q)
        | Q(external_ref__icontains=q)
        | Q(notes__icontains=q)
        | Q(capability__name__icontains=q)
        | Q(capability__code__iexact=q)
        | Q(item_types__code__iexact=q)
    )
    return [
        Hit(
            "requirements",
            str(r.pk),
            f"Requirement #{r.pk}" + (f" · {r.external_ref}" if r.external_ref else ""),
            f"{r.capability.name}, {r.quantity} {r.unit}, {r.get_priority_display().lower()} priority",
            reverse("requirement-detail", args=[r.pk]),
        )
        for r in qs.distinct()[:LIMIT]
    ]


def _pledges(user: Actor, q: str) -> list[Hit]:
    qs = pledge_selectors.pledge_list(user=user).filter(
        _number(q)
        | Q(external_ref__icontains=q)
        | Q(notes__icontains=q)
        | Q(purpose__icontains=q)
        | Q(item_type__code__iexact=q)
        | Q(item_type__name__icontains=q)
        | Q(owner__code__iexact=q)
        | Q(owner__name__icontains=q)
    )
    out = []
    for p in qs[:LIMIT]:
        what = f"{p.quantity} × {p.item_type.code}" if p.item_type else (p.purpose or "financial")
        out.append(
            Hit(
                "pledges",
                str(p.pk),
                f"Pledge #{p.pk}" + (f" · {p.external_ref}" if p.external_ref else ""),
                f"{p.owner.code}, {what}, {p.get_status_display().lower()}",
                reverse("pledge-detail", args=[p.pk]),
            )
        )
    return out


def _packages(user: Actor, q: str) -> list[Hit]:
    qs = package_selectors.package_list(user=user).filter(
        _number(q) | Q(title__icontains=q) | Q(implementer__iexact=q)
    )
    return [
        Hit(
            "packages",
            str(p.pk),
            f"Package #{p.pk} · {p.title}",
            f"implemented by {p.implementer}, {p.get_state_display().lower()}",
            reverse("package-detail", args=[p.pk]),
        )
        for p in qs[:LIMIT]
    ]


def _meetings(user: Actor, q: str) -> list[Hit]:
    qs = governance_selectors.meeting_list(user=user).filter(
        _number(q) | Q(title__icontains=q) | Q(place__icontains=q) | Q(body__name__icontains=q)
    )
    return [
        Hit(
            "meetings",
            str(m.pk),
            m.title,
            f"{m.body.name}, {m.date:%Y-%m-%d}" + (f", {m.place}" if m.place else ""),
            reverse("meeting-detail", args=[m.pk]),
        )
        for m in qs[:LIMIT]
    ]


def _participants(user: Actor, q: str) -> list[Hit]:
    qs = participant_selectors.participant_list(user=user, q=q)
    return [
        Hit(
            "participants",
            p.code,
            f"{p.name} ({p.code})",
            p.get_kind_display(),
            reverse("participant-detail", args=[p.code]),
        )
        for p in qs[:LIMIT]
    ]


FINDERS = {
    "requirements": _requirements,
    "pledges": _pledges,
    "packages": _packages,
    "meetings": _meetings,
    "participants": _participants,
}


def search(*, user: Actor, q: Any) -> dict[str, list[Hit]]:
    """What the user may see that matches `q`, by kind (every kind present, perhaps empty). A query
    shorter than two characters finds nothing."""
    text = clean_query(q)
    if len(text) < 2:
        return {kind: [] for kind in KINDS}
    return {kind: FINDERS[kind](user, text) for kind in KINDS}


def as_json(q: str, found: dict[str, list[Hit]]) -> dict[str, Any]:
    return {
        "q": q,
        "results": {kind: [asdict(h) for h in hits] for kind, hits in found.items()},
        "count": sum(len(h) for h in found.values()),
    }
