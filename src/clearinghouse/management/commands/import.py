"""`clearinghouse import kiel DIR | requirements FILE | pledges FILE --as USERNAME [--wait]`.

Each import is a background job (`clearinghouse.jobs`): run here without a broker, queued for
`clearinghouse worker` with one (`--wait` follows it with a progress bar; see core/job_commands.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from clearinghouse import jobs
from clearinghouse.core.actors import Actor
from clearinghouse.core.commands import ClearinghouseCommand
from clearinghouse.core.job_commands import add_wait_argument, file_input, run_job
from clearinghouse.core.tabular import ImportErrors
from clearinghouse.tracker.models import KielRelease


class Command(ClearinghouseCommand):
    help = (
        "Import a Kiel tracker release directory, or a spreadsheet (CSV/XLSX) of requirements or pledges. "
        "All or nothing: a malformed file names file, row and column and imports nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)
        k = sub.add_parser(
            "kiel", help="A Kiel Institute Ukraine Support Tracker release (directory of CSVs)."
        )
        k.add_argument("directory", metavar="DIR", help="e.g. ../shared/data/kiel-r29")
        k.add_argument("--as", dest="as_user", metavar="USERNAME", required=True, help="Account to act as.")
        add_wait_argument(k)
        for kind in ("requirements", "pledges"):
            s = sub.add_parser(kind, help=f"A spreadsheet (CSV or XLSX) of {kind}.")
            s.add_argument("file", metavar="FILE")
            s.add_argument(
                "--as", dest="as_user", metavar="USERNAME", required=True, help="Account to act as."
            )
            add_wait_argument(s)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self.acting_user(options)
        if options["sub"] == "kiel":
            self._kiel(actor, Path(options["directory"]), wait=options["wait"])
        else:
            self._spreadsheet(actor, Path(options["file"]), options["sub"], wait=options["wait"])

    def _kiel(self, actor: Actor, directory: Path, *, wait: bool) -> None:
        # The directory as given: a worker reads it on its own machine (shared storage, or a copy).
        job = run_job(
            self,
            kind=jobs.IMPORT_KIEL,
            owner=actor,
            params={"directory": str(directory.resolve())},
            wait=wait,
            label=f"kiel {directory.name}",
        )
        if job is None:
            return
        result = job.result or {}
        release = KielRelease.objects.get(number=result["release"])
        if not result["created"]:
            self.stdout.write(
                f"Release {release.number} is already imported from the same files "
                f"(digest {release.digest[:12]}…): nothing changed."
            )
        else:
            counts = release.counts
            self.stdout.write(
                f"Imported {release.label} (published {release.date}): {counts['donors']} donors, "
                f"{counts['donor_months']} donor-months, {counts['flows']} values, "
                f"{counts['weapons']} heavy-weapons rows, {counts['procurement_months']} procurement months, "
                f"{counts['eu_shares']} EU shares; digest {release.digest[:12]}…"
            )
            if release.is_current:
                previous = (
                    f" (was release {result['previous_current']})" if result["previous_current"] else ""
                )
                self.stdout.write(f"Release {release.number} is now current{previous}.")
            else:
                self.stdout.write(
                    f"Release {release.number} is older than the current release "
                    f"{result['previous_current']}, which stays current."
                )
        warnings = result["warnings"]
        if warnings:
            self.stdout.write(f"{len(warnings)} row(s) break the release's own identities (kept, reported):")
            for w in warnings:
                row = f", row {w['row']}" if w["row"] else ""
                self.stdout.write(f"  {w['file']}{row}: {w['check']}: {w['detail']}")
        else:
            self.stdout.write("Every identity of the release holds (within the file's rounding).")

    def _spreadsheet(self, actor: Actor, path: Path, kind: str, *, wait: bool) -> None:
        from tqdm import tqdm

        bars: list[Any] = []

        def progress(done: Any, total: int | None = None) -> None:
            # A bar on stderr (stdout keeps the summary), created once the number of rows is known;
            # a single argument is a message, written as such.
            if total is None:
                self.stderr.write(str(done))
                return
            if not bars:
                stream = getattr(self.stderr, "_out", self.stderr)
                bars.append(tqdm(total=total, unit="row", desc=f"{kind} {path.name}", file=stream))
            bars[0].update(done - bars[0].n)

        def queued() -> tuple[dict[str, Any], str, bytes]:
            # A worker may run on another machine: the file travels with the job.
            name, content = file_input(path)
            return {}, name, content

        try:
            job = run_job(
                self,
                kind=jobs.SPREADSHEET_KINDS[kind],
                owner=actor,
                params={"path": str(path), "name": path.name},
                wait=wait,
                inline_progress=progress,
                queued_params=queued,
                label=f"{kind} {path.name}",
            )
        except ImportErrors as exc:
            for bar in bars:
                bar.close()
            bars.clear()
            if exc.total == 1:
                raise CommandError(exc.message) from None
            # Every error on its own line (file, row, column, problem), then the verdict.
            for line in exc.lines:
                self.stderr.write(line)
            raise CommandError(f"{exc.file}: {exc.total} errors; nothing was imported") from None
        finally:
            for bar in bars:
                bar.close()
        if job is not None:
            self.stdout.write(str((job.result or {})["message"]))
