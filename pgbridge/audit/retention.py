"""Retention: which whole files have expired, and the record that accounts for removing them.

Only a prefix of the chain is ever removed, and only whole files whose newest record is older
than the cutoff; the file being written is never removed. Before removing anything the writer
records a `retention` event naming each removed file (sequence range, last hash, file SHA-256)
and where the chain now begins (`resumes_at`: the first remaining record's seq and prev), so a
verifier can tell a removal by policy from a deletion by hand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from pgbridge.audit import records


def expired_prefix(files: list[Path], cutoff: dt.datetime, keep: Path | None) -> list[Path]:
    expired: list[Path] = []
    for path in files:
        if path == keep:
            break
        last = _last_record(path)
        if last is None or records.parse_timestamp(last["ts"]) >= cutoff:
            break
        expired.append(path)
    return expired


def retention_fields(expired: list[Path], days: int, resumes_seq: int, resumes_prev: str) -> dict[str, Any]:
    return {
        "retention_days": days,
        "removed": [_describe(path) for path in expired],
        "resumes_at": {"seq": resumes_seq, "prev": resumes_prev},
    }


def first_record_after(files: list[Path], expired: list[Path]) -> dict[str, Any] | None:
    """The first record of the oldest file that stays, or None when it holds none yet."""
    remaining = files[len(expired) :]
    if not remaining:
        return None
    with open(remaining[0], "rb") as handle:
        line = handle.readline()
    return json.loads(line) if line.endswith(b"\n") else None


def _describe(path: Path) -> dict[str, Any]:
    data = path.read_bytes()
    lines = data.splitlines()
    first, last = json.loads(lines[0]), json.loads(lines[-1])
    return {
        "file": path.name,
        "first_seq": first["seq"],
        "last_seq": last["seq"],
        "last_hash": records.record_hash(lines[-1]),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def _last_record(path: Path) -> dict[str, Any] | None:
    lines = path.read_bytes().splitlines()
    if not lines:
        return None
    try:
        record = json.loads(lines[-1])
    except ValueError:
        return None  # damaged: keep it for an auditor rather than delete evidence
    return record if isinstance(record, dict) else None
