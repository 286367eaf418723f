"""Scalar types, text and binary, byte for byte against a real PostgreSQL 15."""

from __future__ import annotations

import math
import struct
import uuid
from decimal import Decimal

import numpy as np
import psycopg
import pyarrow as pa
import pytest

from pgbridge.encode import EncodeSettings
from pgbridge.wire.errors import PgError
from tests.encode.pgside import assert_same, ours, pg_column

INT8_EDGES = [0, 1, -1, 42, None, 2**63 - 1, -(2**63), 10**12, -999]
TEXT_EDGES = [
    "",
    "plain",
    None,
    "with space",
    'quote"d',
    "back\\slash",
    "ünïcødé ✓ 日本",
    "tab\tnew\nline",
    "NULL",
    "{braces}",
    "a,b",
    "emoji 🎉",
]
FLOAT_EDGES = [
    1e23,
    9.036366825210659e16,
    9007199254740993.0,
    0.0,
    -0.0,
    0.1,
    1.0,
    -1.5,
    100.0,
    1e15,
    1e16,
    1e20,
    1.2345678901234568e20,
    1e-4,
    1e-5,
    1e-7,
    123456789012345.6,
    999999999999999.9,
    5e-324,
    2.2250738585072014e-308,
    1.7976931348623157e308,
    math.inf,
    -math.inf,
    math.nan,
    None,
    1 / 3,
    2 / 3,
    1e22,
    1e21,
    0.3,
    12345.678,
]
NUMERIC_EDGES = [
    "0",
    "1",
    "-1",
    "123.45",
    "10",
    "0.000000001",
    "-0.000000001",
    "99999999999999999999999999999.999999999",
    "-99999999999999999999999999999.999999999",
    None,
    "10000",
    "0.0001",
    "1234.5678",
    "-5.5",
    "100000000.1",
    "0.1",
    "12345678901234567890.12345",
]
CASES: list[tuple[str, list[str | None], pa.Array]] = [
    ("int8", [None if v is None else str(v) for v in INT8_EDGES], pa.array(INT8_EDGES, pa.int64())),
    (
        "int4",
        ["0", "-2147483648", "2147483647", None, "7"],
        pa.array([0, -(2**31), 2**31 - 1, None, 7], pa.int32()),
    ),
    ("int2", ["0", "-32768", "32767", None], pa.array([0, -32768, 32767, None], pa.int64())),
    ("oid", ["0", "4294967295", None, "1259"], pa.array([0, 4294967295, None, 1259], pa.int64())),
    ("bool", ["t", "f", None], pa.array([True, False, None])),
    ("text", TEXT_EDGES, pa.array(TEXT_EDGES)),
    ("varchar", TEXT_EDGES, pa.array(TEXT_EDGES, pa.large_string())),
    ("name", ["pg_class", "", None, "Ünï"], pa.array(["pg_class", "", None, "Ünï"])),
    (
        "float8",
        [
            None if v is None else repr(v).replace("inf", "Infinity").replace("nan", "NaN")
            for v in FLOAT_EDGES
        ],
        pa.array(FLOAT_EDGES, pa.float64()),
    ),
    (
        "numeric",
        NUMERIC_EDGES,
        pa.array([None if v is None else Decimal(v) for v in NUMERIC_EDGES], pa.decimal128(38, 9)),
    ),
    (
        "uuid",
        ["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", None, "00000000-0000-0000-0000-000000000000"],
        pa.array(["A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", None, "00000000-0000-0000-0000-000000000000"]),
    ),
    ("char", ["a", "", None, "\\", " "], pa.array(["a", "", None, "\\", " "])),
]


@pytest.mark.parametrize("fmt", [0, 1], ids=["text", "binary"])
@pytest.mark.parametrize(("pg_type", "literals", "values"), CASES, ids=[c[0] for c in CASES])
def test_scalar_matches_postgres(
    pg: psycopg.Connection, pg_type: str, literals: list[str | None], values: pa.Array, fmt: int
) -> None:
    assert_same(pg_type, pg_column(pg, pg_type, literals, fmt), ours(pg_type, values, fmt), literals)


@pytest.mark.parametrize("fmt", [0, 1], ids=["text", "binary"])
def test_bytea_hex_and_escape(pg: psycopg.Connection, fmt: int) -> None:
    blobs = [b"", b"\x00\x01\xff", None, b"abc", b"back\\slash", b"\x7f\x80 ~", bytes(range(256))]
    literals = [None if b is None else "\\x" + b.hex() for b in blobs]
    values = pa.array(blobs, pa.binary())
    assert_same("bytea", pg_column(pg, "bytea", literals, fmt), ours("bytea", values, fmt), literals)
    pg.execute("SET bytea_output = 'escape'")
    try:
        expected = pg_column(pg, "bytea", literals, fmt)
    finally:
        pg.execute("SET bytea_output = 'hex'")
    assert_same(
        "bytea", expected, ours("bytea", values, fmt, EncodeSettings(bytea_output="escape")), literals
    )


def test_uuid_from_fixed_size_binary(pg: psycopg.Connection) -> None:
    ids = [uuid.UUID(int=i * 0x1234567890ABCDEF) for i in range(5)]
    literals: list[str | None] = [str(u) for u in ids]
    values = pa.array([u.bytes for u in ids], pa.binary(16))
    for fmt in (0, 1):
        assert_same("uuid", pg_column(pg, "uuid", literals, fmt), ours("uuid", values, fmt), literals)


@pytest.mark.parametrize("pg_type", ["float8", "float4"])
def test_random_floats_shortest_text(pg: psycopg.Connection, pg_type: str) -> None:
    rng = np.random.default_rng(7)
    dtype = np.float32 if pg_type == "float4" else np.float64
    bits = rng.integers(0, 2**62, 4000, dtype=np.int64)
    spread = (
        (bits.astype(np.uint32 if pg_type == "float4" else np.uint64)).view(dtype)
        if False
        else np.concatenate(
            [
                rng.standard_normal(2000) * 10.0 ** rng.integers(-30, 30, 2000),
                rng.integers(-(10**6), 10**6, 1000) / 100.0,
                10.0 ** rng.integers(-8, 22, 1000),
            ]
        ).astype(dtype)
    )
    values = [float(v) for v in spread if np.isfinite(v)]
    literals: list[str | None] = [
        repr(np.float32(v).item()) if pg_type == "float4" else repr(v) for v in values
    ]
    arrow = pa.array(values, pa.float32() if pg_type == "float4" else pa.float64())
    for fmt in (0, 1):
        assert_same(pg_type, pg_column(pg, pg_type, literals, fmt), ours(pg_type, arrow, fmt), literals)


@pytest.mark.parametrize("digits", [0, -3, -15])
def test_float_extra_float_digits_non_positive(pg: psycopg.Connection, digits: int) -> None:
    values = [0.1, 1 / 3, 1e20, -2.5e-10, math.nan, math.inf, None, 123456789.123]
    literals = [
        None if v is None else repr(v).replace("inf", "Infinity").replace("nan", "NaN") for v in values
    ]
    pg.execute(f"SET extra_float_digits = {digits}")
    try:
        expected8 = pg_column(pg, "float8", literals, 0)
        expected4 = pg_column(pg, "float4", literals, 0)
    finally:
        pg.execute("SET extra_float_digits = 1")
    settings = EncodeSettings(extra_float_digits=digits)
    assert_same("float8", expected8, ours("float8", pa.array(values, pa.float64()), 0, settings), literals)
    assert_same("float4", expected4, ours("float4", pa.array(values, pa.float32()), 0, settings), literals)


def test_numeric_binary_layout_of_known_value() -> None:
    # 123.45: one digit group before the point, dscale 2: ndigits 2, weight 0, sign +, dscale 2, 123, 4500
    raw = ours("numeric", pa.array([Decimal("123.450000000")], pa.decimal128(38, 9)), 1)[0]
    assert raw == struct.pack("!hhhhhh", 2, 0, 0, 2, 123, 4500)


def test_numeric_decimal256_and_integers(pg: psycopg.Connection) -> None:
    literals: list[str | None] = [
        "1.5",
        "-0.00000000000000000000000000000000000001",
        None,
        "12345678901234567890123",
    ]
    values = pa.array([None if v is None else Decimal(v) for v in literals], pa.decimal256(76, 38))
    for fmt in (0, 1):
        assert_same(
            "numeric", pg_column(pg, "numeric", literals, fmt), ours("numeric", values, fmt), literals
        )
    ints: list[str | None] = ["0", "-9223372036854775808", "9223372036854775807", None]
    arrow = pa.array([None if v is None else int(v) for v in ints], pa.int64())
    for fmt in (0, 1):
        assert_same("numeric", pg_column(pg, "numeric", ints, fmt), ours("numeric", arrow, fmt), ints)


@pytest.mark.parametrize("reg_type", ["regclass", "regtype", "regproc", "regnamespace"])
def test_reg_types_from_integers(pg: psycopg.Connection, reg_type: str) -> None:
    # OIDs that name nothing print as digits in PostgreSQL too, so both sides are comparable.
    oids = [987654, None, 4000000000, 0]
    literals = [None if o is None else str(o) for o in oids]
    for fmt in (0, 1):
        expected = pg_column(pg, f"oid::{reg_type}", literals, fmt)
        assert_same(reg_type, expected, ours(reg_type, pa.array(oids, pa.int64()), fmt), literals)


def test_reg_types_from_names_are_text_as_is() -> None:
    assert ours("regclass", pa.array(["pg_class", None]), 0) == [b"pg_class", None]
    with pytest.raises(PgError) as info:
        ours("regclass", pa.array(["pg_class"]), 1)
    assert info.value.sqlstate == "0A000"
