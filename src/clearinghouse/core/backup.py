"""Backups and restores: one file holding a consistent copy of the database and the audit checkpoints.

A backup is a gzip'd tar with `manifest.json` (format, vendor, sizes and SHA-256 of each member,
the chain length at the backup), the database (`database.sqlite3`, made by SQLite's online backup
API, or `database.pgdump`, by `pg_dump --format=custom`, one repeatable-read snapshot), the
checkpoint file and the public key that checks it. A checkpoint of the chain head is written first
and the checkpoint file copied before the database, so every checkpoint in the bundle covers events
the copied database holds.

A restore goes into an empty database only, then proves the restored chain against the bundle's
checkpoints with this installation's signing key; a bundle that does not verify is refused and the
target is emptied again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, connections

from clearinghouse.core import anchor, audit, clock

FORMAT = "clearinghouse-backup"
VERSION = 1
MANIFEST = "manifest.json"
CHECKPOINTS = "audit-checkpoints.jsonl"
PUBLIC_KEY = "audit-public-key.pem"
DATABASE = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, and what was left as it was."""


@dataclass(frozen=True)
class Summary:
    """What a backup holds or a restore brought back."""

    vendor: str
    audit_events: int
    checkpoints: int
    size: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pg_env_and_args() -> tuple[dict[str, str], list[str]]:
    """Connection options for pg_dump/pg_restore from the Django settings (password via PGPASSWORD)."""
    db: dict[str, Any] = dict(settings.DATABASES["default"])
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    args = ["--dbname", str(db["NAME"])]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            args += [option, str(db[key])]
    return env, args


def _run(cmd: list[str], env: dict[str, str]) -> None:
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError as exc:
        raise BackupError(f"{cmd[0]} is not installed (PostgreSQL client tools are needed)") from exc
    if done.returncode != 0:
        raise BackupError(f"{cmd[0]} failed: {done.stderr.strip() or done.returncode}")


def _snapshot_sqlite(target: Path) -> int:
    """Copy the live database with SQLite's backup API (one consistent snapshot); the chain length in it."""
    connection.ensure_connection()
    source = connection.connection
    dest = sqlite3.connect(target)
    try:
        source.backup(dest)  # all pages in one step: one read transaction, so one consistent state
        row = dest.execute("SELECT COALESCE(MAX(sequence), 0) FROM core_auditevent").fetchone()
    finally:
        dest.close()
    return int(row[0])


def create(path: Path) -> Summary:
    """Write a backup of the running installation to `path` (replaced atomically when complete)."""
    vendor = connection.vendor
    if vendor not in DATABASE:
        raise BackupError(f"backups of {vendor} databases are not supported")
    try:
        head = anchor.write_checkpoint()  # the bundle's newest checkpoint: the head at this moment
        public_pem = anchor.public_key_pem()
    except (anchor.AnchorError, OSError) as exc:
        raise BackupError(f"cannot anchor the audit chain before the backup: {exc}") from exc
    with tempfile.TemporaryDirectory(prefix="clearinghouse-backup-") as tmp:
        work = Path(tmp)
        # The checkpoints before the database: the chain only grows, so the copy covers them all.
        shutil.copyfile(anchor.checkpoint_path(), work / CHECKPOINTS)
        (work / PUBLIC_KEY).write_text(public_pem)
        db_file = work / DATABASE[vendor]
        if vendor == "sqlite":
            events = _snapshot_sqlite(db_file)
        else:
            env, args = _pg_env_and_args()
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    "--file",
                    str(db_file),
                    *args,
                ],
                env,
            )
            events = head.sequence  # at least: the dump started after the checkpoint
        members = [db_file.name, CHECKPOINTS, PUBLIC_KEY]
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": clock.now().replace(microsecond=0).isoformat(),
            "vendor": vendor,
            "database": db_file.name,
            "audit_events_at_least": events,
            "checkpoints": len(anchor.read_checkpoints(work / CHECKPOINTS)),
            "files": {
                name: {"size": (work / name).stat().st_size, "sha256": _sha256(work / name)}
                for name in members
            },
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        path = path.resolve()
        partial = path.with_name(f".{path.name}.partial")
        with tarfile.open(partial, "w:gz") as tar:
            for name in [MANIFEST, *members]:
                tar.add(work / name, arcname=name)
        os.chmod(partial, 0o600)  # the dump holds everything the database holds
        os.replace(partial, path)
    return Summary(vendor, events, int(manifest["checkpoints"]), path.stat().st_size)  # type: ignore[call-overload]


def _read_bundle(path: Path, into: Path) -> dict[str, Any]:
    """Unpack the expected members only (no paths, no links) and check them against the manifest."""
    try:
        tar = tarfile.open(path, "r:*")  # noqa: SIM115 - closed by the `with` below
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{path} is not a backup file: {exc}") from exc
    with tar:
        names = {m.name: m for m in tar.getmembers()}
        if MANIFEST not in names:
            raise BackupError(f"{path} is not a backup file: no {MANIFEST}")
        try:
            manifest = json.loads(_member(tar, names[MANIFEST]))
        except ValueError as exc:
            raise BackupError(f"{path}: the manifest is not JSON: {exc}") from exc
        if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
            raise BackupError(f"{path} is not a {FORMAT} version {VERSION} file")
        files = manifest.get("files") or {}
        expected = {str(manifest.get("database")), CHECKPOINTS, PUBLIC_KEY}
        if set(files) != expected or str(manifest.get("database")) not in DATABASE.values():
            raise BackupError(f"{path}: the manifest lists unexpected files {sorted(files)}")
        for name in sorted(expected):
            member = names.get(name)
            if member is None or not member.isfile():
                raise BackupError(f"{path}: {name} is missing")
            (into / name).write_bytes(_member(tar, member))
            if _sha256(into / name) != files[name].get("sha256"):
                raise BackupError(
                    f"{path}: {name} does not match its checksum in the manifest (damaged or altered)"
                )
    return dict(manifest)


def _member(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    handle = tar.extractfile(member)
    if handle is None:
        raise BackupError(f"{member.name} is not a file")
    with handle:
        return handle.read()


def database_is_empty() -> bool:
    """Whether the target holds no tables (and, on PostgreSQL, no functions) in its schema."""
    if connection.introspection.table_names():
        return False
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_proc WHERE pronamespace = current_schema()::regnamespace")
            return int(cur.fetchone()[0]) == 0
    return True


def _sqlite_path() -> Path:
    return Path(str(settings.DATABASES["default"]["NAME"]))


def empty_database() -> None:
    """Remove everything a failed restore put into the target, leaving it as empty as it was."""
    if connection.vendor == "sqlite":
        target = _sqlite_path()
        connections.close_all()
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT, 0o600))
        return
    # Names come from the catalog and are quoted; nothing here comes from a user.
    here = "current_schema()::regnamespace"
    quote = connection.ops.quote_name
    kinds = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "f": "FOREIGN TABLE"}
    with connection.cursor() as cur:
        cur.execute(f"SELECT relname, relkind FROM pg_class WHERE relnamespace = {here}")  # noqa: S608
        for name, kind in cur.fetchall():
            if kind in kinds:
                cur.execute(f"DROP {kinds[kind]} IF EXISTS {quote(name)} CASCADE")
        cur.execute(f"SELECT relname FROM pg_class WHERE relnamespace = {here} AND relkind = 'S'")  # noqa: S608
        for (name,) in cur.fetchall():
            cur.execute(f"DROP SEQUENCE IF EXISTS {quote(name)} CASCADE")
        cur.execute(f"SELECT oid::regprocedure::text FROM pg_proc WHERE pronamespace = {here}")  # noqa: S608
        for (signature,) in cur.fetchall():
            cur.execute(f"DROP FUNCTION IF EXISTS {signature} CASCADE")


def restore(path: Path, *, public_key: Path | None = None) -> Summary:
    """Restore a backup into this installation's empty database, verified; refuse (target left empty)."""
    vendor = connection.vendor
    with tempfile.TemporaryDirectory(prefix="clearinghouse-restore-") as tmp:
        work = Path(tmp)
        manifest = _read_bundle(path, work)
        if manifest["vendor"] != vendor:
            raise BackupError(f"{path} is a {manifest['vendor']} backup; this installation runs on {vendor}")
        if not database_is_empty():
            raise BackupError(
                "the target database is not empty: restore goes into an empty database only "
                "(create a new one, point DATABASE_URL or CLEARINGHOUSE_DATA_DIR at it, and restore again)"
            )
        db_file = work / str(manifest["database"])
        try:
            _load(db_file, vendor)
            connections.close_all()
            result = audit.verify(checkpoints=work / CHECKPOINTS, public_key=public_key)
            if result.ok and result.checked < int(manifest.get("audit_events_at_least", 0)):
                raise BackupError(
                    f"the restored chain has {result.checked} events, the manifest says at least "
                    f"{manifest['audit_events_at_least']}"
                )
        except BaseException:
            empty_database()
            raise
        if not result.ok:
            empty_database()
            at = f" at event {result.broken_sequence}" if result.broken_sequence else ""
            raise BackupError(
                f"the backup's audit chain does not verify{at}: {result.reason}; nothing was restored "
                "(the target database is empty again)"
            )
        _install_checkpoints(work / CHECKPOINTS)
        connections.close_all()
        return Summary(vendor, result.checked, result.checkpoints, path.stat().st_size)


def _load(db_file: Path, vendor: str) -> None:
    if vendor == "sqlite":
        connections.close_all()
        source = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
        dest = sqlite3.connect(_sqlite_path())
        try:
            source.backup(dest)
        finally:
            source.close()
            dest.close()
        return
    env, args = _pg_env_and_args()
    connections.close_all()
    _run(
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            *args,
            str(db_file),
        ],
        env,
    )


def _install_checkpoints(bundled: Path) -> None:
    """Put the bundle's checkpoints in place of the local file (kept aside if it had any), then anchor."""
    target = anchor.checkpoint_path()
    if target.exists() and target.stat().st_size > 0:
        stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
        target.replace(target.with_name(f"{target.name}.before-restore-{stamp}"))
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(bundled.read_bytes())
    if anchor.private_key(create=False) is not None:  # never a new key that the old checkpoints do not know
        anchor.write_checkpoint()


def describe(path: Path) -> dict[str, Any]:
    """The manifest of a backup file (checked), for `clearinghouse restore --check`."""
    with tempfile.TemporaryDirectory(prefix="clearinghouse-restore-") as tmp:
        return _read_bundle(path, Path(tmp))


__all__ = ["BackupError", "Summary", "create", "database_is_empty", "describe", "restore"]
