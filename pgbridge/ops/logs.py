"""Log lines on stderr: JSON by default (one object per line, for a log pipeline), or a
human format (`pgbridge --log-format human ...`) for a terminal.

A record's structured fields travel in `extra={"fields": {...}}` (pgbridge.ops.observe writes
one per connection and one per statement); the JSON line carries them as top-level keys, the
human line as key=value pairs after the message. Nothing here filters secrets: what is logged
is chosen where it is logged (no SQL, parameters, tokens or keys; see observe.py).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from collections.abc import Mapping

FORMATS = ("json", "human")
_RESERVED = frozenset({"ts", "level", "logger", "message"})


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in _fields(record).items():
            line[key if key not in _RESERVED else f"field_{key}"] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class HumanFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = {k: v for k, v in _fields(record).items() if k != "event" and v is not None}
        if not fields:
            return text
        pairs = " ".join(f"{key}={_plain(value)}" for key, value in fields.items())
        head, newline, rest = text.partition("\n")  # keep a traceback below the pairs
        return f"{head} {pairs}{newline}{rest}"


def configure(log_format: str = "json", level: str = "INFO") -> None:
    """Send every pgbridge (and library) record to stderr in the chosen format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else HumanFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())


def _fields(record: logging.LogRecord) -> Mapping[str, object]:
    fields = getattr(record, "fields", None)
    return fields if isinstance(fields, Mapping) else {}


def _plain(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if text and " " not in text else json.dumps(text)
