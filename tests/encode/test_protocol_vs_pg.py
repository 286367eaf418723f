"""RowDescription, Bind format codes, COPY TO STDOUT and non-canonical Arrow input."""

from __future__ import annotations

import datetime as dt
import struct
from decimal import Decimal

import psycopg
import pyarrow as pa
import pytest

from pgbridge.backends.base import Field
from pgbridge.encode import CopyTextEncoder, EncodeSettings, ResultEncoder, output_columns, resolve_formats
from pgbridge.wire.errors import PgError
from tests.encode.pgside import ours, parse_datarows, pg_rows

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
    Field("g", "GEOGRAPHY"),
    Field("a", "ARRAY<STRING>"),
    Field("st", "STRUCT<x INT64>"),
    Field("r", "RANGE<DATE>"),
    Field("legacy", "INTEGER", mode="REPEATED"),
]
PG_EQUIVALENT = (
    "select 1::int8 i, 1::float8 f, 1::numeric n, true b, 'x'::text s, '\\x00'::bytea y, "
    "current_date d, localtimestamp dt, localtime::time t, now() ts, '{}'::jsonb j, "
    "'1 day'::interval iv, 'p'::text g, '{}'::text[] a, '{}'::json st, "
    "'empty'::daterange r, '{}'::int8[] legacy"
)


def _parse_row_description(message: bytes) -> list[tuple[bytes, int, int, int, int, int, int]]:
    assert message[:1] == b"T" and struct.unpack("!i", message[1:5])[0] == len(message) - 1
    (count,) = struct.unpack("!h", message[5:7])
    pos, fields = 7, []
    for _ in range(count):
        end = message.index(b"\x00", pos)
        name = message[pos:end]
        fields.append((name, *struct.unpack("!ihihih", message[end + 1 : end + 19])))
        pos = end + 19
    assert pos == len(message)
    return fields


@pytest.mark.parametrize("fmt", [0, 1])
def test_row_description_matches_postgres(pg: psycopg.Connection, fmt: int) -> None:
    res = pg.pgconn.exec_params(PG_EQUIVALENT.encode(), [], result_format=fmt)
    expected = [
        (res.fname(i), 0, 0, res.ftype(i), res.fsize(i), res.fmod(i), res.fformat(i))
        for i in range(res.nfields)
    ]
    encoder = ResultEncoder(output_columns(FIELDS), [fmt], EncodeSettings())
    assert _parse_row_description(encoder.row_description()) == expected


def test_resolve_formats_follows_bind() -> None:
    assert resolve_formats([], 3) == [0, 0, 0]
    assert resolve_formats([1], 3) == [1, 1, 1]
    assert resolve_formats([0, 1, 0], 3) == [0, 1, 0]
    for bad in ([0, 1], [2], [0, 0, 7]):
        with pytest.raises(PgError) as info:
            resolve_formats(bad, 3)
        assert info.value.sqlstate == "08P01"


def test_unmappable_bigquery_type_is_refused() -> None:
    with pytest.raises(PgError) as info:
        output_columns([Field("x", "FROBNICATE")])
    assert info.value.sqlstate == "0A000" and '"x"' in info.value.message


def test_bad_timezone_and_settings_are_refused() -> None:
    for make in (
        lambda: ResultEncoder([], [], EncodeSettings(timezone="Mars/Olympus")),
        lambda: EncodeSettings(bytea_output="base64"),
        lambda: EncodeSettings(extra_float_digits=9),
    ):
        with pytest.raises(PgError) as info:
            make()
        assert info.value.sqlstate == "22023"


def test_out_of_range_integer_fails_like_postgres() -> None:
    with pytest.raises(PgError) as info:
        ours("int2", pa.array([70000]), 0)
    assert info.value.sqlstate == "22003" and "smallint out of range" in info.value.message


def test_wrong_arrow_type_names_the_column() -> None:
    with pytest.raises(PgError) as info:
        ours("date", pa.array(["not a date"]), 0)
    assert info.value.sqlstate == "42804" and '"x"' in info.value.message


def test_non_canonical_arrow_inputs_render_the_same() -> None:
    base = ours("int8", pa.array([1, None, -5], pa.int64()), 0)
    assert ours("int8", pa.array([1, None, -5], pa.int8()), 0) == base
    assert ours("int8", pa.array([7, 1, None, -5]).slice(1), 0) == base
    encoder = ResultEncoder(output_columns([Field("x", "INT64")]), [0], EncodeSettings())
    chunked = pa.table({"x": pa.chunked_array([[1], [None, -5]])})
    assert [r[0] for r in parse_datarows(encoder.encode(chunked))] == base
    text = ours("text", pa.array(["a", "b", "a", None]).dictionary_encode(), 0)
    assert text == [b"a", b"b", b"a", None]
    scaled = ours("numeric", pa.array([Decimal("1.50")], pa.decimal128(10, 2)), 0)
    assert scaled == [b"1.5"]
    nanos = ours(
        "timestamptz", pa.array([dt.datetime(2024, 1, 2, 3, 4, 5, 123456)], pa.timestamp("ns", tz="UTC")), 0
    )
    assert nanos == [b"2024-01-02 03:04:05.123456+00"]


def test_empty_batch_and_zero_columns() -> None:
    encoder = ResultEncoder(output_columns([Field("i", "INT64")]), [], EncodeSettings())
    assert encoder.encode(pa.RecordBatch.from_arrays([pa.array([], pa.int64())], names=["i"])) == b""
    no_columns = ResultEncoder([], [], EncodeSettings())
    two_rows = pa.RecordBatch.from_pydict({"x": [1, 2]}).drop_columns(["x"])
    assert two_rows.num_rows == 2
    assert parse_datarows(no_columns.encode(two_rows)) == [[], []]


COPY_COLUMNS = [
    Field("id", "INT64"),
    Field("s", "STRING"),
    Field("ts", "TIMESTAMP"),
    Field("a", "ARRAY<STRING>"),
]
COPY_ROWS = {
    "id": [1, 2, 3, None],
    "s": ["plain", "tab\there, new\nline \\ back", "", None],
    "ts": [
        dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        None,
        dt.datetime(1960, 1, 1, tzinfo=dt.UTC),
        None,
    ],
    "a": [["x", "y z"], [], None, ['q"', None]],
}
COPY_SQL = (
    "select * from (values"
    " (1::int8, 'plain'::text, '2024-01-02 03:04:05+00'::timestamptz, '{x,\"y z\"}'::text[]),"
    " (2, E'tab\\there, new\\nline \\\\ back', null, '{}'), (3, '', '1960-01-01+00', null),"
    ' (null, null, null, \'{"q\\"",NULL}\')) as t(id, s, ts, a)'
)


@pytest.mark.parametrize(
    ("options", "kwargs"),
    [
        ("", {}),
        ("(FORMAT csv)", {"csv": True}),
        ("(FORMAT csv, HEADER)", {"csv": True, "header": True}),
        (
            "(FORMAT text, HEADER, DELIMITER '|', NULL 'nil')",
            {"header": True, "delimiter": "|", "null": "nil"},
        ),
        ("(FORMAT csv, DELIMITER ';', NULL 'plain')", {"csv": True, "delimiter": ";", "null": "plain"}),
    ],
)
def test_copy_to_stdout_matches_postgres(
    pg: psycopg.Connection, options: str, kwargs: dict[str, object]
) -> None:
    with pg.cursor() as cur, cur.copy(f"COPY ({COPY_SQL}) TO STDOUT {options}") as copy:
        expected = b"".join(bytes(chunk) for chunk in copy)
    encoder = CopyTextEncoder(output_columns(COPY_COLUMNS), EncodeSettings(), **kwargs)  # type: ignore[arg-type]
    batch = pa.RecordBatch.from_pydict(
        COPY_ROWS,
        schema=pa.schema(
            [
                ("id", pa.int64()),
                ("s", pa.string()),
                ("ts", pa.timestamp("us", tz="UTC")),
                ("a", pa.list_(pa.string())),
            ]
        ),
    )
    messages = encoder.encode(batch)
    payload, pos = b"", 0
    while pos < len(messages):  # one CopyData per line
        assert messages[pos : pos + 1] == b"d"
        (length,) = struct.unpack("!i", messages[pos + 1 : pos + 5])
        payload += messages[pos + 5 : pos + 1 + length]
        pos += 1 + length
    assert payload == expected
    assert encoder.copy_out_response() == b"H" + struct.pack("!ibh4h", 4 + 1 + 2 + 8, 0, 4, 0, 0, 0, 0)


def test_rows_of_many_columns_and_both_formats(pg: psycopg.Connection) -> None:
    sql = "select i::int8, 'v' || i, i / 7.0::float8, i % 2 = 0 from generate_series(1, 300) i"
    batch = pa.RecordBatch.from_pydict(
        {
            "a": list(range(1, 301)),
            "b": [f"v{i}" for i in range(1, 301)],
            "c": [i / 7.0 for i in range(1, 301)],
            "d": [i % 2 == 0 for i in range(1, 301)],
        }
    )
    columns = output_columns(
        [Field("a", "INT64"), Field("b", "STRING"), Field("c", "FLOAT64"), Field("d", "BOOL")]
    )
    for formats in ([0], [1], [1, 0, 1, 0]):
        pg_fmt = formats[0]
        encoder = ResultEncoder(columns, formats, EncodeSettings())
        got = parse_datarows(encoder.encode(batch))
        if len(formats) == 1:
            assert got == pg_rows(pg, sql, fmt=pg_fmt)
        else:
            text, binary = pg_rows(pg, sql, fmt=0), pg_rows(pg, sql, fmt=1)
            assert got == [[b[0], t[1], b[2], t[3]] for t, b in zip(text, binary, strict=True)]
