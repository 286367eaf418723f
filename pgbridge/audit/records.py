"""The record format: one canonical JSON object per line, chained and signed.

A record is `{"data", "prev", "seq", "sig", "ts", "type"}` serialised with sorted keys, no
spaces and ASCII only, so there is exactly one byte string for a record and a verifier can
re-serialise what it parsed and compare. `sig` is Ed25519 over the same object without `sig`;
a record's hash is SHA-256 of its whole line (without the newline), and `prev` is the hash of
the record before it, across file boundaries. The first record ever has `prev` = GENESIS.

Log files are named `audit-<first seq, 12 digits>-<UTC day>.jsonl`, so name order is chain
order; a file's recorded results live beside it in `<same stem>.results`.

A statement's recorded results (recording.py's blob) are referenced from its completion
record's `recording` field, which always carries the blob's `sha256` and `length`, and says
where the bytes are by `stored`:
- "file", or absent (records written before this field existed): `file` and `offset` in the
  `.results` file beside the log;
- "inline": the blob itself, base64, under `inline` (blobs of up to INLINE_RESULTS_MAX bytes:
  a point query's row, which then costs no second write and fsync).
Any other value is a reference a reader does not understand, and verify reports it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

GENESIS = "0" * 64
FORBIDDEN_FIELDS = frozenset({"password", "token"})
LOG_SUFFIX = ".jsonl"
RESULTS_SUFFIX = ".results"
PUBLIC_KEY_NAME = "audit.pub"
_NAME = re.compile(r"^audit-(\d{12})-(\d{8})\.jsonl$")
INLINE_RESULTS_MAX = 4096  # bytes of a recording blob kept inside its record (about 5.5 KiB base64)


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def encode_data(fields: Mapping[str, Any]) -> str:
    """Canonical JSON of an event's fields; values JSON lacks (bytes, dates, Decimal) become text."""
    check_field_names(fields)
    try:
        return json.dumps(
            fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False,
            default=_jsonable,
        )
    except ValueError:  # NaN or infinity somewhere: spell them as text, like Postgres does
        return canonical(_finite(fields))


def check_field_names(value: Any) -> None:
    """Refuse secrets by name at any depth: redaction is the caller's job, this is the guard."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and key.lower() in FORBIDDEN_FIELDS:
                raise ValueError(f"audit field {key!r} is refused: never record secrets")
            check_field_names(item)
    elif isinstance(value, list | tuple):
        for item in value:
            check_field_names(item)


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\x" + bytes(value).hex()  # bytea hex output, as psql would show it
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if isinstance(value, dt.timedelta):
        return str(value)
    raise TypeError(f"audit field value of type {type(value).__name__} cannot be recorded")


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, Mapping):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return json.loads(json.dumps(value, default=_jsonable)) if not _plain(value) else value


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, bool | int | float | str)


def utc_timestamp(now: dt.datetime | None = None) -> str:
    moment = now or dt.datetime.now(dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class Sealed:
    """A record ready to write: its line (with newline) and its hash."""

    line: bytes
    hash: str


def seal(key: Ed25519PrivateKey, seq: int, prev: str, ts: str, event_type: str, data_json: str) -> Sealed:
    """Build, sign and hash one record; string-built to skip a second JSON pass (same bytes)."""
    kind = json.dumps(event_type, ensure_ascii=True)
    body = f'{{"data":{data_json},"prev":"{prev}","seq":{seq},"ts":"{ts}","type":{kind}}}'
    sig = base64.b64encode(key.sign(body.encode("ascii"))).decode("ascii")
    line = f'{{"data":{data_json},"prev":"{prev}","seq":{seq},"sig":"{sig}","ts":"{ts}","type":{kind}}}'
    raw = line.encode("ascii")
    return Sealed(raw + b"\n", hashlib.sha256(raw).hexdigest())


def record_hash(line: bytes) -> str:
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


class RecordError(ValueError):
    """A line that is not a well-formed, canonical, correctly signed record."""


def open_record(line: bytes, public_key: Ed25519PublicKey | None) -> dict[str, Any]:
    """Parse one line (without newline) and check form and, given a key, signature."""
    try:
        record = json.loads(line)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RecordError(f"not a JSON record ({exc})") from None
    if not isinstance(record, dict) or set(record) != {"data", "prev", "seq", "sig", "ts", "type"}:
        raise RecordError("not an audit record (wrong fields)")
    if canonical(record).encode("ascii") != line:
        raise RecordError("record is not in canonical form: it was edited")
    if public_key is not None:
        _check_signature(record, public_key)
    return record


def _check_signature(record: dict[str, Any], public_key: Ed25519PublicKey) -> None:
    from cryptography.exceptions import InvalidSignature

    body = {name: value for name, value in record.items() if name != "sig"}
    try:
        public_key.verify(base64.b64decode(record["sig"], validate=True), canonical(body).encode("ascii"))
    except (InvalidSignature, ValueError):
        raise RecordError("signature does not match: the record was altered or forged") from None


def log_file_name(first_seq: int, day: dt.date) -> str:
    return f"audit-{first_seq:012d}-{day:%Y%m%d}{LOG_SUFFIX}"


def parse_log_name(name: str) -> tuple[int, dt.date] | None:
    match = _NAME.match(name)
    if not match:
        return None
    return int(match.group(1)), dt.datetime.strptime(match.group(2), "%Y%m%d").date()


def inline_recording(blob: bytes) -> dict[str, Any]:
    """The `recording` reference fields of a blob stored inside its record."""
    return {"stored": "inline", "inline": base64.b64encode(blob).decode("ascii"), "length": len(blob)}


def results_path(log_path: Path) -> Path:
    return log_path.with_suffix(RESULTS_SUFFIX)


def log_files(directory: Path) -> list[Path]:
    """The directory's log files in chain order (by their first sequence number)."""
    found = [path for path in directory.iterdir() if parse_log_name(path.name)]
    return sorted(found, key=lambda path: path.name)


def chains(directory: Path) -> list[Path]:
    """The directories holding one chain each: the audit directory itself, then the chains of
    the other workers of `serve --workers N` (worker-1, worker-2, ... inside it)."""
    workers = [path for path in directory.glob("worker-*") if path.is_dir() and path.name[7:].isdigit()]
    return [directory, *sorted(workers, key=lambda path: int(path.name[7:]))]
