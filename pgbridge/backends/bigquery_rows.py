"""REST result rows (BigQuery's JSON `{"f": [{"v": ...}]}` pages) -> Arrow record batches.

The client library turns each cell into a Python object through a Python call per value
(about 30k rows/s, DESIGN.md). Here a page is turned column by column into an Arrow string
array and cast with pyarrow.compute, so the per-value work is one list comprehension; only
BYTES (base64) and INTERVAL (BigQuery's 'Y-M D H:M:S' text) are parsed per value. ARRAY and
STRUCT recurse on their flattened children. The result has exactly the Arrow types the
Storage Read API gives, so a consumer cannot tell which path a result took.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from pgbridge.backends.base import Field
from pgbridge.backends.bigquery_types import arrow_type
from pgbridge.typemap import BqType, parse_bq_type
from pgbridge.wire.errors import PgError, SqlState

_CASTABLE = ("INT64", "FLOAT64", "NUMERIC", "BIGNUMERIC", "BOOL", "DATE", "DATETIME")
_TEXT = ("STRING", "JSON", "GEOGRAPHY")
_INTERVAL = re.compile(r"^(-?)(\d+)-(\d+) (-?\d+) (-?)(\d+):(\d+):(\d+)(?:\.(\d{1,9}))?$")
_RANGE = re.compile(r"^\[(.*), (.*)\)$")


def rows_to_batch(
    rows: Sequence[dict[str, Any]], fields: Sequence[Field], schema: pa.Schema
) -> pa.RecordBatch:
    """One page of REST rows as a record batch with `schema` (from `arrow_schema(fields)`)."""
    cells = [row["f"] for row in rows]
    columns = [
        column_to_arrow([cell[i]["v"] for cell in cells], parse_bq_type(f.type)) for i, f in enumerate(fields)
    ]
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def column_to_arrow(values: list[Any], bq: BqType) -> pa.Array:
    """Raw JSON cell values of one BigQuery type (None for NULL) as an Arrow array."""
    try:
        return _convert(values, bq)
    except (pa.ArrowInvalid, ValueError) as exc:
        raise PgError(
            SqlState.DATA_EXCEPTION, f"cannot read a BigQuery {bq} value from the REST API: {exc}"
        ) from None


def _convert(values: list[Any], bq: BqType) -> pa.Array:
    if bq.name == "ARRAY":
        assert bq.element is not None
        return _list(values, bq.element)
    if bq.name == "STRUCT":
        return _struct(values, bq)
    if bq.name == "RANGE":
        assert bq.element is not None
        return _range(values, bq.element)
    return _scalar(values, bq.name)


def _scalar(values: list[Any], kind: str) -> pa.Array:
    if kind == "BYTES":
        return pa.array([None if v is None else base64.b64decode(v) for v in values], pa.binary())
    if kind == "INTERVAL":
        return pa.array([None if v is None else _interval(v) for v in values], pa.month_day_nano_interval())
    text = pa.array(values, pa.string())
    if kind in _TEXT:
        return text
    if kind in _CASTABLE:
        return pc.cast(text, arrow_type(kind))
    if kind == "TIME":
        # Arrow has no string -> time64 cast; a timestamp on the epoch day casts down to its time.
        stamped = pc.binary_join_element_wise("1970-01-01T", text, "")
        return pc.cast(pc.cast(stamped, pa.timestamp("us")), pa.time64("us"))
    if kind == "TIMESTAMP":
        return _timestamp(text)
    raise PgError(SqlState.FEATURE_NOT_SUPPORTED, f"BigQuery type {kind} cannot be read from the REST API")


def _timestamp(text: pa.Array) -> pa.Array:
    utc = pa.timestamp("us", tz="UTC")
    try:
        # formatOptions.useInt64Timestamp: microseconds since the epoch as a decimal string.
        return pc.cast(pc.cast(text, pa.int64()), utc)
    except pa.ArrowInvalid:
        # Older servers send float seconds ("1.7E9"); RANGE bounds send text with an offset.
        try:
            micros = pc.multiply(pc.cast(text, pa.float64()), 1_000_000)
            return pc.cast(pc.cast(pc.round(micros), pa.int64()), utc)
        except pa.ArrowInvalid:
            # "+00" -> "+00:00": Arrow's ISO 8601 parser wants hours and minutes in an offset.
            return pc.cast(pc.replace_substring_regex(text, r"([+-]\d\d)$", r"\1:00"), utc)


def _interval(text: str) -> tuple[int, int, int]:
    match = _INTERVAL.match(text)
    if match is None:
        raise ValueError(f"bad INTERVAL text {text!r}")
    ym_sign, years, months, days, t_sign, hours, minutes, seconds, fraction = match.groups()
    total_months = (int(years) * 12 + int(months)) * (-1 if ym_sign else 1)
    nanos = ((int(hours) * 60 + int(minutes)) * 60 + int(seconds)) * 1_000_000_000
    nanos += int((fraction or "0").ljust(9, "0"))
    return total_months, int(days), -nanos if t_sign else nanos


def _list(values: list[Any], element: BqType) -> pa.Array:
    offsets = [0]
    flat: list[Any] = []
    for value in values:
        if value:
            flat.extend(item["v"] for item in value)
        offsets.append(len(flat))
    mask = pa.array([value is None for value in values], pa.bool_())
    children = _convert(flat, element)
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), children, mask=mask)


def _struct(values: list[Any], bq: BqType) -> pa.Array:
    children = [
        _convert([None if value is None else value["f"][i]["v"] for value in values], t)
        for i, (_, t) in enumerate(bq.fields)
    ]
    fields = [pa.field(name, child.type) for (name, _), child in zip(bq.fields, children, strict=True)]
    mask = pa.array([value is None for value in values], pa.bool_())
    return pa.StructArray.from_arrays(children, fields=fields, mask=mask)


def _range(values: list[Any], element: BqType) -> pa.Array:
    starts: list[str | None] = []
    ends: list[str | None] = []
    for value in values:
        match = _RANGE.match(value) if value is not None else None
        if value is not None and match is None:
            raise ValueError(f"bad RANGE text {value!r}")
        start, end = match.groups() if match else (None, None)
        starts.append(None if start in (None, "UNBOUNDED", "NULL") else start)
        ends.append(None if end in (None, "UNBOUNDED", "NULL") else end)
    children = [_convert(starts, element), _convert(ends, element)]
    fields = [pa.field("start", children[0].type), pa.field("end", children[1].type)]
    mask = pa.array([value is None for value in values], pa.bool_())
    return pa.StructArray.from_arrays(children, fields=fields, mask=mask)
