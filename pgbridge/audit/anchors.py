"""Anchors: signed checkpoints of a gateway's chain head, kept where its host cannot rewrite them.

The chain alone shows any record altered, inserted or removed in the middle, but not records cut
off its end: a shorter chain is still a valid chain. A checkpoint says "gateway G's log had
reached seq S with hash H at time T", signed with the same Ed25519 key as the records, and is
written to a sink outside the host (pgbridge.audit.anchor_pg: an append-only PostgreSQL table
the gateway's role may only INSERT into). A log that ends before its latest checkpoint was cut;
a log whose record S does not hash to H was rewritten.

A checkpoint is canonical JSON like a record, so there is one byte string to sign and check:
`{"gateway", "hash", "reason", "seq", "ts"}`; reason is "start", "periodic" or "shutdown".
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from pgbridge.audit import records

REASONS = ("start", "periodic", "shutdown")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    gateway: str
    seq: int
    hash: str
    ts: str  # the gateway's clock, records.utc_timestamp format
    reason: str

    def body(self) -> str:
        fields = {
            "gateway": self.gateway,
            "hash": self.hash,
            "reason": self.reason,
            "seq": self.seq,
            "ts": self.ts,
        }
        return records.canonical(fields)


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    checkpoint: Checkpoint
    body: str
    sig: str  # base64 Ed25519 over body
    received_at: str | None = None  # the sink's own clock, when it keeps one


@dataclass(frozen=True, slots=True)
class StoredAnchor:
    """A checkpoint as a sink returns it: not yet checked (pgbridge.audit.anchor_check does)."""

    gateway: str
    body: str
    sig: str
    received_at: str  # the sink's own clock (database now(), object creation time)


class AnchorSink(Protocol):
    """Where checkpoints go. `write` raises OSError (or a driver error wrapped in it) on failure."""

    async def write(self, signed: SignedCheckpoint) -> None: ...
    async def close(self) -> None: ...


def sign(key: Ed25519PrivateKey, checkpoint: Checkpoint) -> SignedCheckpoint:
    body = checkpoint.body()
    sig = base64.b64encode(key.sign(body.encode("ascii"))).decode("ascii")
    return SignedCheckpoint(checkpoint, body, sig)


class AnchorError(ValueError):
    """A stored checkpoint that is malformed or not signed by the key the log is checked with."""


def open_checkpoint(body: str, sig: str, public_key: Ed25519PublicKey) -> Checkpoint:
    """Parse a stored checkpoint and check its form and signature."""
    try:
        fields: Any = json.loads(body)
    except ValueError:
        raise AnchorError("not a JSON checkpoint") from None
    if not isinstance(fields, dict) or set(fields) != {"gateway", "hash", "reason", "seq", "ts"}:
        raise AnchorError("not a checkpoint (wrong fields)")
    if records.canonical(fields) != body:
        raise AnchorError("checkpoint is not in canonical form: it was edited")
    try:
        public_key.verify(base64.b64decode(sig, validate=True), body.encode("ascii"))
    except (InvalidSignature, ValueError):
        raise AnchorError("checkpoint signature does not match this gateway's key") from None
    return Checkpoint(fields["gateway"], fields["seq"], fields["hash"], fields["ts"], fields["reason"])
