"""Arrays, json (from STRUCT), jsonb (from JSON text) and ranges against PostgreSQL 15."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import psycopg
import pyarrow as pa
import pytest

from pgbridge.encode import EncodeSettings
from tests.encode.pgside import assert_same, ours, pg_column, pg_rows

UTC = dt.UTC
TRICKY = [
    "",
    "plain",
    None,
    "with space",
    'quo"te',
    "back\\slash",
    "NULL",
    "null",
    "{br}",
    "a,b",
    "ünï",
    "tab\tx",
    "x\x0by",
]
ARRAYS: list[tuple[str, list[str | None], pa.Array]] = [
    (
        "_int8",
        ["{1,2,NULL}", "{}", None, "{-9223372036854775808}"],
        pa.array([[1, 2, None], [], None, [-(2**63)]], pa.list_(pa.int64())),
    ),
    (
        "_text",
        [
            "{"
            + ",".join(
                "NULL" if t is None else '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"'
                for t in TRICKY
            )
            + "}",
            "{}",
            None,
        ],
        pa.array([TRICKY, [], None], pa.list_(pa.string())),
    ),
    ("_float8", ["{0.1,NaN,-Infinity,1e+20,-0}"], pa.array([[0.1, float("nan"), float("-inf"), 1e20, -0.0]])),
    (
        "_numeric",
        ["{1.5,-0.000000001,10}"],
        pa.array([[Decimal("1.5"), Decimal("-0.000000001"), Decimal("10")]], pa.list_(pa.decimal128(38, 9))),
    ),
    ("_bool", ["{t,f,NULL}"], pa.array([[True, False, None]])),
    ("_bytea", ['{"\\\\x0001","\\\\x"}'], pa.array([[b"\x00\x01", b""]], pa.list_(pa.binary()))),
    ("_date", ["{2024-01-02,1960-05-06}"], pa.array([[dt.date(2024, 1, 2), dt.date(1960, 5, 6)]])),
    (
        "_timestamp",
        ['{"2024-01-02 03:04:05.5",NULL}'],
        pa.array([[dt.datetime(2024, 1, 2, 3, 4, 5, 500000), None]]),
    ),
    (
        "_timestamptz",
        ['{"2024-01-02 03:04:05+00"}'],
        pa.array([[dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)]], pa.list_(pa.timestamp("us", tz="UTC"))),
    ),
    (
        "_interval",
        ['{"1 day",NULL}'],
        pa.array([[pa.MonthDayNano([0, 1, 0]), None]], pa.list_(pa.month_day_nano_interval())),
    ),
    ("_jsonb", ['{"{\\"b\\": 1, \\"a\\": [1, 2]}",NULL}'], pa.array([['{"b":1,"a":[1,2]}', None]])),
    (
        "_uuid",
        ["{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}"],
        pa.array([["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"]]),
    ),
]


@pytest.mark.parametrize("fmt", [0, 1], ids=["text", "binary"])
@pytest.mark.parametrize(("pg_type", "literals", "values"), ARRAYS, ids=[c[0] for c in ARRAYS])
def test_arrays(
    pg: psycopg.Connection, pg_type: str, literals: list[str | None], values: pa.Array, fmt: int
) -> None:
    cast = pg_type[1:] + "[]"
    expected = pg_column(pg, cast, literals, fmt)
    assert_same(pg_type, expected, ours(pg_type, values, fmt), literals)


def test_array_of_large_list_and_sliced_input(pg: psycopg.Connection) -> None:
    values = pa.array([[9], [1, None], [3]], pa.large_list(pa.int32())).slice(1)
    expected = pg_column(pg, "int8[]", ["{1,NULL}", "{3}"], 1)
    assert ours("_int8", values, 1) == expected


JSONB = [
    '{"b": 1, "a": [1, 2]}',
    '{"aa":1,"b":2,"a":{"z":null,"y":true}}',
    "[]",
    "{}",
    '"str\\u00e9\\n"',
    "1e2",
    "1.50",
    "-0",
    "-0.0",
    '{"a":1,"a":2}',
    "12345678901234567890.000",
    "[1.0E-3, -2E+2, false]",
    '{"é":1,"e":2,"ee":3}',
    '"\\u001f tab\\t quote\\" slash\\/"',
    "null",
    None,
    "0.1e1",
]


@pytest.mark.parametrize("fmt", [0, 1], ids=["text", "binary"])
def test_jsonb_rerendered_like_postgres(pg: psycopg.Connection, fmt: int) -> None:
    assert_same("jsonb", pg_column(pg, "jsonb", JSONB, fmt), ours("jsonb", pa.array(JSONB), fmt), JSONB)


STRUCT_TYPE = pa.struct(
    [
        ("a", pa.int64()),
        ("b", pa.string()),
        ("c", pa.float64()),
        ("d", pa.bool_()),
        ("e", pa.list_(pa.int64())),
        ("f", pa.struct([("x", pa.timestamp("us", tz="UTC")), ("y", pa.date32())])),
        ("g", pa.decimal128(38, 9)),
        ("h", pa.binary()),
        ("i", pa.timestamp("us")),
    ]
)
STRUCTS = [
    {
        "a": 1,
        "b": 'q"uo\\te\n\x01',
        "c": 0.1,
        "d": True,
        "e": [1, None],
        "f": {"x": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), "y": dt.date(2024, 1, 2)},
        "g": Decimal("1.5"),
        "h": b"\x01\xff",
        "i": dt.datetime(2024, 1, 2),
    },
    {
        "a": None,
        "b": None,
        "c": float("nan"),
        "d": False,
        "e": [],
        "f": None,
        "g": Decimal("-10"),
        "h": None,
        "i": dt.datetime(1999, 12, 31, 23, 59, 59, 500000),
    },
    None,
]
PG_STRUCT_SQL = """
select to_json(t) from (values
 (1::int8, E'q"uo\\\\te\\n\\x01'::text, 0.1::float8, true, array[1,null]::int8[],
  (select s from (select '2024-01-02 03:04:05+00'::timestamptz as x, '2024-01-02'::date as y) s),
  1.5::numeric, '\\x01ff'::bytea, '2024-01-02'::timestamp),
 (null, null, 'NaN', false, '{}', null, -10, null, '1999-12-31 23:59:59.5')
) as t(a, b, c, d, e, f, g, h, i)
"""


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata"])
def test_struct_as_json_matches_to_json(pg: psycopg.Connection, zone: str) -> None:
    pg.execute(f"SET TimeZone = '{zone}'")
    try:
        expected = [row[0] for row in pg_rows(pg, PG_STRUCT_SQL)] + [None]
    finally:
        pg.execute("SET TimeZone = 'UTC'")
    values = pa.array(STRUCTS, STRUCT_TYPE)
    settings = EncodeSettings(timezone=zone)
    assert ours("json", values, 0, settings) == expected
    assert ours("json", values, 1, settings) == expected  # binary json is the same text


def test_json_field_marked_as_bigquery_json_is_embedded() -> None:
    field = pa.field("j", pa.string(), metadata={b"ARROW:extension:name": b"google:sqlType:json"})
    values = pa.array([{"j": '{"k":[1,2]}'}, {"j": None}], pa.struct([field]))
    assert ours("json", values, 0) == [b'{"j":{"k":[1,2]}}', b'{"j":null}']


def test_array_of_struct_is_json_array(pg: psycopg.Connection) -> None:
    values = pa.array(
        [[{"a": 1, "b": "x y"}, None]], pa.list_(pa.struct([("a", pa.int64()), ("b", pa.string())]))
    )
    expected = pg_column(pg, "json[]", ['{"{\\"a\\":1,\\"b\\":\\"x y\\"}",NULL}'], 0)
    assert ours("_json", values, 0) == expected


RANGES = [
    (
        "daterange",
        ["[2024-01-01,2024-02-01)", "[2024-01-01,)", "(,2024-02-01)", "(,)", "empty", None],
        pa.array(
            [
                {"s": dt.date(2024, 1, 1), "e": dt.date(2024, 2, 1)},
                {"s": dt.date(2024, 1, 1), "e": None},
                {"s": None, "e": dt.date(2024, 2, 1)},
                {"s": None, "e": None},
                {"s": dt.date(2024, 1, 1), "e": dt.date(2024, 1, 1)},
                None,
            ],
            pa.struct([("s", pa.date32()), ("e", pa.date32())]),
        ),
    ),
    (
        "tsrange",
        ['["2024-01-01 00:00:00","2024-02-01 12:30:00.5")', '["2024-01-01 00:00:00",)'],
        pa.array(
            [
                {"s": dt.datetime(2024, 1, 1), "e": dt.datetime(2024, 2, 1, 12, 30, 0, 500000)},
                {"s": dt.datetime(2024, 1, 1), "e": None},
            ],
            pa.struct([("s", pa.timestamp("us")), ("e", pa.timestamp("us"))]),
        ),
    ),
    (
        "tstzrange",
        ['["2024-01-01 00:00:00+00","2024-02-01 00:00:00+00")'],
        pa.array(
            [{"s": dt.datetime(2024, 1, 1, tzinfo=UTC), "e": dt.datetime(2024, 2, 1, tzinfo=UTC)}],
            pa.struct([("s", pa.timestamp("us", tz="UTC")), ("e", pa.timestamp("us", tz="UTC"))]),
        ),
    ),
]


@pytest.mark.parametrize("fmt", [0, 1], ids=["text", "binary"])
@pytest.mark.parametrize(("pg_type", "literals", "values"), RANGES, ids=[c[0] for c in RANGES])
def test_ranges(
    pg: psycopg.Connection, pg_type: str, literals: list[str | None], values: pa.Array, fmt: int
) -> None:
    assert_same(pg_type, pg_column(pg, pg_type, literals, fmt), ours(pg_type, values, fmt), literals)


def test_geography_is_wkt_text() -> None:
    assert ours("text", pa.array(["POINT(1 2)", None]), 0) == [b"POINT(1 2)", None]
