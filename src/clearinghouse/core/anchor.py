"""Anchors of the audit chain outside the database: the signing key, event seals, signed checkpoints.

Somebody who can write to the database but not to the app's data dir can lift the triggers, rewrite
events and recompute every hash, so the chain alone proves nothing against them. Two anchors held
by a key file the database never sees defeat that:

* every event carries a *seal*, an HMAC-SHA256 of its hash under a key derived from the signing
  key: an event inserted or rewritten without the key is detected at once;
* *checkpoints*: the chain head (sequence and hash) signed with Ed25519 and appended to a file
  outside the database. A cut tail, an emptied table or a rewritten prefix no longer matches them,
  and anyone holding the public key can check the file itself.
"""

from __future__ import annotations

import base64
import datetime as dt
import fcntl
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

from clearinghouse.core import clock
from clearinghouse.core.models import AuditEvent

logger = logging.getLogger(__name__)

CHECKPOINT_VERSION = 1
_SEAL_CONTEXT = b"clearinghouse audit seal v1\x00"
_KEYS: dict[tuple[str, float], Ed25519PrivateKey] = {}


class AnchorError(Exception):
    """The key or the checkpoint file cannot be used; the message says which and why."""


def key_path() -> Path:
    """Where the signing key lives (CLEARINGHOUSE_AUDIT_SIGNING_KEY_FILE, default in the data dir)."""
    return Path(settings.CLEARINGHOUSE_AUDIT_SIGNING_KEY_FILE)


def checkpoint_path() -> Path:
    """The append-only checkpoint file (CLEARINGHOUSE_CHECKPOINT_FILE, default in the data dir)."""
    return Path(settings.CLEARINGHOUSE_CHECKPOINT_FILE)


def _private_parent(path: Path) -> None:
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)


def _key_from_setting() -> Ed25519PrivateKey | None:
    """The key given as PEM text in CLEARINGHOUSE_AUDIT_SIGNING_KEY (several servers share it so)."""
    pem = str(getattr(settings, "CLEARINGHOUSE_AUDIT_SIGNING_KEY", "") or "").strip()
    if not pem:
        return None
    cache_key = ("setting", float(hash(pem)))
    key = _KEYS.get(cache_key)
    if key is None:
        try:
            loaded = serialization.load_pem_private_key(pem.encode(), password=None)
        except (ValueError, TypeError) as exc:
            raise AnchorError(f"CLEARINGHOUSE_AUDIT_SIGNING_KEY is not a PEM private key: {exc}") from exc
        if not isinstance(loaded, Ed25519PrivateKey):
            raise AnchorError("CLEARINGHOUSE_AUDIT_SIGNING_KEY is not an Ed25519 key")
        key = _KEYS[cache_key] = loaded
    return key


def private_key(*, create: bool = True) -> Ed25519PrivateKey | None:
    """The Ed25519 signing key: CLEARINGHOUSE_AUDIT_SIGNING_KEY's PEM if set, else the key file,
    generated once (mode 600) when missing and `create` is set."""
    from_setting = _key_from_setting()
    if from_setting is not None:
        return from_setting
    path = key_path()
    if not path.exists():
        if not create:
            return None
        _private_parent(path)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:
            # O_EXCL: two processes starting at once must not each write a different key.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
    cache_key = (str(path), path.stat().st_mtime)
    key = _KEYS.get(cache_key)
    if key is None:
        try:
            loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (ValueError, TypeError, OSError) as exc:
            raise AnchorError(f"the audit signing key {path} cannot be read: {exc}") from exc
        if not isinstance(loaded, Ed25519PrivateKey):
            raise AnchorError(f"the audit signing key {path} is not an Ed25519 key")
        key = _KEYS[cache_key] = loaded
    return key


def public_key_raw(key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of a public key."""
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """A short name for a public key, written into every checkpoint."""
    return hashlib.sha256(public_key_raw(key)).hexdigest()[:16]


def public_key_pem() -> str:
    """The public key in PEM, to hand to whoever verifies checkpoints elsewhere."""
    key = private_key()
    assert key is not None
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def load_public_key(path: Path) -> Ed25519PublicKey:
    """A public key from a PEM file (as printed by `clearinghouse audit public-key`)."""
    try:
        loaded = serialization.load_pem_public_key(path.read_bytes())
    except (ValueError, OSError) as exc:
        raise AnchorError(f"the public key {path} cannot be read: {exc}") from exc
    if not isinstance(loaded, Ed25519PublicKey):
        raise AnchorError(f"the public key {path} is not an Ed25519 key")
    return loaded


def _seal_key(key: Ed25519PrivateKey) -> bytes:
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return hashlib.sha256(_SEAL_CONTEXT + raw).digest()


def seal(event_hash: str, key: Ed25519PrivateKey | None = None) -> str:
    """The seal of an event: HMAC-SHA256 of its hash under the key derived from the signing key."""
    key = key or private_key()
    assert key is not None
    return hmac.new(_seal_key(key), event_hash.encode(), hashlib.sha256).hexdigest()


def sealer(key: Ed25519PrivateKey | None = None) -> Callable[[str], str]:
    """`seal` with the key derived once (bulk appends seal thousands of events)."""
    key = key or private_key()
    assert key is not None
    derived = _seal_key(key)
    return lambda event_hash: hmac.new(derived, event_hash.encode(), hashlib.sha256).hexdigest()


def seal_matches(event_hash: str, event_seal: str, key: Ed25519PrivateKey) -> bool:
    """Whether a seal was made with this key over this hash (constant-time comparison)."""
    return hmac.compare_digest(seal(event_hash, key), event_seal)


@dataclass(frozen=True)
class Checkpoint:
    """One signed line of the checkpoint file: the chain had `sequence` events ending in `hash`."""

    sequence: int
    hash: str
    created_at: str
    key_id: str
    signature: str
    line: int = 0

    def payload(self) -> bytes:
        """The bytes the signature covers (canonical JSON)."""
        body = {
            "v": CHECKPOINT_VERSION,
            "sequence": self.sequence,
            "hash": self.hash,
            "created_at": self.created_at,
            "key_id": self.key_id,
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    def signature_ok(self, public_key: Ed25519PublicKey) -> bool:
        """Whether the signature holds under `public_key`."""
        if self.key_id != key_id(public_key):
            return False
        try:
            public_key.verify(base64.b64decode(self.signature, validate=True), self.payload())
        except (InvalidSignature, ValueError):
            return False
        return True


def chain_head() -> tuple[int, str]:
    """The last event's sequence and hash; (0, genesis) for an empty chain."""
    last = AuditEvent.objects.order_by("-sequence").values("sequence", "hash").first()
    if last is None:
        return 0, "0" * 64
    return int(last["sequence"]), str(last["hash"])


def write_checkpoint(path: Path | None = None) -> Checkpoint:
    """Sign the chain head and append it to the checkpoint file (created mode 600; never rewritten)."""
    path = path or checkpoint_path()
    key = private_key()
    assert key is not None
    sequence, head = chain_head()
    unsigned = Checkpoint(
        sequence=sequence,
        hash=head,
        created_at=clock.now().astimezone(dt.UTC).replace(microsecond=0).isoformat(),
        key_id=key_id(key.public_key()),
        signature="",
    )
    signature = base64.b64encode(key.sign(unsigned.payload())).decode()
    line = json.dumps(
        {**json.loads(unsigned.payload()), "signature": signature}, sort_keys=True, separators=(",", ":")
    )
    _private_parent(path)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        # One writer at a time, so two checkpoints never interleave within a line.
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return Checkpoint(sequence, head, unsigned.created_at, unsigned.key_id, signature)


def read_checkpoints(path: Path) -> list[Checkpoint]:
    """Every checkpoint in a file, in order; a malformed line is an error naming the line."""
    if not path.exists():
        return []
    checkpoints = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            data = json.loads(text)
            if data.get("v") != CHECKPOINT_VERSION:
                raise ValueError(f"unknown version {data.get('v')!r}")
            checkpoints.append(
                Checkpoint(
                    sequence=int(data["sequence"]),
                    hash=str(data["hash"]),
                    created_at=str(data["created_at"]),
                    key_id=str(data["key_id"]),
                    signature=str(data["signature"]),
                    line=number,
                )
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise AnchorError(f"{path} line {number} is not a checkpoint: {exc}") from exc
    return checkpoints


def checkpoint_after_import() -> Checkpoint | None:
    """Anchor the chain after a successful import; a failure is logged, never undoes the import."""
    try:
        return write_checkpoint()
    except Exception:  # the import has committed: report the missed anchor, do not fail the caller
        logger.exception("could not write an audit checkpoint after the import")
        return None
