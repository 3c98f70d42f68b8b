"""The Kiel release import as a background job (`core.jobs`; registered via `clearinghouse.jobs`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clearinghouse.core import jobs
from clearinghouse.core.jobs import JobContext
from clearinghouse.tracker import services

IMPORT_KIEL = "import.kiel"


@jobs.register(IMPORT_KIEL)
def _kiel(ctx: JobContext) -> dict[str, Any]:
    result = services.import_kiel_release(actor=ctx.owner, directory=Path(ctx.params["directory"]))
    release = result.release
    return {
        "release": release.number,
        "created": result.created,
        "current": release.is_current,
        "previous_current": result.previous_current,
        "digest": release.digest,
        "counts": release.counts,
        "warnings": [w.as_json() for w in result.warnings],
    }
