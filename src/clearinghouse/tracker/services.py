"""Tracker services: importing a Kiel tracker release. The only code of this app that writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from clearinghouse.core import audit, clock
from clearinghouse.core.actors import Actor, is_signed_in
from clearinghouse.core.errors import Conflict, PermissionDenied
from clearinghouse.participants.choices import Role
from clearinghouse.participants.models import Participant
from clearinghouse.tracker import kiel, limits
from clearinghouse.tracker.choices import FlowType
from clearinghouse.tracker.models import (
    KielEuShare,
    KielFlow,
    KielGdp,
    KielProcurement,
    KielRelease,
    KielWeapons,
)

SHIPPED_RELEASE = Path(__file__).resolve().parent / "data" / "kiel-r29"


@dataclass
class KielImportResult:
    """What an import did: the release, whether it was new, and the rows that break its identities."""

    release: KielRelease
    created: bool
    warnings: list[kiel.IdentityWarning] = field(default_factory=list)
    previous_current: int | None = None


def can_import(user: Actor) -> bool:
    """The coordination cell (a coordinator or an analyst of the coordinating body) or an admin."""
    if not is_signed_in(user) or not user.is_active:
        return False
    if user.is_superuser or user.role == Role.ADMIN:
        return True
    return bool(user.role in (Role.COORDINATOR, Role.ANALYST) and user.is_coordination)


def import_kiel_release(*, actor: Actor, directory: Path) -> KielImportResult:
    """Import a release directory all or nothing; the same release again changes nothing.

    Malformed files raise `KielFormatError` (file, row, column) before anything is written. Rows
    that break the release's own identities are kept and reported as warnings with the release.
    A release with a higher number than the current one becomes current; older releases stay.
    """
    if not can_import(actor):
        raise PermissionDenied(
            "Only the coordination cell (a coordinator or an analyst) or an admin can import a Kiel release."
        )
    participants = {p.code: p for p in Participant.objects.all()}
    by_tracker_name = {p.tracker_name.casefold(): p.code for p in participants.values() if p.tracker_name}
    parsed = kiel.read_release(
        Path(directory),
        known_codes=set(participants),
        code_for_tracker_name=lambda name: by_tracker_name.get(name.strip().casefold()),
    )
    limits.check_fits(parsed)
    with transaction.atomic(), audit.deferred():  # the chain locked only to append, at the end
        existing = KielRelease.objects.select_for_update().filter(number=parsed.info.number).first()
        if existing is not None:
            if existing.digest == parsed.digest:
                return KielImportResult(
                    release=existing,
                    created=False,
                    warnings=[kiel.IdentityWarning(**w) for w in existing.warnings],
                )
            raise Conflict(
                f"Release {parsed.info.number} was imported already from different files "
                f"(digest {existing.digest[:12]}…, these files {parsed.digest[:12]}…); "
                "a corrected release needs its own number."
            )
        warnings = kiel.check_identities(
            parsed, tracker_name_for=lambda code: participants[code].tracker_name
        )
        release = KielRelease.objects.create(
            number=parsed.info.number,
            period=parsed.info.period,
            date=parsed.info.date,
            label=parsed.info.label,
            imported_at=clock.now(),
            digest=parsed.digest,
            files=parsed.files,
            has_commitments=parsed.has_commitments,
            warnings=[w.as_json() for w in warnings],
        )
        release.counts = _store_rows(release, parsed, participants)
        previous_current = _make_current_if_newest(release)
        release.save(update_fields=["counts", "is_current"])
        audit.record(
            actor=actor,
            action="import",
            obj=release,
            after={
                "number": release.number,
                "label": release.label,
                "period": release.period,
                "date": release.date,
                "digest": release.digest,
                "files": release.files,
                "counts": release.counts,
                "warnings": len(warnings),
                "is_current": release.is_current,
                "previous_current": previous_current,
            },
        )
    audit.checkpoint_after_import()
    return KielImportResult(
        release=release, created=True, warnings=warnings, previous_current=previous_current
    )


def _store_rows(
    release: KielRelease, parsed: kiel.ParsedRelease, participants: dict[str, Participant]
) -> dict[str, int]:
    """Write every row of the release; how many of each kind."""
    flows = [
        KielFlow(
            release=release,
            participant=participants[r.code],
            year=r.year,
            month=r.month,
            type=FlowType(column),
            value=value,
        )
        for r in parsed.explorer
        for column, value in r.values.items()
    ]
    KielFlow.objects.bulk_create(flows, batch_size=2000)
    gdps: dict[str, Any] = {}
    for r in parsed.explorer:
        gdps.setdefault(r.code, r.gdp)
    KielGdp.objects.bulk_create(
        [KielGdp(release=release, participant=participants[c], gdp_eur_bn=g) for c, g in gdps.items()]
    )
    KielEuShare.objects.bulk_create(
        [
            KielEuShare(
                release=release,
                participant=participants[s.code],
                bilateral_pct_gdp=s.bilateral_pct_gdp,
                eu_share_pct_gdp=s.eu_share_pct_gdp,
                total_pct_gdp=s.total_pct_gdp,
                eu_share_bn=s.eu_share_bn,
            )
            for s in parsed.eu_shares
        ]
    )
    KielProcurement.objects.bulk_create(
        [
            KielProcurement(
                release=release,
                year=p.year,
                month=p.month,
                stockpile=p.stockpile,
                procurement=p.procurement,
                unspecified=p.unspecified,
                nato_purl=p.nato_purl,
            )
            for p in parsed.procurement
        ]
    )
    KielWeapons.objects.bulk_create(
        [
            KielWeapons(
                release=release,
                participant=participants[w.code],
                category=w.category,
                count=w.count,
                value_eur=w.value_eur,
                models_list=w.models,
            )
            for w in parsed.weapons
        ]
    )
    return {
        "flows": len(flows),
        "donor_months": len(parsed.explorer),
        "donors": len(gdps),
        "eu_shares": len(parsed.eu_shares),
        "procurement_months": len(parsed.procurement),
        "weapons": len(parsed.weapons),
    }


def _make_current_if_newest(release: KielRelease) -> int | None:
    """Make the release current if its number is above the current one's; the number of the
    release that was current before (None if none was)."""
    current = KielRelease.objects.select_for_update().filter(is_current=True).first()
    previous_current = current.number if current is not None else None
    if current is None or current.number < release.number:
        # Unset the old one first: at most one current release (unique constraint).
        KielRelease.objects.filter(is_current=True).update(is_current=False)
        release.is_current = True
    return previous_current
