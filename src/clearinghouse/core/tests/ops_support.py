"""Real installations for the operations tests: a data dir, a database (SQLite file or a PostgreSQL
database of its own), the `clearinghouse` CLI run as a subprocess, `clearinghouse serve` on a free
port, and writers posting pledges through the API from threads."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

PG_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = PG_URL.startswith(("postgres://", "postgresql://"))
PG_ONLY = "PostgreSQL only: runs in CI's PostgreSQL pass (set DATABASE_URL=postgres://...)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _admin_pg(sql: str) -> None:
    import psycopg

    parts = urlsplit(PG_URL)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(sql)


@contextmanager
def pg_database() -> Iterator[str]:
    """A new, empty PostgreSQL database named after the run's (e.g. ch_ops_ops_1a2b3c4d); dropped after."""
    parts = urlsplit(PG_URL)
    name = f"{parts.path.lstrip('/') or 'clearinghouse'}_ops_{uuid.uuid4().hex[:8]}"
    _admin_pg(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        _admin_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Installation:
    """One installation: its own data dir and database, the audit signing key shared by `key_file`."""

    root: Path
    key_file: Path
    database_url: str = ""
    extra_env: dict[str, str] = field(default_factory=dict)
    servers: list[Server] = field(default_factory=list)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def checkpoints(self) -> Path:
        return self.root / "audit-checkpoints.jsonl"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PROMETHEUS_MULTIPROC_DIR")}
        env.update(
            CLEARINGHOUSE_DATA_DIR=str(self.data_dir),
            CLEARINGHOUSE_AUDIT_SIGNING_KEY_FILE=str(self.key_file),
            CLEARINGHOUSE_CHECKPOINT_FILE=str(self.checkpoints),
            CLEARINGHOUSE_LOG_FORMAT="json",
        )
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        env.update(self.extra_env)
        env.update(extra)
        return env

    def run(self, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "clearinghouse", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env(),
        )
        if check and done.returncode != 0:
            raise AssertionError(f"clearinghouse {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done

    def set_up(self) -> str:
        """Migrate, load participants, create a donor officer and return its API token."""
        self.run("migrate", "--no-input", "-v", "0")
        self.run("createcachetable")
        self.run("participants", "load")
        self.run("user", "create", "donor1", "--participant", "USA", "--role", "donor_officer")
        return self.run("token", "create", "donor1").stdout.strip().splitlines()[-1]

    def serve(self, *, workers: int = 2, threads: int = 4, **env: str) -> Server:
        port = free_port()
        log = (self.root / f"serve-{port}.log").open("w")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "clearinghouse",
                "serve",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--graceful-timeout",
                "10",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env(**env),
            start_new_session=True,
        )
        server = Server(proc, f"http://127.0.0.1:{port}", self.root / f"serve-{port}.log")
        self.servers.append(server)
        server.wait_up()
        return server

    def stop_all(self) -> None:
        for server in self.servers:
            server.kill()

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.database_url:
            import psycopg

            with psycopg.connect(self.database_url) as conn:
                return list(conn.execute(sql).fetchall())
        db = sqlite3.connect(self.data_dir / "clearinghouse.sqlite3")
        try:
            return list(db.execute(sql).fetchall())
        finally:
            db.close()

    def pledge_refs(self) -> list[str]:
        return [r[0] for r in self.query("SELECT external_ref FROM pledges_pledge WHERE external_ref <> ''")]


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    url: str
    log: Path

    def wait_up(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited with {self.proc.returncode}:\n{self.log.read_text()}")
            try:
                if get(self.url + "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"serve did not come up:\n{self.log.read_text()}")

    def kill(self) -> None:
        """kill -9 of the whole server (master and workers): nothing gets to clean up."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()


def post_json(url: str, body: dict[str, Any], token: str) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status), json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return int(exc.code), {"error": exc.read().decode(errors="replace")}


def pledge(ref: str) -> dict[str, Any]:
    return {
        "external_ref": ref,
        "donor": "USA",
        "kind": "financial",
        "amount": "1000.00",
        "currency": "EUR",
        "purpose": "operations test",
        "available_from": "2025-01-06",
    }


@dataclass
class Writers:
    """Threads posting pledges through given servers; records what each acknowledged (201) and tried."""

    urls: list[str]
    token: str
    per_thread: int
    threads: int = 4
    prefix: str = "w"
    acknowledged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    started: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def _write(self, n: int) -> None:
        url = self.urls[n % len(self.urls)]
        for i in range(self.per_thread):
            ref = f"{self.prefix}{n}-{i}"
            try:
                status, body = post_json(url + "/api/v1/pledges", pledge(ref), self.token)
            except OSError as exc:  # the server died under us: unknown whether it committed
                with self._lock:
                    self.failed.append((ref, str(exc)))
                return
            with self._lock:
                if status == 201:
                    self.acknowledged.append(ref)
                    self.started.set()
                else:
                    self.failed.append((ref, f"{status} {body}"))

    def start(self) -> Writers:
        self._threads = [threading.Thread(target=self._write, args=(n,)) for n in range(self.threads)]
        for thread in self._threads:
            thread.start()
        return self

    def wait_for(self, count: int, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acknowledged) < count and time.monotonic() < deadline:
            time.sleep(0.05)

    def join(self) -> Writers:
        for thread in self._threads:
            thread.join(timeout=600)
        return self
