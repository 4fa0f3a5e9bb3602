"""The tamper-evident audit log (docs/audit.md).

Every change is one entry: sequence number, wall time, actor, action, object, before and after (JSON).
Each entry's hash is SHA-256 over its canonical encoding, which includes the previous entry's hash: an
entry edited, deleted or moved breaks the chain from there on. Every :data:`CHECKPOINT_EVERY` entries (and
on demand, e.g. at shutdown) a checkpoint signs (sequence number, hash, time) with an Ed25519 key whose
private half lives in a 0600 file outside the database: rewriting the whole chain after an edit needs that
key, and cutting entries off the end is caught up to the last checkpoint.

Entries are appended inside the caller's transaction, so a change and its audit entry commit together.
The chain head (a one-row table) is updated first in that transaction: on PostgreSQL the row lock, on
SQLite the database write lock, make concurrent appenders wait instead of forking the chain.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plantwarden.core.errors import InvalidInput
from plantwarden.store.models import AuditCheckpointRow, AuditEntryRow, AuditHeadRow

GENESIS = "0" * 64
CHECKPOINT_EVERY = 100
ENV_KEY = "PLANTWARDEN_AUDIT_KEY"


def canonical(seq: int, at: float, actor: str, action: str, obj: str, before: Any, after: Any, prev: str) -> bytes:
    """The bytes an entry's hash is computed over (docs/audit.md, "The hash"): a JSON array, keys sorted,
    no spaces, ASCII only, times as the shortest decimal that round-trips (Python ``repr``)."""
    return json.dumps([seq, repr(float(at)), actor, action, obj, before, after, prev], sort_keys=True,
                      separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode("ascii")


def entry_hash(seq: int, at: float, actor: str, action: str, obj: str, before: Any, after: Any, prev: str) -> str:
    return hashlib.sha256(canonical(seq, at, actor, action, obj, before, after, prev)).hexdigest()


def checkpoint_message(seq: int, digest: str, at: float) -> bytes:
    return f"plantwarden-audit-checkpoint\n{seq}\n{digest}\n{float(at)!r}\n".encode("ascii")


# -- keys -----------------------------------------------------------------------------------------

def default_key_path(target: str) -> Path:
    """Where the private key of a store's audit log lives: ``$PLANTWARDEN_AUDIT_KEY``, else beside a
    SQLite file (``<db>.audit-key``), else under ``~/.local/share/plantwarden/`` for a server URL."""
    env = os.environ.get(ENV_KEY)
    if env:
        return Path(env)
    from plantwarden.store.target import is_url

    if not is_url(target):
        return Path(f"{target}.audit-key")
    digest = hashlib.sha256(target.encode()).hexdigest()[:16]
    return Path.home() / ".local" / "share" / "plantwarden" / f"audit-{digest}.key"


def public_path(key_path: Path) -> Path:
    return key_path.with_name(key_path.name + ".pub")


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The private key at ``path`` (made, 0600, with its public half beside it, when missing). A key file
    that the group or others may read is refused."""
    if path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise InvalidInput(f"{path}: the audit signing key must be readable by its owner only (chmod 600), "
                               f"not {oct(mode)}")
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise InvalidInput(f"{path}: not an Ed25519 private key")
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    public_path(path).write_bytes(public_pem(key.public_key()))
    return key


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_id(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).hexdigest()


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"cannot read the audit public key {path}: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidInput(f"{path}: not an Ed25519 public key")
    return key


# -- writing --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    at: float
    actor: str
    action: str
    object: str
    before: Any
    after: Any
    prev_hash: str
    hash: str


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, allow_nan=False))


def append(s: Session, actor: str, action: str, obj: str, before: Any = None, after: Any = None,
           at: float | None = None, signer: Ed25519PrivateKey | None = None) -> Entry:
    """Append one entry in the session's transaction; with ``signer``, also a checkpoint every
    :data:`CHECKPOINT_EVERY` entries."""
    now = time.time() if at is None else at
    # the head first: its row lock (PostgreSQL) / the write lock (SQLite) serialises appenders
    s.execute(update(AuditHeadRow).where(AuditHeadRow.id == 1).values(seq=AuditHeadRow.seq + 1))
    head = s.get(AuditHeadRow, 1)  # made by the migration
    assert head is not None
    s.refresh(head)
    seq, prev = head.seq, head.hash
    b, a = _jsonable(before), _jsonable(after)
    digest = entry_hash(seq, now, actor, action, obj, b, a, prev)
    s.add(AuditEntryRow(seq=seq, at=now, actor=actor, action=action, object=obj, before=b, after=a,
                        prev_hash=prev, hash=digest))
    head.hash = digest
    if signer is not None and seq % CHECKPOINT_EVERY == 0:
        _checkpoint(s, signer, seq, digest, now)
    return Entry(seq, now, actor, action, obj, b, a, prev, digest)


def checkpoint(s: Session, signer: Ed25519PrivateKey, at: float | None = None) -> int | None:
    """Sign the current head (the shutdown checkpoint); returns its sequence number (None: empty log)."""
    head = s.get(AuditHeadRow, 1)
    if head is None or head.seq == 0:
        return None
    last = s.scalars(select(AuditCheckpointRow).order_by(AuditCheckpointRow.seq.desc()).limit(1)).first()
    if last is not None and last.seq == head.seq:
        return head.seq
    _checkpoint(s, signer, head.seq, head.hash, time.time() if at is None else at)
    return head.seq


def _checkpoint(s: Session, signer: Ed25519PrivateKey, seq: int, digest: str, at: float) -> None:
    sig = signer.sign(checkpoint_message(seq, digest, at))
    s.add(AuditCheckpointRow(seq=seq, hash=digest, at=at, key_id=key_id(signer.public_key()), signature=sig.hex()))


def entries(s: Session, since: float | None = None) -> list[Entry]:
    q = select(AuditEntryRow).order_by(AuditEntryRow.seq)
    if since is not None:
        q = q.where(AuditEntryRow.at >= since)
    return [Entry(r.seq, r.at, r.actor, r.action, r.object, r.before, r.after, r.prev_hash, r.hash) for r in s.scalars(q)]


# -- verifying ------------------------------------------------------------------------------------

@dataclass(slots=True)
class Verification:
    entries: int = 0
    checkpoints: int = 0
    #: the sequence number of the last checkpointed entry (0: none)
    sealed_to: int = 0
    #: entries after the last checkpoint: a cut there could not be told
    unsealed: int = 0
    #: the first problem: (sequence number or None, what)
    problems: list[tuple[int | None, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(s: Session, public: Ed25519PublicKey) -> Verification:
    """Walk the chain and the checkpoints; the first problem found is named first."""
    out = Verification()
    rows = list(s.scalars(select(AuditEntryRow).order_by(AuditEntryRow.id)))
    out.entries = len(rows)
    prev, expected = GENESIS, 1
    hashes: dict[int, str] = {}
    for r in rows:
        if r.seq != expected:
            out.problems.append((expected, f"entry {expected} is missing or out of place (found entry {r.seq} "
                                           f"after entry {expected - 1}): an entry was deleted or moved"))
            return out
        if r.prev_hash != prev:
            out.problems.append((r.seq, f"entry {r.seq} does not link to the entry before it: an entry before it "
                                        "was deleted, moved or rewritten"))
            return out
        digest = entry_hash(r.seq, r.at, r.actor, r.action, r.object, r.before, r.after, r.prev_hash)
        if digest != r.hash:
            out.problems.append((r.seq, f"entry {r.seq} was edited: its content does not match its hash"))
            return out
        hashes[r.seq] = r.hash
        prev, expected = r.hash, expected + 1
    kid = key_id(public)
    for c in s.scalars(select(AuditCheckpointRow).order_by(AuditCheckpointRow.seq)):
        out.checkpoints += 1
        if c.key_id != kid:
            out.problems.append((c.seq, f"checkpoint at entry {c.seq} was signed by another key ({c.key_id[:16]}...)"))
            return out
        try:
            public.verify(bytes.fromhex(c.signature), checkpoint_message(c.seq, c.hash, c.at))
        except (InvalidSignature, ValueError):
            out.problems.append((c.seq, f"checkpoint at entry {c.seq} has a bad signature: it was forged or edited"))
            return out
        if c.seq not in hashes:
            out.problems.append((c.seq, f"checkpoint at entry {c.seq} seals an entry that is gone: the log was cut "
                                        f"after entry {len(rows)}"))
            return out
        if hashes[c.seq] != c.hash:
            out.problems.append((c.seq, f"entry {c.seq} is not the entry its checkpoint sealed: the chain was "
                                        "rewritten"))
            return out
        out.sealed_to = max(out.sealed_to, c.seq)
    out.unsealed = len(rows) - out.sealed_to
    return out
