"""The Kiel release import as a background job (`core.jobs`; registered via `clearinghouse.jobs`):
from a directory (the command line), or from uploaded files (a page or the API: `uploads.py`)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.urls import reverse

from clearinghouse.core import jobs
from clearinghouse.core.actors import Actor
from clearinghouse.core.errors import InvalidInput, PermissionDenied
from clearinghouse.core.jobs import JobContext
from clearinghouse.core.models import Job
from clearinghouse.tracker import services, uploads
from clearinghouse.tracker.models import KielRelease

IMPORT_KIEL = "import.kiel"
IMPORT_KIEL_UPLOAD = "import.kiel_upload"


def _result(result: services.KielImportResult) -> dict[str, Any]:
    release = result.release
    previous = result.previous_current
    if not result.created:
        message = f"Release {release.number} is already imported from the same files: nothing changed."
    elif release.is_current:
        message = f"Imported {release.label}; it is now current" + (
            f" (was release {previous})." if previous else "."
        )
    else:
        message = f"Imported {release.label}; release {previous} stays current."
    older = KielRelease.objects.filter(number__lt=release.number).order_by("-number").first()
    url = reverse("kiel-releases")
    if older is not None:
        url += f"?from={older.number}&to={release.number}#revisions"
    return {
        "release": release.number,
        "created": result.created,
        "current": release.is_current,
        "previous_current": previous,
        "digest": release.digest,
        "counts": release.counts,
        "warnings": [w.as_json() for w in result.warnings],
        "message": message
        + (f" {len(result.warnings)} row(s) break its identities." if result.warnings else ""),
        "url": url,
    }


@jobs.register(IMPORT_KIEL)
def _kiel(ctx: JobContext) -> dict[str, Any]:
    return _result(services.import_kiel_release(actor=ctx.owner, directory=Path(ctx.params["directory"])))


@jobs.register(IMPORT_KIEL_UPLOAD)
def _kiel_upload(ctx: JobContext) -> dict[str, Any]:
    if ctx.input_path is None:
        raise InvalidInput("files: the job has no files to import", field="files")
    with tempfile.TemporaryDirectory(prefix="clearinghouse-kiel-") as tmp:
        directory = uploads.unpack(ctx.input_path.read_bytes(), Path(tmp))
        ctx.progress(1, 3)  # unpacked; checking and importing (all or nothing) is the rest
        result = _result(services.import_kiel_release(actor=ctx.owner, directory=directory))
        ctx.progress(3, 3)
        return result


def start_upload(*, actor: Actor, files: list[tuple[str, bytes]]) -> Job:
    """Queue the import of an uploaded release (its CSV files, or a ZIP of them) as a job of `actor`'s.

    Who may import and the files' names are checked now (PermissionDenied, InvalidInput naming the
    file); the release itself is checked when the job runs, all or nothing, by the import service.
    """
    if not services.can_import(actor):
        raise PermissionDenied(
            "Only the coordination cell (a coordinator or an analyst) or an admin can import a Kiel release."
        )
    content = uploads.bundle(files)
    return jobs.submit(
        kind=IMPORT_KIEL_UPLOAD, owner=actor, input_name=uploads.BUNDLE_NAME, input_bytes=content
    )
