"""Several app servers, one PostgreSQL (issue 15): two `clearinghouse serve` processes, each with its
own local data dir and the shared keys from the environment, take concurrent writes; the audit chain
stays one line, no acknowledged write is lost or duplicated, also when one server is killed with
kill -9 in the middle of writes. PostgreSQL only: skipped on SQLite, run in CI's PostgreSQL pass."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from clearinghouse.core.tests.ops_support import (
    ON_POSTGRES,
    PG_ONLY,
    Installation,
    Server,
    Writers,
    pg_database,
)

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason=PG_ONLY)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Installation]:
    """One deployment: its keys in the environment (no key file on any host), one shared checkpoint file."""
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pg_database() as url:
        inst = Installation(
            root=tmp_path,
            key_file=tmp_path / "no-key-file-here.pem",
            database_url=url,
            extra_env={
                "CLEARINGHOUSE_AUDIT_SIGNING_KEY": pem.decode(),
                "CLEARINGHOUSE_SECRET_KEY": "a-shared-secret-key-for-every-server-of-this-test-0123456789",
            },
        )
        try:
            yield inst
        finally:
            inst.stop_all()


def _serve_on_own_disk(inst: Installation, name: str) -> Server:
    return inst.serve(workers=2, threads=2, CLEARINGHOUSE_DATA_DIR=str(inst.root / f"host-{name}"))


def _one_chain(inst: Installation) -> None:
    events, links, last = inst.query(
        "SELECT count(*), count(DISTINCT prev_hash), COALESCE(max(sequence), 0) FROM core_auditevent"
    )[0]
    assert events == links == last  # no fork: every event has its own predecessor, no gap
    assert "audit chain intact" in inst.run("audit", "verify").stdout
    assert not (inst.root / "no-key-file-here.pem").exists()  # the key came from the environment


def test_two_servers_one_database_concurrent_writes(cluster: Installation) -> None:
    token = cluster.set_up()
    a = _serve_on_own_disk(cluster, "a")
    b = _serve_on_own_disk(cluster, "b")
    writers = Writers([a.url, b.url], token, per_thread=15, threads=4).start().join()
    assert writers.failed == []
    refs = cluster.pledge_refs()
    assert sorted(refs) == sorted(writers.acknowledged) and len(refs) == 60  # none lost, none twice
    _one_chain(cluster)


def test_a_server_killed_mid_writes_leaves_one_chain(cluster: Installation) -> None:
    token = cluster.set_up()
    a = _serve_on_own_disk(cluster, "a")
    b = _serve_on_own_disk(cluster, "b")
    doomed = Writers([a.url], token, per_thread=100_000, threads=2, prefix="a").start()
    steady = Writers([b.url], token, per_thread=15, threads=2, prefix="b").start()
    doomed.wait_for(10)
    a.kill()
    doomed.join()
    steady.join()
    assert doomed.failed and steady.failed == []
    refs = cluster.pledge_refs()
    assert len(refs) == len(set(refs))
    assert set(doomed.acknowledged) | set(steady.acknowledged) <= set(refs)
    _one_chain(cluster)
    # A new server takes over and writes on the same chain.
    c = _serve_on_own_disk(cluster, "c")
    after = Writers([c.url], token, per_thread=3, threads=1, prefix="c").start().join()
    assert len(after.acknowledged) == 3, after.failed
    _one_chain(cluster)
