"""The row-at-a-time encoder (rowwise.py) gives the vectorised renderers' bytes, or their error.

Both encoders run over every fixture column of the *_vs_pg tests (which hold the vectorised
renderers to PostgreSQL), numeric columns as the exact translations mark them, and every table
of the demo warehouse read through the DuckDB backend, in both formats and under the settings
that change rendering (TimeZone, extra_float_digits, bytea_output), in slices of 1 and of
SMALL_BATCH rows.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from pgbridge.backends.base import Field, JobOptions
from pgbridge.backends.duckdb import DuckDBBackend, DuckDBSettings
from pgbridge.encode import EncodeSettings, ResultEncoder, output_columns
from pgbridge.encode.result import SMALL_BATCH
from pgbridge.typemap import PG_TYPES, OutputColumn
from pgbridge.wire.errors import PgError
from tests.encode import test_datetime_vs_pg as dates
from tests.encode import test_nested_vs_pg as nested
from tests.encode import test_scalars_vs_pg as scalars
from tests.encode.test_small_batches import FIELDS, mixed_batch

UTC = dt.UTC
SETTINGS = [
    EncodeSettings(),
    EncodeSettings(timezone="America/New_York", extra_float_digits=0),
    EncodeSettings(timezone="Australia/Lord_Howe", extra_float_digits=-3, bytea_output="escape"),
    EncodeSettings(timezone="+05:30", extra_float_digits=3),
    EncodeSettings(timezone="Pacific/Chatham"),
]
MARKED_NUMERIC = [
    "12.50",
    "d:12.5:2",
    "d:-0.5:3",
    "d:0:2",
    "d:-0.000:1",
    "d:7:0",
    "d:1.5E+3:1",
    "q:7:2:0:0",
    "q:1:3:0:0:r2",
    "q:-10:4:1:0",
    "d:123.456:3:r-1",
    None,
]


def _fixture_columns() -> list[tuple[str, pa.Array]]:
    """(PostgreSQL type, Arrow column) for every value the vs-PostgreSQL tests render."""
    stamps = [None if s is None else s.replace(tzinfo=UTC) for s in dates.STAMPS]
    columns: list[tuple[str, pa.Array]] = [(pg_type, values) for pg_type, _, values in scalars.CASES]
    columns += [(pg_type, values) for pg_type, _, values in nested.ARRAYS]
    columns += [
        ("float4", pa.array(scalars.FLOAT_EDGES, pa.float32())),
        ("float4", pa.array(scalars.FLOAT_EDGES, pa.float64())),
        ("float8", pa.array(scalars.FLOAT_EDGES, pa.float32())),
        ("bytea", pa.array([b"", b"\x00\x01\xff", None, b"back\\slash", bytes(range(256))])),
        ("bytea", pa.array([b"ab", None], pa.large_binary())),
        ("uuid", pa.array([bytes(range(16)), None, b"\xff" * 16], pa.binary(16))),
        ("date", pa.array(dates.DATES, pa.date32())),
        ("date", pa.array(dates.DATES, pa.date64())),
        ("time", pa.array(dates.TIMES, pa.time64("us"))),
        ("time", pa.array(dates.TIMES, pa.time64("ns"))),
        ("timestamp", pa.array(dates.STAMPS, pa.timestamp("us"))),
        ("timestamp", pa.array(stamps, pa.timestamp("us", tz="UTC"))),
        ("timestamptz", pa.array(stamps, pa.timestamp("us", tz="UTC"))),
        ("timestamptz", pa.array(dates.STAMPS, pa.timestamp("us"))),
        ("timestamptz", pa.array(stamps[:4], pa.timestamp("ms", tz="UTC"))),
        ("timestamptz", pa.array(stamps[:4], pa.timestamp("ns", tz="UTC"))),
        ("interval", pa.array(dates.INTERVALS, pa.month_day_nano_interval())),
        ("jsonb", pa.array(nested.JSONB)),
        ("json", pa.array(nested.JSONB)),
        ("_text", pa.array([nested.TRICKY, [], None], pa.large_list(pa.large_string()))),
        ("numeric", pa.array(MARKED_NUMERIC)),
        ("_numeric", pa.array([MARKED_NUMERIC[:4], None])),
        ("numeric", pa.array([Decimal("1.50"), Decimal("-0.01"), None], pa.decimal128(10, 2))),
        ("numeric", pa.array([Decimal("1E+3"), None], pa.decimal128(5, -2))),
        ("numeric", pa.array([Decimal(v) for v in ("1.5", "-1E-38", "123456789012")], pa.decimal256(76, 38))),
        ("numeric", pa.array([0, -(2**63), None], pa.int64())),
        ("int8", pa.array([1, -5, None], pa.int8())),
        ("int4", pa.array([2**31, None], pa.int64())),  # out of range: the same error both ways
        ("int2", pa.array([65535], pa.uint16())),
        ("text", pa.array(["a", "b", "a", None]).dictionary_encode()),
        ("text", pa.array([b"raw", None], pa.binary())),
        ("bool", pa.array([1, 0, None], pa.int8())),
        ("date", pa.array([dt.date(2024, 1, 2), None, dt.date(9999, 12, 31)], pa.date32()).cast(pa.int32())),
        # values neither encoder can send: the same error both ways
        ("jsonb", pa.array(['{"a": 1}', "{not json", None])),
        ("numeric", pa.array(["d:1.5:1", "not a number"])),
    ]  # fmt: skip
    return columns


def _same(encoder: ResultEncoder, batch: pa.RecordBatch) -> None:
    """encode() (rowwise for a small batch) equals the vectorised path, or both raise alike."""
    try:
        expected: bytes | tuple[str, str] = encoder.encode_vectorised(batch)
    except PgError as exc:
        expected = (exc.sqlstate, exc.message)
    try:
        actual: bytes | tuple[str, str] = encoder.encode(batch)
    except PgError as exc:
        actual = (exc.sqlstate, exc.message)
    assert actual == expected, (encoder.columns, encoder.formats, batch)


def _slices(batch: pa.RecordBatch) -> list[pa.RecordBatch]:
    ones = [batch.slice(i, 1) for i in range(batch.num_rows)]
    fulls = [batch.slice(i, SMALL_BATCH) for i in range(0, batch.num_rows, SMALL_BATCH)]
    return ones + fulls


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: f"{s.timezone}/{s.extra_float_digits}")
@pytest.mark.parametrize("fmt", [0, 1], ids=["text", "binary"])
def test_fixture_columns_encode_alike(settings: EncodeSettings, fmt: int) -> None:
    for pg_type, values in _fixture_columns():
        encoder = ResultEncoder([OutputColumn("x", PG_TYPES[pg_type])], [fmt], settings)
        for part in _slices(pa.RecordBatch.from_arrays([values], names=["x"])):
            _same(encoder, part)


@pytest.mark.parametrize("settings", SETTINGS[:2], ids=["utc", "new-york"])
def test_mixed_batch_in_mixed_formats_encodes_alike(settings: EncodeSettings) -> None:
    batch = mixed_batch(SMALL_BATCH)
    for formats in ([0], [1], [i % 2 for i in range(len(FIELDS))]):
        encoder = ResultEncoder(output_columns(FIELDS), formats, settings)
        for part in _slices(batch):
            _same(encoder, part)


def _demo_tables(demo_dir: Path) -> dict[str, tuple[list[Field], pa.Table]]:
    """Every demo table as the gateway reads it from the DuckDB backend."""
    backend = DuckDBBackend(DuckDBSettings(demo_dir / "warehouse.duckdb", read_only=True))

    async def read(table: str) -> tuple[list[Field], pa.Table]:
        sql = f"SELECT * FROM shop.{table} ORDER BY id LIMIT 64"
        result = await backend.execute(sql, [], JobOptions("pgbridge_t"))
        batches = [batch async for batch in result.batches()]
        return list(result.fields), pa.Table.from_batches(batches)

    async def read_all() -> dict[str, tuple[list[Field], pa.Table]]:
        try:
            return {t: await read(t) for t in ("customers", "products", "orders")}
        finally:
            await backend.close()

    return asyncio.run(read_all())


def test_demo_warehouse_encodes_alike_and_the_point_query_is_rowwise(demo_dir: Path) -> None:
    tables = _demo_tables(demo_dir)
    for (fields, table), settings, fmt in itertools.product(tables.values(), SETTINGS[:2], (0, 1)):
        encoder = ResultEncoder(output_columns(fields), [fmt], settings)
        for batch in table.to_batches(max_chunksize=SMALL_BATCH):
            for part in _slices(batch):
                _same(encoder, part)
    # Every column of the benchmark's point query (SELECT * FROM shop.products) has a
    # per-value encoder in both formats: none of them pays for the vectorised renderers.
    fields, table = tables["products"]
    for fmt in (0, 1):
        encoder = ResultEncoder(output_columns(fields), [fmt], EncodeSettings())
        uncovered = [
            f"{column.name} ({column.type.name}, {data.type})"
            for column, data in zip(encoder.columns, table.columns, strict=True)
            if encoder.rowwise.value_encoder(column.type, fmt, data.type) is None
        ]
        assert not uncovered, (fmt, uncovered)
