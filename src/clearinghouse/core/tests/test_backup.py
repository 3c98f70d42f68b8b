"""`clearinghouse backup FILE` and `clearinghouse restore FILE` on real installations (issue 15): a
backup taken while the server writes, and one after a kill -9 of the server, restore into empty
databases with the audit chain verified and no acknowledged write lost; a restore into a database
that is not empty, a tampered backup and a backup without its signing key are refused, and a refused
restore leaves the target empty. Runs on the run's database: SQLite, and PostgreSQL in CI's second
pass (pg_dump/pg_restore)."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import sqlite3
import subprocess
import tarfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from clearinghouse.core.tests.ops_support import ON_POSTGRES, Installation, Writers, pg_database

NewInstallation = Callable[..., Installation]


@pytest.fixture
def new_installation(tmp_path: Path) -> Iterator[NewInstallation]:
    """Installations of one deployment: they share the audit signing key unless told otherwise."""
    with ExitStack() as stack:
        count = [0]

        def make(key_file: Path | None = None) -> Installation:
            count[0] += 1
            url = stack.enter_context(pg_database()) if ON_POSTGRES else ""
            root = tmp_path / f"i{count[0]}"
            root.mkdir()
            inst = Installation(
                root=root, key_file=key_file or tmp_path / "audit-signing-key.pem", database_url=url
            )
            stack.callback(inst.stop_all)
            return inst

        yield make


def _tables(inst: Installation) -> list[str]:
    if inst.database_url:
        return [r[0] for r in inst.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
    if not (inst.data_dir / "clearinghouse.sqlite3").exists():
        return []
    return [r[0] for r in inst.query("SELECT name FROM sqlite_master WHERE type = 'table'")]


def _counts(inst: Installation) -> dict[str, int]:
    names = [t for t in _tables(inst) if t.startswith(("pledges_", "core_auditevent", "participants_"))]
    return {t: int(inst.query(f'SELECT count(*) FROM "{t}"')[0][0]) for t in names}


def _restore_and_verify(target: Installation, backup: Path) -> str:
    done = target.run("restore", str(backup))
    assert "audit chain intact" in done.stdout, done.stdout
    verified = target.run("audit", "verify").stdout
    assert "audit chain intact" in verified
    return verified


def test_backups_during_writes_and_after_a_kill_9_restore_verified(new_installation: NewInstallation) -> None:
    source = new_installation()
    token = source.set_up()
    server = source.serve(workers=2, threads=2)
    # Writers that go on until the server dies under them.
    writers = Writers([server.url], token, per_thread=100_000, threads=3).start()
    writers.wait_for(15)
    before_backup = set(writers.acknowledged)
    online = source.root / "online.chbackup"
    assert "backup written" in source.run("backup", str(online)).stdout  # while the writers go on
    writers.wait_for(len(before_backup) + 15)
    server.kill()  # kill -9 in the middle of writes
    writers.join()
    assert len(before_backup) >= 15 and writers.failed, "the kill should have cut some writes short"
    after_crash = source.root / "after-crash.chbackup"
    source.run("backup", str(after_crash))

    first = new_installation()
    _restore_and_verify(first, online)
    restored = first.pledge_refs()
    assert before_backup <= set(restored)  # every write acknowledged before the backup is in it
    assert len(restored) == len(set(restored))

    second = new_installation()
    _restore_and_verify(second, after_crash)
    refs = second.pledge_refs()
    assert set(writers.acknowledged) <= set(refs) and len(refs) == len(set(refs))
    assert _counts(second) == _counts(source)
    # The restored installation works on: a new checkpoint, a new write, still one chain.
    second.run("audit", "checkpoint")
    assert "audit chain intact" in second.run("audit", "verify").stdout


def test_restore_refuses_a_database_that_is_not_empty(new_installation: NewInstallation) -> None:
    source = new_installation()
    source.set_up()
    backup = source.root / "b.chbackup"
    source.run("backup", str(backup))
    done = source.run("restore", str(backup), check=False)
    assert done.returncode != 0
    assert "the target database is not empty" in done.stderr and "Traceback" not in done.stderr
    assert "audit chain intact" in source.run("audit", "verify").stdout  # untouched


def _repack(backup: Path, out: Path, change: Callable[[Path], object], *, fix_manifest: bool) -> None:
    """Unpack a backup, let `change` alter the unpacked files, pack again (checksums updated if told)."""
    work = out.parent / (out.name + ".d")
    work.mkdir()
    with tarfile.open(backup) as tar:
        tar.extractall(work, filter="data")
    change(work)
    manifest = json.loads((work / "manifest.json").read_text())
    if fix_manifest:
        for name, entry in manifest["files"].items():
            data = (work / name).read_bytes()
            entry.update(size=len(data), sha256=hashlib.sha256(data).hexdigest())
        (work / "manifest.json").write_text(json.dumps(manifest))
    with tarfile.open(out, "w:gz") as tar:
        for name in ["manifest.json", *manifest["files"]]:
            tar.add(work / name, arcname=name)


def _rewrite_an_event(work: Path, source: Installation) -> None:
    """Change what one audit event says inside the backed-up database (guards lifted and put back)."""
    if not source.database_url:
        conn = sqlite3.connect(work / "database.sqlite3")
        triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
        for name, _ in triggers:
            conn.execute(f'DROP TRIGGER "{name}"')
        conn.execute("""UPDATE core_auditevent SET actor = 'somebody-else' WHERE sequence = 2""")
        for _, sql in triggers:
            conn.execute(sql)
        conn.commit()
        conn.close()
        return
    import psycopg

    with pg_database() as scratch:
        dump = work / "database.pgdump"
        subprocess.run(["pg_restore", "--no-owner", "--dbname", scratch, str(dump)], check=True)
        with psycopg.connect(scratch, autocommit=True) as pg:
            pg.execute("ALTER TABLE core_auditevent DISABLE TRIGGER USER")
            pg.execute("UPDATE core_auditevent SET actor = 'somebody-else' WHERE sequence = 2")
            pg.execute("ALTER TABLE core_auditevent ENABLE TRIGGER USER")
        subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--file", str(dump), scratch], check=True)


def test_a_tampered_backup_is_refused_and_the_target_left_empty(new_installation: NewInstallation) -> None:
    source = new_installation()
    source.set_up()
    backup = source.root / "b.chbackup"
    source.run("backup", str(backup))
    database = "database.pgdump" if source.database_url else "database.sqlite3"

    # Altered without fixing the manifest: the checksum gives it away before anything is loaded.
    damaged = source.root / "damaged.chbackup"
    _repack(
        backup,
        damaged,
        lambda w: (w / database).write_bytes((w / database).read_bytes()[:-10]),
        fix_manifest=False,
    )
    target = new_installation()
    done = target.run("restore", str(damaged), check=False)
    assert done.returncode != 0 and "does not match its checksum" in done.stderr, done.stderr
    assert _tables(target) == []

    # Altered with the checksums recomputed: loaded, then the chain does not verify; the target is emptied.
    forged = source.root / "forged.chbackup"
    _repack(backup, forged, lambda w: _rewrite_an_event(w, source), fix_manifest=True)
    done = target.run("restore", str(forged), check=False)
    assert done.returncode != 0, done.stdout
    assert "audit chain does not verify at event 2" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert _tables(target) == []
    # The untouched backup then restores into the same, still empty, target.
    _restore_and_verify(target, backup)


def test_a_backup_is_refused_where_its_signing_key_is_not_installed(
    new_installation: NewInstallation, tmp_path: Path
) -> None:
    source = new_installation()
    source.set_up()
    backup = source.root / "b.chbackup"
    source.run("backup", str(backup))
    stranger = new_installation(key_file=tmp_path / "another-key.pem")
    done = stranger.run("restore", str(backup), check=False)
    assert done.returncode != 0 and "does not verify" in done.stderr, done.stderr
    assert _tables(stranger) == []
    assert not (tmp_path / "another-key.pem").exists()  # no key made up on the way
    # With the deployment's public key (from the backup itself here) the checkpoints can be checked.
    with tarfile.open(backup) as tar:
        handle = tar.extractfile("audit-public-key.pem")
        assert handle is not None
        (tmp_path / "public.pem").write_bytes(handle.read())
    done = stranger.run("restore", str(backup), "--public-key", str(tmp_path / "public.pem"))
    assert "audit chain intact" in done.stdout


def test_a_file_that_is_not_a_backup_is_one_line(new_installation: NewInstallation) -> None:
    target = new_installation()
    junk = target.root / "junk.chbackup"
    junk.write_bytes(io.BytesIO(b"not a tar file").read())
    done = target.run("restore", str(junk), check=False)
    assert done.returncode != 0 and "is not a backup file" in done.stderr and "Traceback" not in done.stderr
    assert shutil.which("pg_dump") or not ON_POSTGRES
