"""`clearinghouse bench http [--pledges N] [--requirements M] [--seconds S] [--database-url URL]`.

For each database (SQLite; PostgreSQL when reachable) it builds a database of N pledges (8 donors)
and M requirements through the bulk import, with the shipped Kiel release; starts the application
under gunicorn on 127.0.0.1 (`clearinghouse.wsgi`, gthread workers, CLEARINGHOUSE_BENCH=True so that
the bare reference view `/bench/bare` exists); and drives every route at concurrency 1, 8 and 32
with a bounded load generator: an asyncio HTTP/1.1 client with keep-alive connections, written
here (no dependency), each of `concurrency` connections sending its next request when the last
answer is read, for S seconds after a warm-up. Printed per route and concurrency: requests/s,
p50/p95/p99 latency, errors (any answer but 200, or a broken connection), and requests/s as a
share of the bare view's at the same concurrency. Then a clearing run of that database, end to end
(`clearinghouse clearing run --as coordinator`, a fresh process).

The client runs on the same two cores as the server: its own CPU time is part of what is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from clearinghouse.bench.common import Target, run_child, targets

CONCURRENCY = (1, 8, 32)
ROUTES: list[tuple[str, str, str]] = [
    # (label, path, credential: "none", "cookie" or "token")
    ("bare view", "/bench/bare", "none"),
    ("home", "/", "cookie"),
    ("dashboard", "/reports/", "cookie"),
    ("dashboard records", "/reports/?source=records", "cookie"),
    ("pledges page", "/pledges/", "cookie"),
    ("api pledges", "/api/v1/pledges?limit=100", "token"),
    ("api requirements", "/api/v1/requirements?limit=100", "token"),
]
API_ROUTES = ("api pledges", "api requirements")


@dataclass
class Outcome:
    label: str
    concurrency: int
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def quantile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one HTTP/1.1 response; (status, whether the connection stays open)."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed")
    status = int(status_line.split()[1])
    length, chunked, keep = None, False, True
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value:
            chunked = True
        elif name == "connection" and value == "close":
            keep = False
    if chunked:
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length is not None:
        await reader.readexactly(length)
    else:
        await reader.read()
        keep = False
    return status, keep


async def _worker(port: int, request: bytes, until: float, out: Outcome) -> None:
    reader = writer = None
    while time.perf_counter() < until:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            start = time.perf_counter()
            writer.write(request)
            await writer.drain()
            assert reader is not None
            status, keep = await _read_response(reader)
            out.latencies.append(time.perf_counter() - start)
            out.requests += 1
            if status != 200:
                out.errors += 1
            if not keep:
                writer.close()
                writer = None
        except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError, IndexError):
            out.errors += 1
            out.requests += 1
            if writer is not None:
                writer.close()
            writer = None
            await asyncio.sleep(0.01)
    if writer is not None:
        writer.close()


async def _drive(port: int, request: bytes, concurrency: int, seconds: float, label: str) -> Outcome:
    out = Outcome(label, concurrency, 0, 0, 0.0, [])
    start = time.perf_counter()
    until = start + seconds
    await asyncio.gather(*(_worker(port, request, until, out) for _ in range(concurrency)))
    out.seconds = time.perf_counter() - start
    return out


def _request(path: str, credential: str, creds: dict[str, str]) -> bytes:
    headers = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: keep-alive"]
    if credential == "cookie":
        headers.append(f"Cookie: {creds['cookie']}")
    elif credential == "token":
        headers.append(f"Authorization: Bearer {creds['token']}")
    return ("\r\n".join(headers) + "\r\n\r\n").encode()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(env: dict[str, str], port: int, workers: int, threads: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "clearinghouse.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--backlog",
        "256",
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(command, env={**env, "CLEARINGHOUSE_BENCH": "True"})  # noqa: S603
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            # The master listens before a worker is ready: wait for an answer.
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/bare", timeout=5) as answer:
                if answer.status == 200:
                    return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("gunicorn exited at start") from None
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("gunicorn did not start within 120 s")


def _measure(target: Target, port: int, creds: dict[str, str], seconds: float) -> list[Outcome]:
    outcomes = []
    for label, path, credential in ROUTES:
        request = _request(path, credential, creds)
        asyncio.run(_drive(port, request, 2, min(2.0, seconds), label))  # warm-up (and caches)
        for concurrency in CONCURRENCY:
            out = asyncio.run(_drive(port, request, concurrency, seconds, label))
            outcomes.append(out)
            print(f"  {target.label:<10} {label:<18} c={concurrency:<3} {out.rate:7.1f}/s", flush=True)
    return outcomes


def _clearing(env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "clearinghouse", "clearing", "run", "--as", "coordinator"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    last = (proc.stdout.strip().splitlines() or [""])[0][:100]
    return seconds, last if proc.returncode == 0 else f"FAILED: {proc.stderr.strip()[-300:]}"


def _table(label: str, outcomes: list[Outcome]) -> None:
    bare = {o.concurrency: o.rate for o in outcomes if o.label == "bare view"}
    print(f"\n{label}")
    head = ("req/s", "p50 ms", "p95 ms", "p99 ms")
    print(f"{'route':<18} {'c':>3} " + " ".join(f"{h:>8}" for h in head) + f" {'errors':>7} {'% bare':>7}")
    for o in outcomes:
        share = 100 * o.rate / bare[o.concurrency] if bare.get(o.concurrency) else float("nan")
        print(
            f"{o.label:<18} {o.concurrency:>3} {o.rate:>8.1f} {o.quantile(0.5):>8.1f} "
            f"{o.quantile(0.95):>8.1f} {o.quantile(0.99):>8.1f} {o.errors:>7} {share:>6.0f}%"
        )


def _run(target: Target, args: argparse.Namespace) -> tuple[list[Outcome], tuple[float, str]]:
    """Serve the target's database, measure every route, stop the server, time a clearing run."""
    creds, _ = run_child(["credentials", "--user", "analyst"], target.env)
    port = _free_port()
    server = _serve(target.env, port, args.workers, args.threads)
    try:
        outcomes = _measure(target, port, creds, args.seconds)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    return outcomes, _clearing(target.env)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="clearinghouse bench http")
    parser.add_argument("--pledges", type=int, default=50_000)
    parser.add_argument("--requirements", type=int, default=5_000)
    parser.add_argument("--seconds", type=float, default=5.0, help="per route and concurrency")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--database-url", default=None, help="only this database (`sqlite`: SQLite only)")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="keep the built databases here and reuse them on the next run (default: built afresh)",
    )
    args = parser.parse_args(argv)
    results: list[tuple[str, list[Outcome], tuple[float, str]]] = []
    with tempfile.TemporaryDirectory(prefix="ch-bench-http-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        reuse = args.workdir is not None and any(workdir.glob("*.built"))
        for target in targets(workdir, args.database_url, label="http", fresh=not reuse):
            marker = workdir / f"{target.label}.built"
            if marker.exists():
                print(f"{target.label}: reusing the database built before ({marker.read_text().strip()})")
                results.append((target.label, *_run(target, args)))
                continue
            print(
                f"{target.label}: building {args.pledges:,} pledges and {args.requirements:,} requirements…"
            )
            built, wall = run_child(
                [
                    "setup",
                    "--workdir",
                    str(workdir),
                    "--pledges",
                    str(args.pledges),
                    "--requirements",
                    str(args.requirements),
                    "--kiel",
                ],
                target.env,
            )
            print(f"  imported in {built['seconds']:.1f} s (set-up {wall:.1f} s)", flush=True)
            marker.write_text(f"{args.pledges} pledges, {args.requirements} requirements\n")
            results.append((target.label, *_run(target, args)))
    for label, outcomes, (seconds, line) in results:
        _table(
            f"{label}: gunicorn {args.workers} workers x {args.threads} threads, "
            f"{args.seconds:.0f} s per cell",
            outcomes,
        )
        print(f"clearing run, end to end: {seconds:.1f} s ({line})")
    _verdict(results)
    print(f"(machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the end)")
    return 0


def _verdict(results: list[tuple[str, list[Outcome], tuple[float, str]]]) -> None:
    print("\ntargets: API reads >= 80% of the bare view, p99 < 300 ms at c=32, zero errors, clearing < 10 s")
    for label, outcomes, (seconds, _) in results:
        bare = {o.concurrency: o.rate for o in outcomes if o.label == "bare view"}
        api = [o for o in outcomes if o.label in API_ROUTES]
        share = min((100 * o.rate / bare[o.concurrency] for o in api if bare.get(o.concurrency)), default=0)
        worst = max((o.quantile(0.99) for o in outcomes if o.concurrency == 32), default=float("nan"))
        errors = sum(o.errors for o in outcomes)
        print(
            f"  {label}: API reads at least {share:.0f}% of bare {'(met)' if share >= 80 else '(NOT met)'}; "
            f"worst p99 at c=32 {worst:.0f} ms {'(met)' if worst < 300 else '(NOT met)'}; "
            f"errors {errors} {'(met)' if errors == 0 else '(NOT met)'}; "
            f"clearing {seconds:.1f} s {'(met)' if seconds < 10 else '(NOT met)'}"
        )
