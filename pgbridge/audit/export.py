"""Export: the records of a time range, for an evidence package.

`jsonl` copies the signed lines byte for byte, so each exported record can still be checked
against the public key on its own; `csv` flattens the fields an auditor reads first and keeps
the whole event as JSON in the last column, with each record's hash to tie it to the chain.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from pgbridge.audit import records
from pgbridge.audit.reader import Line, iter_records

CSV_COLUMNS = (
    "seq", "ts", "gateway", "type", "session_id", "statement_id", "subject", "sql", "translated_sql",
    "decision", "rule", "rows", "sqlstate", "duration_ms", "record_hash", "data",
)


def parse_when(text: str, option: str) -> dt.datetime:
    """ISO 8601 date or time; without a zone it means UTC."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{option}: not an ISO 8601 date or time: {text!r}") from None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


def in_range(
    files: list[Path], since: dt.datetime, until: dt.datetime | None
) -> Iterator[tuple[Line, dict[str, Any]]]:
    for line, record in iter_records(files):
        when = records.parse_timestamp(record["ts"])
        if when >= since and (until is None or when < until):
            yield line, record


def export(files: list[Path], since: dt.datetime, until: dt.datetime | None, fmt: str, out: TextIO) -> int:
    selected = in_range(files, since, until)
    if fmt == "jsonl":
        return sum(out.write(line.raw.decode("ascii")) > 0 for line, _record in selected)
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for line, record in selected:
        writer.writerow(csv_row(line, record))
        count += 1
    return count


def csv_row(line: Line, record: dict[str, Any]) -> list[Any]:
    data = record["data"] if isinstance(record["data"], dict) else {}
    principal = data.get("principal") if isinstance(data.get("principal"), dict) else {}
    picked = [data.get(name) for name in ("session_id", "statement_id")]
    picked.append(principal.get("subject") if principal else data.get("subject"))
    picked += [data.get(name) for name in ("sql", "translated_sql", "decision", "rule", "rows", "sqlstate")]
    picked.append(data.get("duration_ms"))
    hashed = records.record_hash(line.raw)
    head = [record["seq"], record["ts"], data.get("gateway"), record["type"]]
    return [*head, *picked, hashed, json.dumps(data, sort_keys=True)]
