"""Small batches are laid out by a Python loop (result.py, SMALL_BATCH): same bytes as the
vectorised layout, for every mapped type, NULLs, both formats and zero columns. The values
themselves come from the same renderers, which the *_vs_pg tests hold to PostgreSQL; the
last test checks a one-row result against a real server end to end."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import psycopg
import pyarrow as pa
import pytest

from pgbridge.backends.base import Field
from pgbridge.encode import EncodeSettings, ResultEncoder, output_columns
from pgbridge.encode.result import SMALL_BATCH
from tests.encode.pgside import parse_datarows, pg_rows

UTC = dt.UTC
FIELDS = [
    Field("i", "INT64"),
    Field("f", "FLOAT64"),
    Field("n", "NUMERIC"),
    Field("b", "BOOL"),
    Field("s", "STRING"),
    Field("y", "BYTES"),
    Field("d", "DATE"),
    Field("dt", "DATETIME"),
    Field("t", "TIME"),
    Field("ts", "TIMESTAMP"),
    Field("j", "JSON"),
    Field("iv", "INTERVAL"),
    Field("a", "ARRAY<STRING>"),
    Field("st", "STRUCT<x INT64>"),
]


def mixed_batch(rows: int) -> pa.RecordBatch:
    """`rows` rows of every type; every third value NULL, shifted per column."""

    def col(index: int, typ: pa.DataType, make: Callable[[int], object]) -> pa.Array:
        return pa.array([None if (r + index) % 3 == 0 else make(r) for r in range(rows)], typ)

    arrays = [
        col(0, pa.int64(), lambda r: r * 1_000_003 - 7),
        col(1, pa.float64(), lambda r: r / 7 - 1.5),
        col(2, pa.decimal128(38, 9), lambda r: Decimal(r * 1234) / 1000),
        col(3, pa.bool_(), lambda r: r % 2 == 0),
        col(4, pa.string(), lambda r: "é" * r + "\t'x'"),
        col(5, pa.binary(), lambda r: bytes((r + k) % 256 for k in range(3))),
        col(6, pa.date32(), lambda r: dt.date(2000, 2, 29) + dt.timedelta(days=r * 997)),
        col(7, pa.timestamp("us"), lambda r: dt.datetime(1999, 12, 31, 23, 59, r % 60, r * 10)),
        col(8, pa.time64("us"), lambda r: dt.time(r % 24, 30, 0, r)),
        col(9, pa.timestamp("us", tz="UTC"), lambda r: dt.datetime(2024, 1, 1, r % 24, tzinfo=UTC)),
        col(10, pa.string(), lambda r: f'{{"k": [{r}, null]}}'),
        col(11, pa.month_day_nano_interval(), lambda r: pa.MonthDayNano([r, -r, r * 1000])),
        col(12, pa.list_(pa.string()), lambda r: ["a", None, "b c"][: r % 4]),
        col(13, pa.struct([("x", pa.int64())]), lambda r: {"x": r}),
    ]
    return pa.RecordBatch.from_arrays(arrays, names=[f.name for f in FIELDS])


@pytest.mark.parametrize("fmt", [0, 1])
@pytest.mark.parametrize("zone", ["UTC", "America/New_York"])
def test_small_layout_matches_vectorised_layout(fmt: int, zone: str) -> None:
    encoder = ResultEncoder(output_columns(FIELDS), [fmt], EncodeSettings(timezone=zone))
    batch = mixed_batch(SMALL_BATCH + 4)
    for rows in range(SMALL_BATCH + 5):
        part = batch.slice(0, rows)
        assert encoder.encode_small(part) == encoder.encode_vectorised(part), rows
    assert encoder.encode(batch.slice(0, 1)) == encoder.encode_vectorised(batch.slice(0, 1))


def test_small_layout_with_mixed_formats_and_no_columns() -> None:
    batch = mixed_batch(5)
    encoder = ResultEncoder(output_columns(FIELDS), [i % 2 for i in range(len(FIELDS))], EncodeSettings())
    assert encoder.encode_small(batch) == encoder.encode_vectorised(batch)
    empty = pa.RecordBatch.from_pydict({"a": [1, 2, 3]}).select([])
    none = ResultEncoder([], [], EncodeSettings())
    assert none.encode(empty) == none.encode_vectorised(empty) == b"D\x00\x00\x00\x06\x00\x00" * 3


def test_one_row_result_matches_postgres(pg: psycopg.Connection) -> None:
    sql = (
        "select 42::int8, 'é x'::text, 1.5::numeric, null::float8, "
        "'2024-02-29 12:00:00.5+00'::timestamptz, array['a', null]::text[]"
    )
    batch = pa.RecordBatch.from_pydict(
        {
            "i": [42],
            "s": ["é x"],
            "n": pa.array([Decimal("1.5")], pa.decimal128(38, 9)),
            "f": pa.array([None], pa.float64()),
            "ts": pa.array(
                [dt.datetime(2024, 2, 29, 12, 0, 0, 500000, tzinfo=UTC)], pa.timestamp("us", tz="UTC")
            ),
            "a": [["a", None]],
        }
    )
    columns = output_columns(
        [
            Field("i", "INT64"),
            Field("s", "STRING"),
            Field("n", "NUMERIC"),
            Field("f", "FLOAT64"),
            Field("ts", "TIMESTAMP"),
            Field("a", "ARRAY<STRING>"),
        ]
    )
    for fmt in (0, 1):
        got = parse_datarows(ResultEncoder(columns, [fmt], EncodeSettings()).encode(batch))
        assert got == pg_rows(pg, sql, fmt=fmt)


def test_numeric_array_of_only_empty_arrays_matches_postgres(pg: psycopg.Connection) -> None:
    # The element renderer then sees zero values; binary numeric once failed to reshape them.
    batch = pa.RecordBatch.from_pydict({"a": pa.array([[]] * 20, pa.list_(pa.decimal128(38, 9)))})
    columns = output_columns([Field("a", "ARRAY<NUMERIC>")])
    for fmt in (0, 1):
        got = parse_datarows(ResultEncoder(columns, [fmt], EncodeSettings()).encode(batch))
        assert got == pg_rows(pg, "select '{}'::numeric[] from generate_series(1, 20)", fmt=fmt)


@pytest.mark.parametrize("rows", [0, 1, SMALL_BATCH, SMALL_BATCH + 1, 300])
@pytest.mark.parametrize("fmt", [0, 1])
def test_encode_rows_slices_are_the_encoding_of_the_slices(rows: int, fmt: int) -> None:
    # A portal sends a pre-encoded batch 50 rows (or any count) at a time: each slice of the
    # bytes must be exactly what encoding that slice of the batch gives.
    encoder = ResultEncoder(output_columns(FIELDS), [fmt], EncodeSettings(timezone="Europe/Paris"))
    batch = mixed_batch(rows)
    encoded = encoder.encode_rows(batch)
    assert len(encoded) == rows and encoded.data == encoder.encode(batch)
    for start, stop in [(0, rows), (0, 1), (3, 53), (rows - 7, rows), (5, 5), (120, 170)]:
        start, stop = max(0, min(start, rows)), max(0, min(stop, rows))
        assert encoded.rows(start, stop) == encoder.encode(batch.slice(start, stop - start)), (start, stop)
