"""COPY ... TO STDOUT (FORMAT binary) against a real PostgreSQL 15 (issue 12, item 3): for every
mapped type, the CopyData messages pgbridge sends carry the same bytes, split the same way
(the header with the first row, a message per row, the trailer alone), as PostgreSQL's own
COPY of the same values; and a table of several types, and no rows at all."""

from __future__ import annotations

import datetime as dt
import struct
from decimal import Decimal

import psycopg
import pyarrow as pa
import pytest
from psycopg import sql

from pgbridge.encode import CopyBinaryEncoder, EncodeSettings
from pgbridge.typemap import PG_TYPES, OutputColumn
from tests.encode.pgside import array_literal
from tests.encode.test_datetime_vs_pg import DATES, INTERVALS, STAMPS, TIMES, _interval_literal
from tests.encode.test_nested_vs_pg import ARRAYS, JSONB, RANGES
from tests.encode.test_scalars_vs_pg import CASES

UTC = dt.UTC


def _stamps(zone: dt.tzinfo | None) -> pa.Array:
    return pa.array(
        [v.replace(tzinfo=zone) if v else None for v in STAMPS],
        pa.timestamp("us", tz="UTC" if zone else None),
    )


TYPES: list[tuple[str, list[str | None], pa.Array]] = [
    *CASES,
    ("bytea", ["\\x00ff", None, "\\x"], pa.array([b"\x00\xff", None, b""], pa.binary())),
    ("date", [None if v is None else str(v) for v in DATES], pa.array(DATES, pa.date32())),
    ("time", [None if v is None else str(v) for v in TIMES], pa.array(TIMES, pa.time64("us"))),
    ("timestamp", [None if v is None else str(v) for v in STAMPS], _stamps(None)),
    ("timestamptz", [None if v is None else f"{v}+00" for v in STAMPS], _stamps(UTC)),
    (
        "interval",
        [_interval_literal(v) for v in INTERVALS],
        pa.array(
            [None if v is None else pa.MonthDayNano(list(v)) for v in INTERVALS], pa.month_day_nano_interval()
        ),
    ),
    ("jsonb", JSONB, pa.array(JSONB)),
    ("json", ['{"b": 1, "a": [1, 2]}', None, "[]"], pa.array(['{"b": 1, "a": [1, 2]}', None, "[]"])),
    *ARRAYS,
    *RANGES,
]


def pg_copy(conn: psycopg.Connection, query: sql.Composable) -> list[bytes]:
    """The payload of each CopyData message PostgreSQL sends for a binary COPY of `query`."""
    statement = sql.SQL("COPY ({}) TO STDOUT (FORMAT binary)").format(query)
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        return [bytes(chunk) for chunk in copy]


def ours(columns: list[tuple[str, str]], batch: pa.RecordBatch | None) -> list[bytes]:
    encoder = CopyBinaryEncoder([OutputColumn(n, PG_TYPES[t]) for n, t in columns], EncodeSettings())
    response = encoder.copy_out_response()
    assert response[5:8] == struct.pack("!bh", 1, len(columns))  # binary overall, per column
    stream = (encoder.encode(batch) if batch is not None else b"") + encoder.finish()
    return _payloads(stream)


def _payloads(stream: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos < len(stream):
        assert stream[pos : pos + 1] == b"d", f"expected CopyData at {pos}"
        (length,) = struct.unpack_from("!i", stream, pos + 1)
        out.append(stream[pos + 5 : pos + 1 + length])
        pos += 1 + length
    return out


@pytest.mark.parametrize(
    ("pg_type", "literals", "values"), TYPES, ids=[f"{c[0]}-{i}" for i, c in enumerate(TYPES)]
)
def test_one_column_of_each_type(
    pg: psycopg.Connection, pg_type: str, literals: list, values: pa.Array
) -> None:
    cast = '"char"' if pg_type == "char" else pg_type
    query = sql.SQL("SELECT x::{} FROM unnest({}::text[]) WITH ORDINALITY AS t(x, i) ORDER BY i").format(
        sql.SQL(cast), sql.Literal(array_literal(literals))
    )
    batch = pa.RecordBatch.from_arrays([values], names=["x"])
    assert ours([("x", pg_type)], batch) == pg_copy(pg, query)


def test_a_row_of_several_types_and_no_rows(pg: psycopg.Connection) -> None:
    query = sql.SQL(
        "SELECT 7::int8, E'é\\t'::text, 1.5::numeric, true, '2024-01-02 03:04:05+00'::timestamptz, "
        "'{a,NULL}'::text[], NULL::float8"
    )
    columns = [("a", "int8"), ("b", "text"), ("c", "numeric"), ("d", "bool"), ("e", "timestamptz"),
               ("f", "_text"), ("g", "float8")]  # fmt: skip
    batch = pa.RecordBatch.from_arrays(
        [
            pa.array([7]),
            pa.array(["é\t"]),
            pa.array([Decimal("1.5")], pa.decimal128(38, 9)),
            pa.array([True]),
            pa.array([dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)], pa.timestamp("us", tz="UTC")),
            pa.array([["a", None]]),
            pa.array([None], pa.float64()),
        ],
        names=[n for n, _ in columns],
    )
    assert ours(columns, batch) == pg_copy(pg, query)
    assert ours([("x", "int8")], None) == pg_copy(pg, sql.SQL("SELECT 1::int8 WHERE false"))
