"""Replay: a session's events in order, with the rows its client saw, as text for a person.

Results are printed the way psql prints them (aligned columns, a row count) from the recorded
Arrow stream, after checking the recording against the hash in its record.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

import pyarrow as pa

from pgbridge.audit import records
from pgbridge.audit.reader import RecordingError, iter_records, read_recording

MAX_CELL = 60


def session_records(files: list[Path], session_id: str) -> list[dict[str, Any]]:
    return [
        record
        for _line, record in iter_records(files)
        if isinstance(record["data"], dict) and record["data"].get("session_id") == session_id
    ]


def replay(directory: Path, session_id: str, out: TextIO) -> int:
    found = session_records(records.log_files(directory), session_id)
    if not found:
        out.write(f"no records for session {session_id!r} in {directory}\n")
        return 1
    for record in found:
        out.write(describe(record) + "\n")
        ref = record["data"].get("recording")
        if isinstance(ref, dict) and ref.get("recorded"):
            out.write(_results(directory, ref))
    return 0


def describe(record: dict[str, Any]) -> str:
    data, kind = record["data"], record["type"]
    head = f"[{record['ts']}] #{record['seq']} {kind}"
    details = _DESCRIBE.get(kind, _generic)(data)
    return f"{head}  {details}".rstrip()


def _statement(data: dict[str, Any]) -> str:
    who = (data.get("principal") or {}).get("subject")
    parts = [f"by {who}", f"decision={data.get('decision')}", f"rule={data.get('rule')}"]
    if data.get("approval_id"):
        parts.append(f"approval={data['approval_id']} approver={data.get('approver')}")
    text = f"{' '.join(parts)}\n    sql: {data.get('sql')}"
    if data.get("translated_sql"):
        text += f"\n    ran: {data['translated_sql']}"
    if data.get("params"):
        text += f"\n    params: {data['params']}"
    return text


def _completed(data: dict[str, Any]) -> str:
    fields = ("rows", "bytes_scanned", "bytes_billed", "duration_ms", "sqlstate", "job_id")
    text = " ".join(f"{name}={data.get(name)}" for name in fields)
    if data.get("masked_columns"):
        text += f"\n    masked: {data['masked_columns']}"
    return text


def _generic(data: dict[str, Any]) -> str:
    return " ".join(f"{name}={value}" for name, value in data.items() if name != "session_id")


_DESCRIBE = {"statement": _statement, "statement_completed": _completed}


def _results(directory: Path, ref: dict[str, Any]) -> str:
    try:
        table = read_recording(directory, ref)
    except RecordingError as exc:
        return f"    !! {exc}\n"
    text = _indent(render_table(table))
    if ref.get("truncated"):
        text += f"    (recorded {ref.get('rows')} of {ref.get('rows_seen')} rows: truncated at the cap)\n"
    return text


def render_table(table: pa.Table) -> str:
    """psql's aligned format: centred header, numbers right-aligned, the last text column
    unpadded, NULL as empty, "(N rows)". Values print as Python text (booleans as t/f)."""
    names = table.schema.names
    columns = [[_cell(value) for value in column.to_pylist()] for column in table.columns]
    widths = [max([len(name), *map(len, cells)]) for name, cells in zip(names, columns, strict=True)]
    numeric = [_is_number(field.type) for field in table.schema]
    lines = [" " + " | ".join(_centre(name, width) for name, width in zip(names, widths, strict=True)) + " "]
    lines.append("+".join("-" * (width + 2) for width in widths))
    for row in zip(*columns, strict=True):
        cells = [_align(cell, width, right) for cell, width, right in zip(row, widths, numeric, strict=True)]
        lines.append((" " + " | ".join(cells)).rstrip() if not numeric[-1] else " " + " | ".join(cells))
    count = table.num_rows
    lines.append(f"({count} row{'' if count == 1 else 's'})")
    return "\n".join(lines) + "\n"


def _centre(name: str, width: int) -> str:
    left = (width - len(name)) // 2
    return " " * left + name + " " * (width - len(name) - left)


def _align(cell: str, width: int, right: bool) -> str:
    return cell.rjust(width) if right else cell.ljust(width)


def _is_number(kind: pa.DataType) -> bool:
    return bool(pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind))


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "t" if value else "f"
    text = "" if value is None else str(value)
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def _indent(text: str) -> str:
    return "".join(f"    {line}\n" for line in text.splitlines())


def summaries(items: Iterable[dict[str, Any]]) -> Iterable[str]:
    return (describe(record).replace("\n", " ") for record in items)
