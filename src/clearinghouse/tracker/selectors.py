"""Reads of Kiel releases for a user: the releases, the current one, and what changed between two."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet
from django.utils.translation import gettext_noop

from clearinghouse.core.actors import Actor
from clearinghouse.core.errors import InvalidInput, NotFound
from clearinghouse.tracker.choices import AID_TYPES, FlowType
from clearinghouse.tracker.models import KielFlow, KielRelease


def release_list(*, user: Actor | None) -> QuerySet[KielRelease]:
    """Every imported release, newest number first."""
    return KielRelease.objects.restrict(user, "view").order_by("-number")


def get_release(*, user: Actor | None, number: int) -> KielRelease:
    """One release by its number, or NotFound."""
    release = release_list(user=user).filter(number=number).first()
    if release is None:
        raise NotFound(f"Release {number} is not imported.")
    return release


def current_release(*, user: Actor | None) -> KielRelease:
    """The release the reports use (the highest number imported), or NotFound when none is."""
    release = release_list(user=user).filter(is_current=True).first()
    if release is None:
        raise NotFound(
            gettext_noop(
                "No Kiel tracker release is imported yet: run `clearinghouse import kiel DIR --as USER`."
            )
        )
    return release


@dataclass(frozen=True)
class Revision:
    """One value that differs between two releases (None where a release has no such row)."""

    participant: str
    name: str
    year: int
    month: int
    type: str
    old: Decimal | None
    new: Decimal | None

    @property
    def period(self) -> str:
        return f"{self.year}-{self.month:02d}"

    @property
    def change(self) -> Decimal:
        """New minus old, a missing row counting as zero."""
        return (self.new or Decimal(0)) - (self.old or Decimal(0))


def _pick(user: Actor | None, number: int, field: str, imported: list[int]) -> KielRelease:
    release = release_list(user=user).filter(number=number).first()
    if release is None:
        listed = ", ".join(str(n) for n in imported) or "none"
        raise InvalidInput(f"Release {number} is not imported (imported: {listed}).", field=field)
    return release


def revision_releases(
    *, user: Actor | None, from_release: int | None = None, to_release: int | None = None
) -> tuple[KielRelease, KielRelease]:
    """The two releases to compare: by default the two latest (older first)."""
    imported = list(release_list(user=user).values_list("number", flat=True))
    if to_release is None:
        candidates = [n for n in imported if from_release is None or n > from_release]
        if not candidates:
            raise InvalidInput(
                "Revisions compare two releases; import a newer release first "
                f"(imported: {', '.join(map(str, imported)) or 'none'}).",
                field="to",
            )
        to_release = candidates[0]
    if from_release is None:
        older = [n for n in imported if n < to_release]
        if not older:
            raise InvalidInput(
                f"Revisions compare two releases; none is older than release {to_release} "
                f"(imported: {', '.join(map(str, imported)) or 'none'}).",
                field="from",
            )
        from_release = older[0]
    old = _pick(user, from_release, "from", imported)
    new = _pick(user, to_release, "to", imported)
    if old.pk == new.pk:
        raise InvalidInput("Name two different releases to compare.", field="to")
    return old, new


def compared_types(old: KielRelease, new: KielRelease) -> list[str]:
    """The flow types both releases publish (commitments only when both have them)."""
    types = [*AID_TYPES, FlowType.TOTAL]
    if old.has_commitments and new.has_commitments:
        types += [FlowType.TO_BE_ALLOCATED, FlowType.COMMITMENTS]
    return [str(t) for t in types]


def revisions(
    *, user: Actor | None, from_release: int | None = None, to_release: int | None = None
) -> tuple[KielRelease, KielRelease, list[Revision]]:
    """Every (donor, month, type) whose value differs between two releases, by donor, month, type.

    A release lists only donor-months with activity, so a missing row counts as zero when comparing
    (and is shown as None: "no row").
    """
    old, new = revision_releases(user=user, from_release=from_release, to_release=to_release)
    types = compared_types(old, new)
    cells: dict[tuple[str, int, int, str], list[Decimal | None]] = {}
    names: dict[str, str] = {}
    rows = (
        KielFlow.objects.restrict(user, "view")
        .filter(release__in=(old, new), type__in=types)
        .values_list("release_id", "participant__code", "participant__name", "year", "month", "type", "value")
    )
    for release_id, code, name, year, month, type_, value in rows:
        names[code] = name
        slot = cells.setdefault((code, year, month, type_), [None, None])
        slot[0 if release_id == old.pk else 1] = value
    order = {t: i for i, t in enumerate(types)}
    changed = [
        Revision(participant=k[0], name=names[k[0]], year=k[1], month=k[2], type=k[3], old=v[0], new=v[1])
        for k, v in cells.items()
        # A donor-month the file leaves out has no aid: a row of zeros that appears or goes is no revision.
        if (v[0] or 0) != (v[1] or 0)
    ]
    changed.sort(key=lambda r: (r.participant, r.year, r.month, order[r.type]))
    return old, new, changed
