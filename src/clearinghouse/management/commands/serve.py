"""`clearinghouse serve [--host H] [--port P] [--workers N] [--threads T]`: the app under gunicorn.

The production server: gthread workers (processes, each with a pool of threads) sized to the
machine unless told, static files from whitenoise, and a graceful shutdown on SIGTERM (workers
finish the requests they hold, up to `--graceful-timeout` seconds). Metrics of every worker are
gathered through a fresh Prometheus multiprocess directory. `runserver` is for development only.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from gunicorn.app.base import BaseApplication


def cpu_count() -> int:
    """CPUs this process may run on (the affinity mask, which containers and taskset narrow)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def default_workers() -> int:
    """One worker process per CPU, at least two so that one busy worker never stalls the site."""
    return max(2, cpu_count())


DEFAULT_THREADS = 4  # per worker: requests mostly wait on the database, so threads overlap that wait


class Command(BaseCommand):
    help = "Serve the app under gunicorn (production). `runserver` is for development only."
    requires_system_checks: list[str] = []  # noqa: RUF012 - the master never touches the database; workers do

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("CLEARINGHOUSE_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("CLEARINGHOUSE_WORKERS", "0")) or None,
            help=f"Worker processes (default: one per CPU, at least 2; here {default_workers()}).",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=int(os.environ.get("CLEARINGHOUSE_THREADS", str(DEFAULT_THREADS))),
            help=f"Threads per worker (default {DEFAULT_THREADS}).",
        )
        parser.add_argument(
            "--timeout", type=int, default=120, help="Seconds before a stuck worker is restarted."
        )
        parser.add_argument(
            "--graceful-timeout", type=int, default=30, help="Seconds to finish requests on SIGTERM."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        workers = options["workers"] or default_workers()
        if workers < 1 or options["threads"] < 1 or not 0 < options["port"] < 65536:
            raise CommandError("--workers and --threads must be at least 1, --port within 1-65535")
        # Set before any worker imports prometheus_client: it picks its storage at import.
        own_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(
            prefix="clearinghouse-metrics-"
        )
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
        for stale in Path(metrics_dir).glob("*.db"):  # figures of an earlier run would add up with ours
            stale.unlink()
        if "prometheus_client" in sys.modules:
            from prometheus_client import values

            values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
        connections.close_all()  # nothing the workers would inherit
        host = options["host"]
        bind = f"[{host}]:{options['port']}" if ":" in host else f"{host}:{options['port']}"
        config = {
            "bind": [bind],
            "workers": workers,
            "worker_class": "gthread",
            "threads": options["threads"],
            "timeout": options["timeout"],
            "graceful_timeout": options["graceful_timeout"],
            "keepalive": 5,
            "accesslog": None,  # the app logs each request as a JSON line (core.logs)
            "errorlog": "-",
            "loglevel": "warning",
            "proc_name": "clearinghouse",
            "forwarded_allow_ips": os.environ.get("CLEARINGHOUSE_FORWARDED_ALLOW_IPS", "127.0.0.1,::1"),
            "child_exit": _child_exit,
        }
        self.stdout.write(
            f"clearinghouse serve: http://{bind}/ with {workers} workers x {options['threads']} threads "
            f"(pid {os.getpid()}; SIGTERM stops gracefully)"
        )
        self.stdout.flush()
        try:
            _Application(config).run()
        finally:
            if own_dir:
                shutil.rmtree(metrics_dir, ignore_errors=True)


def _child_exit(server: Any, worker: Any) -> None:
    """A worker ended: its live gauges leave the multiprocess metrics."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


class _Application(BaseApplication):  # type: ignore[misc]  # gunicorn ships no type hints
    """gunicorn configured from a dict; workers import the WSGI app after they fork."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from clearinghouse.wsgi import application

        return application
