"""Background jobs at the command line: run or queue a job, follow it with a progress bar (`--wait`).

Without a broker the command's own process is the worker: it runs the job to its end, whether or
not `--wait` is given (nobody else would), and reports as the command always did. With a broker
(`CLEARINGHOUSE_BROKER_URL`) the job goes to `clearinghouse worker`; the command prints the job's
id and returns, or with `--wait` follows it with a progress bar and prints its outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clearinghouse.core import jobs, tabular
from clearinghouse.core.choices import JobState
from clearinghouse.core.models import Job


def add_wait_argument(parser: CommandParser) -> None:
    """`--wait`: follow the job to its end with a progress bar (else print its id and return)."""
    parser.add_argument(
        "--wait",
        action="store_true",
        help="With a broker (CLEARINGHOUSE_BROKER_URL): follow the job to its end with a progress bar; "
        "without --wait the job's id is printed. Without a broker the command runs the job itself.",
    )


def file_input(path: Path) -> tuple[str, bytes]:
    """A file for a job on another machine: its name and content (refused at once if too big)."""
    if not path.is_file():
        return path.name, b""
    size = path.stat().st_size
    if size > tabular.MAX_FILE_BYTES:
        tabular.too_big(path.name, size)
    return path.name, path.read_bytes()


def queued_message(job: Job) -> str:
    return (
        f"job {job.pk} queued ({job.kind}): follow it with `clearinghouse jobs show {job.pk} --wait` "
        f"or GET /api/v1/jobs/{job.pk}"
    )


def run_job(
    command: BaseCommand,
    *,
    kind: str,
    owner: Any,
    params: dict[str, Any],
    wait: bool,
    inline_progress: Callable[[int, int], None] | None = None,
    queued_params: Callable[[], tuple[dict[str, Any], str, bytes]] | None = None,
    label: str = "",
) -> Job | None:
    """Run `kind` as a job of `owner`'s: its finished job, or None when it was queued and not waited
    for. A failed job raises (the task's own exception in-process, a CommandError from a worker)."""
    if not jobs.broker_url():
        return jobs.run_inline(kind=kind, owner=owner, params=params, progress=inline_progress)
    input_name, input_bytes = "", b""
    if queued_params is not None:
        params, input_name, input_bytes = queued_params()
    job = jobs.submit(kind=kind, owner=owner, params=params, input_name=input_name, input_bytes=input_bytes)
    if not wait:
        command.stdout.write(queued_message(job))
        return None
    return follow(command, job.pk, label=label or kind)


def wait_with_bar(command: BaseCommand, job_id: int, *, label: str) -> Job:
    """Follow a job to its end with a progress bar on the command's stderr (stdout keeps the outcome)."""
    from tqdm import tqdm

    stream = getattr(command.stderr, "_out", command.stderr)
    with tqdm(total=100, unit="%", desc=label, file=stream) as bar:

        def show(fraction: float) -> None:
            bar.update(round(fraction * 100) - bar.n)

        return jobs.wait(job_id, on_progress=show)


def follow(command: BaseCommand, job_id: int, *, label: str) -> Job:
    """Wait for a job with a progress bar on stderr; a failed job raises CommandError with its error."""
    job = wait_with_bar(command, job_id, label=label)
    if job.state == JobState.FAILED:
        lines = (job.error or "failed").splitlines()
        for line in lines[1:]:
            command.stderr.write(line)
        raise CommandError(f"job {job.pk}: {lines[0] if lines else 'failed'}")
    return job
