"""Reading a log back: files in chain order, records line by line, recorded results by reference.

No checking happens here beyond what reading needs; `verify` is the place that decides whether
a log can be trusted. Replay, tail and export read through these functions.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from pgbridge.audit import records
from pgbridge.audit.recording import decode_blob


@dataclass(frozen=True, slots=True)
class Line:
    path: Path
    number: int  # 1-based
    raw: bytes  # with its newline, if it had one

    @property
    def location(self) -> str:
        return f"{self.path}:{self.number}"


def expand(paths: Sequence[Path]) -> list[Path]:
    """Directories become their log files; everything is put in chain (name) order."""
    files: list[Path] = []
    for path in paths:
        files.extend(records.log_files(path) if path.is_dir() else [path])
    return sorted(dict.fromkeys(files), key=lambda path: path.name)


def lines(files: Sequence[Path]) -> Iterator[Line]:
    for path in files:
        with open(path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                yield Line(path, number, raw)


def iter_records(files: Sequence[Path]) -> Iterator[tuple[Line, dict[str, Any]]]:
    """Complete, parseable records only (for display; verify is what judges them)."""
    for line in lines(files):
        if not line.raw.endswith(b"\n"):
            continue
        try:
            record = json.loads(line.raw)
        except ValueError:
            continue
        if isinstance(record, dict) and {"seq", "type", "ts", "data"} <= set(record):
            yield line, record


class RecordingError(ValueError):
    pass


def read_blob(directory: Path, ref: Mapping[str, Any]) -> bytes:
    """The stored bytes of a recording; raises RecordingError if missing or not matching its hash."""
    stored = ref.get("stored", "file")
    if stored == "inline":
        blob = _inline_blob(ref)
    elif stored == "file":
        blob = _file_blob(directory, ref)
    else:
        raise RecordingError(f"recording reference stores its results in an unknown way: {stored!r}")
    if hashlib.sha256(blob).hexdigest() != ref.get("sha256"):
        where = "inside the record" if stored == "inline" else f"in {ref.get('file')} at {ref.get('offset')}"
        raise RecordingError(f"recorded results {where} do not match their hash")
    return blob


def _inline_blob(ref: Mapping[str, Any]) -> bytes:
    try:
        blob = base64.b64decode(str(ref["inline"]), validate=True)
    except (KeyError, ValueError) as exc:
        raise RecordingError(f"recorded results inside the record cannot be read: {exc}") from None
    if len(blob) != ref.get("length"):
        raise RecordingError("recorded results inside the record are not the length it states")
    return blob


def _file_blob(directory: Path, ref: Mapping[str, Any]) -> bytes:
    name = str(ref.get("file", ""))
    if not name or Path(name).name != name:
        raise RecordingError(f"recording reference names no file in the audit directory: {name!r}")
    try:
        with open(directory / name, "rb") as handle:
            handle.seek(int(ref["offset"]))
            blob = handle.read(int(ref["length"]))
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise RecordingError(f"recorded results {name} cannot be read: {exc}") from None
    return blob


def read_recording(directory: Path, ref: Mapping[str, Any]) -> pa.Table:
    return decode_blob(read_blob(directory, ref))
