"""The kinds of background job (`core.jobs`) that draw on several apps: spreadsheet imports of
requirements and pledges. The apps register their own kinds beside (`clearing/jobs.py`: clearing
runs and scenarios; `tracker/jobs.py`: Kiel releases); importing this module registers them all.
Each wraps its service unchanged: the service checks the owner's rights, writes all or nothing in
one transaction and audits; the job adds the queue, progress and result.

Imported when the project app is ready (`clearinghouse.apps`), so that the app servers, the CLI
and `clearinghouse worker` all know the same kinds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

from clearinghouse import housekeeping, spreadsheets
from clearinghouse.clearing import jobs as clearing_jobs
from clearinghouse.core import jobs
from clearinghouse.core.errors import InvalidInput, PermissionDenied
from clearinghouse.core.jobs import JobContext
from clearinghouse.participants.permissions import is_admin
from clearinghouse.tracker import jobs as tracker_jobs

IMPORT_REQUIREMENTS = "import.requirements"
IMPORT_PLEDGES = "import.pledges"
IMPORT_KIEL = tracker_jobs.IMPORT_KIEL
CLEARING_RUN = clearing_jobs.CLEARING_RUN
CLEARING_SCENARIO = clearing_jobs.CLEARING_SCENARIO
SPREADSHEET_KINDS = {"requirements": IMPORT_REQUIREMENTS, "pledges": IMPORT_PLEDGES}


def _spreadsheet(ctx: JobContext) -> dict[str, Any]:
    # The file travels with the job (`input_file`), or, run in the process that was given it, by path.
    path = ctx.input_path or (Path(ctx.params["path"]) if ctx.params.get("path") else None)
    if path is None:
        raise InvalidInput("file: the job has no file to import", field="file")
    kind = ctx.kind.removeprefix("import.")
    summary = spreadsheets.import_file(
        actor=ctx.owner,
        path=path,
        kind=kind,
        progress=ctx.progress,
        name=ctx.input_name or ctx.params.get("name") or path.name,
    )
    return {
        "kind": summary.kind,
        "file": summary.file,
        "rows": summary.rows,
        "created": summary.created,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
        "message": str(summary),
    }


jobs.register(IMPORT_REQUIREMENTS)(_spreadsheet)
jobs.register(IMPORT_PLEDGES)(_spreadsheet)


HOUSEKEEPING = "housekeeping"


@jobs.register(HOUSEKEEPING)
def _housekeeping(ctx: JobContext) -> dict[str, Any]:
    if not is_admin(ctx.owner):
        raise PermissionDenied("Only an admin runs housekeeping.")
    outcome = housekeeping.run()
    return {"removed": outcome.counts, "runs_removed": outcome.runs_removed, "message": outcome.line()}


if settings.HOUSEKEEPING_SECONDS > 0:
    jobs.periodic(HOUSEKEEPING, settings.HOUSEKEEPING_SECONDS, housekeeping.run)
