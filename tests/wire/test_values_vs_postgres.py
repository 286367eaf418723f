"""values.py held to a real PostgreSQL 15, byte for byte.

For each type, edge values go to the server as text literals (`SELECT $1::type`); the server's
own text and binary output must equal encode_text / encode_binary of the Python value, and
decode_param must read both back to that value. A second table of input spellings checks our
parser against the server's: parse-then-print on our side must equal the server's output.
A third lists input the server rejects; we must reject it too, with the same SQLSTATE.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal

import psycopg
import pytest
from psycopg import pq

from pgbridge.typemap import PG_TYPES
from pgbridge.wire.errors import PgError
from pgbridge.wire.values import Interval, decode_param, encode_binary, encode_text
from tests.support.postgres import PostgresServer

UTC = UTC


def f32(text: str) -> float:
    return float(struct.unpack("!f", struct.pack("!f", float(text)))[0])


D = Decimal

# (type, literal sent to Postgres, the Python value it means)
VALUE_CASES: list[tuple[str, str, object]] = [
    *[("int2", str(v), v) for v in (0, 1, -1, 32767, -32768)],
    *[("int4", str(v), v) for v in (0, 42, -2147483648, 2147483647)],
    *[("int8", str(v), v) for v in (0, -9223372036854775808, 9223372036854775807, 1234567890123)],
    *[("oid", str(v), v) for v in (0, 1, 2147483648, 4294967295)],
    *[
        ("float4", text, f32(text))
        for text in (
            "0",
            "-0",
            "1.5",
            "0.1",
            "123456",
            "1234567",
            "999999",
            "1e6",
            "0.0001",
            "1e-5",
            "3.4028235e38",
            "1e-45",
            "1.17549435e-38",
            "16777217",
            "3.1415927",
            "1e20",
            "-2.5e-10",
            "NaN",
            "Infinity",
            "-Infinity",
            "0.3",
            "7",
            "1.0000001",
            "8388607.5",
            "2e-40",
        )
    ],
    *[
        ("float8", text, float(text))
        for text in (
            "0",
            "-0",
            "0.1",
            "1e15",
            "1e16",
            "123456789012345",
            "1234567890123456",
            "1e-5",
            "0.0001",
            "1.5e-7",
            "5e-324",
            "1.7976931348623157e308",
            "2.2250738585072014e-308",
            "NaN",
            "Infinity",
            "-Infinity",
            "3.141592653589793",
            "100",
            "1e22",
            "-1.5e300",
            "0.30000000000000004",
            "123.456",
            "-0.001",
            "999999999999999",
            "1e-4",
        )
    ],
    *[
        ("numeric", text, D(text))
        for text in (
            "0",
            "0.00",
            "12345.678",
            "-1",
            "1000",
            "0.0001",
            "0.00000001",
            "-0.5",
            "10000",
            "9999.9999",
            "123456789012345678901234567890.123456789",
            "0.00000000000000000001",
            "100000000",
            "0.10",
            "NaN",
            "Infinity",
            "-Infinity",
            "99999999999999999999999999999999999999",
            "1.000000001",
            "-123456789.987654321",
            "20000.0002",
            "0.5",
        )
    ],
    ("bool", "true", True),
    ("bool", "false", False),
    *[
        (t, text, text)
        for t in ("text", "varchar", "bpchar", "name")
        for text in (
            "",
            "hello",
            "with space",
            "ünïcødé ✓",
            'quote " and \\ backslash',
            "NULL",
            "tab\tnew\nline",
        )
    ],
    ("char", "a", "a"),
    ("char", "", ""),
    *[("bytea", "\\x" + raw.hex(), raw) for raw in (b"", b"\x00", b"abc", bytes(range(256)), b"\\\"'")],
    *[
        ("date", text, value)
        for text, value in (
            ("2024-01-02", date(2024, 1, 2)),
            ("0001-01-01", date(1, 1, 1)),
            ("9999-12-31", date(9999, 12, 31)),
            ("2000-01-01", date(2000, 1, 1)),
            ("1999-12-31", date(1999, 12, 31)),
            ("2024-02-29", date(2024, 2, 29)),
            ("1970-01-01", date(1970, 1, 1)),
        )
    ],
    *[
        ("time", text, value)
        for text, value in (
            ("00:00:00", time(0)),
            ("23:59:59.999999", time(23, 59, 59, 999999)),
            ("04:05:06.7", time(4, 5, 6, 700000)),
            ("12:00:00.000001", time(12, 0, 0, 1)),
            ("13:14:15.12", time(13, 14, 15, 120000)),
        )
    ],
    *[
        ("timestamp", text, value)
        for text, value in (
            ("2024-01-02 03:04:05", datetime(2024, 1, 2, 3, 4, 5)),
            ("2024-02-29 12:00:00.000001", datetime(2024, 2, 29, 12, 0, 0, 1)),
            ("0001-01-01 00:00:00", datetime(1, 1, 1)),
            ("9999-12-31 23:59:59.999999", datetime(9999, 12, 31, 23, 59, 59, 999999)),
            ("2000-01-01 00:00:00", datetime(2000, 1, 1)),
            ("1969-12-31 23:59:59.5", datetime(1969, 12, 31, 23, 59, 59, 500000)),
        )
    ],
    *[
        ("timestamptz", text, value)
        for text, value in (
            ("2024-01-02 03:04:05+00", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
            ("2024-01-02 03:04:05.123+02", datetime(2024, 1, 2, 1, 4, 5, 123000, tzinfo=UTC)),
            ("1970-01-01 00:00:00+00", datetime(1970, 1, 1, tzinfo=UTC)),
            ("0001-01-01 00:00:00+00", datetime(1, 1, 1, tzinfo=UTC)),
            ("9999-12-31 23:59:59.999999+00", datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
            ("1999-12-31 23:59:59.000001-08", datetime(2000, 1, 1, 7, 59, 59, 1, tzinfo=UTC)),
        )
    ],
    *[
        ("interval", text, value)
        for text, value in (
            ("00:00:00", Interval(0, 0, 0)),
            ("1 year 2 mons 3 days 04:05:06.7", Interval(14, 3, 14706700000)),
            ("-1 years -2 mons +3 days -04:05:06", Interval(-14, 3, -14706000000)),
            ("1 day -00:00:00.5", Interval(0, 1, -500000)),
            ("-00:00:00.000001", Interval(0, 0, -1)),
            ("1 mon -1 days", Interval(1, -1, 0)),
            ("-1 days +01:00:00", Interval(0, -1, 3600000000)),
            ("178956970 years 7 mons", Interval(2147483647, 0, 0)),
            ("123:45:00", Interval(0, 0, 445500000000)),
            ("1 year", Interval(12, 0, 0)),
            ("-1 mons", Interval(-1, 0, 0)),
            ("7 days 00:00:00.000001", Interval(0, 7, 1)),
            ("-2 years +1 mon", Interval(-23, 0, 0)),
            ("1 day", Interval(0, 1, 0)),
        )
    ],
    ("json", '{"b":1, "a" : [1.0,2e2]}', '{"b":1, "a" : [1.0,2e2]}'),
    ("json", "null", "null"),
    (
        "jsonb",
        '{"a": [1.0, 200, 0], "b": 1, "aa": "x\\u0001"}',
        '{"a": [1.0, 200, 0], "b": 1, "aa": "x\\u0001"}',
    ),
    ("jsonb", '"ünï\\"code"', '"ünï\\"code"'),
    ("jsonb", "[]", "[]"),
    ("jsonb", "{}", "{}"),
    (
        "jsonb",
        "[true, false, null, -0.001, 12345678901234567890]",
        "[true, false, null, -0.001, 12345678901234567890]",
    ),
    ("uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
    ("uuid", "00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000000"),
]

# (type, input spelling): our parse-then-print must equal the server's output for it.
INPUT_SPELLINGS: list[tuple[str, str]] = [
    ("int4", "  12 "),
    ("int8", "+12"),
    ("int2", "-0"),
    ("oid", "-1"),
    ("float8", " 1.5 "),
    ("float8", "inf"),
    ("float8", "-INFINITY"),
    ("float8", "nan"),
    ("float8", ".5"),
    ("float8", "5."),
    ("float8", "1E3"),
    ("float4", "1.00000001"),
    ("float4", "-inf"),
    ("float8", "4.9e-324"),
    ("numeric", " 1e3 "),
    ("numeric", "-0.0"),
    ("numeric", ".5"),
    ("numeric", "1.5E-3"),
    ("numeric", "nan"),
    ("numeric", "+inf"),
    ("numeric", "-infinity"),
    ("numeric", "0e5"),
    ("numeric", "00012.3400"),
    *[("bool", w) for w in ("t", "TRUE", " yes ", "y", "on", "1", "f", "fal", "No", "off", "of", "0")],
    ("bytea", "\\x01FF"),
    ("bytea", "\\x 01 ff"),
    ("bytea", "abc\\\\d\\001"),
    ("bytea", "plain"),
    ("bytea", "\\\\"),
    ("bytea", "é"),
    ("char", "\\101"),
    ("char", "ab"),
    ("name", "x" * 70),
    ("date", "2024-1-2"),
    ("date", " 2024-01-02 "),
    ("date", "epoch"),
    ("date", "2024-01-02 13:14:15"),
    ("time", "04:05"),
    ("time", "04:05:06.1234567"),
    ("time", "23:59:59.9999994"),
    ("time", "1:2:3"),
    ("timestamp", "2024-01-02T03:04:05"),
    ("timestamp", "2024-01-02"),
    ("timestamp", "2024-01-02 03:04:05+05"),
    ("timestamp", "2024-12-31 23:59:59.9999996"),
    ("timestamp", "epoch"),
    ("timestamp", "2024-01-02 03:04:05 AD"),
    ("timestamptz", "2024-01-02 03:04:05"),
    ("timestamptz", "2024-01-02T03:04:05Z"),
    ("timestamptz", "2024-01-02 03:04:05 America/New_York"),
    ("timestamptz", "2024-07-02 03:04:05 Europe/Paris"),
    ("timestamptz", "2024-01-02 03:04:05+05:30:15"),
    ("timestamptz", "2024-01-02 03:04:05.5-0330"),
    ("timestamptz", "2024-01-02 03:04:05 UTC"),
    ("timestamptz", "epoch"),
    ("timestamptz", "2024-01-02 03:04:05+530"),
    ("interval", "1.5 years"),
    ("interval", "-0.5 days"),
    ("interval", "@ 1 hour ago"),
    ("interval", "PT1.5H"),
    ("interval", "P1Y2M3DT4H5M6.5S"),
    ("interval", "1-2"),
    ("interval", "3 4:05:06"),
    ("interval", "1 week 1 microsecond"),
    ("interval", "5"),
    ("interval", "1:2"),
    ("interval", "2 hours 30 minutes"),
    ("interval", "1.5 months"),
    ("interval", "10 secs 5 ms"),
    ("interval", "1 decade 1 century"),
    ("interval", "P1W"),
    ("interval", "P-1Y"),
    ("interval", "-1 day -1 hour ago"),
    ("interval", "1.25 weeks"),
    ("interval", "1 mon 2 days ago"),
    ("interval", "0.000001 seconds"),
    ("interval", "1 yr 2 mons 3 d 4 hrs 5 mins 6 secs"),
    ("jsonb", '{"b": 1, "a": 2, "b": 3}'),
    ("jsonb", " [1e2, -0, 1.50, 0.0001E-2] "),
    ("jsonb", '{"long key": {}, "k": []}'),
    ("json", ' {"a" :1} '),
    ("uuid", "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"),
    ("uuid", "{a0eebc999c0b4ef8bb6d6bb9bd380a11}"),
    ("uuid", "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11"),
    ("int4[]", " {1, 2 , 3 } "),
    ("text[]", '{a\\"b}'),
    ("text[]", '{"a b",NULL, null }'),
    ("text[]", "{}"),
    ("text[]", '{ "NULL" , "" }'),
    ("text[]", "{a b,c\\,d}"),
    ("bytea[]", '{"\\\\x0102",NULL}'),
    ("float8[]", "{NaN,-Infinity,1.5}"),
    ("numeric[]", "{1.50,NaN}"),
    ("timestamptz[]", '{"2024-01-02 03:04:05+02"}'),
    ("interval[]", '{"1 day",-00:00:01}'),
    ("jsonb[]", '{"{\\"b\\":1,\\"a\\":2}"}'),
    ("bool[]", "{t,f,NULL}"),
    ("date[]", "{2024-01-02}"),
    ("uuid[]", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}"),
    ("varchar[]", '{"\\\\"}'),
]

# (type, input) the server rejects; we must reject it with the same SQLSTATE.
REJECTED: list[tuple[str, str]] = [
    ("int2", "32768"),
    ("int4", "2147483648"),
    ("int4", "12abc"),
    ("int4", ""),
    ("int4", "1.5"),
    ("int8", "1_000"),
    ("int8", "99999999999999999999"),
    ("float8", "1e400"),
    ("float8", "1e-400"),
    ("float8", "abc"),
    ("float4", "1e39"),
    ("float4", "1e-50"),
    ("float8", "1,5"),
    ("numeric", "1.2.3"),
    ("numeric", "1e"),
    ("numeric", "abc"),
    ("bool", "maybe"),
    ("bool", "o"),
    ("bool", ""),
    ("bytea", "\\x0"),
    ("bytea", "\\xzz"),
    ("bytea", "a\\b"),
    ("bytea", "\\400"),
    ("date", "2024-02-30"),
    ("date", "2024-13-01"),
    ("date", "garbage"),
    ("time", "25:00:00"),
    ("time", "12:60:00"),
    ("timestamp", "2024-01-02 24:00:01"),
    ("timestamp", "nope"),
    ("timestamptz", "2024-01-02 03:04:05 Mars/Base"),
    ("interval", "1 fortnight"),
    ("interval", "P1X"),
    ("interval", "abc"),
    ("interval", ""),
    ("json", "{bad}"),
    ("json", "NaN"),
    ("json", "[1,]"),
    ("jsonb", "{'a':1}"),
    ("uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1"),
    ("uuid", "a0eebc999c0b4ef8bb6d6bb9bd380a11f"),
    ("uuid", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
    ("int4[]", "{1,2"),
    ("int4[]", "1,2"),
    ("int4[]", "{1,,2}"),
    ("int4[]", "{1,x}"),
    ("text[]", '{"a"b}'),
    ("int4[]", "{1,2,}"),
]


def oid_of(type_name: str) -> int:
    if type_name.endswith("[]"):
        return PG_TYPES[type_name[:-2]].array_oid
    return PG_TYPES[type_name].oid


def cast_of(type_name: str) -> str:
    return type_name.replace("char", '"char"') if type_name.startswith("char") else type_name


def canon(value: object) -> object:
    """A form where NaN equals NaN, -0.0 differs from 0.0, and Decimal keeps its scale."""
    if isinstance(value, float):
        return ("float", repr(value))
    if isinstance(value, Decimal):
        return ("decimal", str(value))
    if isinstance(value, datetime):
        return ("datetime", value.isoformat())
    if isinstance(value, list):
        return [canon(v) for v in value]
    return value


class Server:
    def __init__(self, conn: psycopg.Connection) -> None:
        self.pgconn = conn.pgconn

    def run(self, sql: str, params: list[bytes | None], result_format: int) -> pq.abc.PGresult:
        return self.pgconn.exec_params(sql.encode(), params, None, None, result_format)

    def cast(self, type_name: str, literal: str) -> tuple[bytes, bytes]:
        sql = f"SELECT $1::{cast_of(type_name)}"
        text_res = self.run(sql, [literal.encode()], 0)
        assert text_res.status == pq.ExecStatus.TUPLES_OK, text_res.error_message
        binary_res = self.run(sql, [literal.encode()], 1)
        text, binary = text_res.get_value(0, 0), binary_res.get_value(0, 0)
        assert text is not None and binary is not None
        return bytes(text), bytes(binary)


@pytest.fixture(scope="module")
def server(postgres: PostgresServer) -> Iterator[Server]:
    with psycopg.connect(postgres.dsn, autocommit=True) as conn:
        settings = {
            name: conn.execute(f"SHOW {name}").fetchone()[0]  # type: ignore[index]
            for name in ("DateStyle", "IntervalStyle", "extra_float_digits", "TimeZone", "bytea_output")
        }
        assert settings == {
            "DateStyle": "ISO, MDY",
            "IntervalStyle": "postgres",
            "extra_float_digits": "1",
            "TimeZone": "UTC",
            "bytea_output": "hex",
        }
        yield Server(conn)


def check_value(server: Server, type_name: str, literal: str, value: object) -> None:
    oid = oid_of(type_name)
    pg_text, pg_binary = server.cast(type_name, literal)
    assert encode_text(oid, value) == pg_text, (type_name, literal)
    assert encode_binary(oid, value) == pg_binary, (type_name, literal)
    assert canon(decode_param(oid, 0, pg_text)) == canon(value), (type_name, literal)
    assert canon(decode_param(oid, 1, pg_binary)) == canon(value), (type_name, literal)


def test_scalar_values_match_postgres(server: Server) -> None:
    for type_name, literal, value in VALUE_CASES:
        check_value(server, type_name, literal, value)


def test_arrays_of_every_type_match_postgres(server: Server) -> None:
    by_type: dict[str, list[tuple[str, object]]] = {}
    for type_name, literal, value in VALUE_CASES:
        by_type.setdefault(type_name, []).append((literal, value))
    for type_name, cases in by_type.items():
        literals = [literal for literal, _ in cases] + [None]
        values = [value for _, value in cases] + [None]
        placeholders = ", ".join(f"${i + 1}::{cast_of(type_name)}" for i in range(len(literals)))
        sql = f"SELECT ARRAY[{placeholders}]"
        params = [None if x is None else x.encode() for x in literals]
        text, binary = (server.run(sql, params, fmt).get_value(0, 0) for fmt in (0, 1))
        oid = oid_of(type_name + "[]")
        assert encode_text(oid, values) == text, type_name
        assert encode_binary(oid, values) == binary, type_name
        assert canon(decode_param(oid, 0, bytes(text or b""))) == canon(values), type_name
        assert canon(decode_param(oid, 1, bytes(binary or b""))) == canon(values), type_name
        empty = server.run(f"SELECT '{{}}'::{cast_of(type_name)}[]", [], 1).get_value(0, 0)
        assert encode_binary(oid, []) == empty and encode_text(oid, []) == b"{}"


def test_input_spellings_parse_like_postgres(server: Server) -> None:
    for type_name, literal in INPUT_SPELLINGS:
        oid = oid_of(type_name)
        pg_text, pg_binary = server.cast(type_name, literal)
        ours = decode_param(oid, 0, literal.encode())
        assert encode_text(oid, ours) == pg_text, (type_name, literal)
        if "json" not in type_name:  # json keeps its spelling; jsonb was compared as text above
            assert canon(decode_param(oid, 1, pg_binary)) == canon(ours), (type_name, literal)


def test_rejected_input_matches_postgres_sqlstate(server: Server) -> None:
    for type_name, literal in REJECTED:
        res = server.run(f"SELECT $1::{cast_of(type_name)}", [literal.encode()], 0)
        assert res.status == pq.ExecStatus.FATAL_ERROR, (type_name, literal)
        pg_state = (res.error_field(pq.DiagnosticField.SQLSTATE) or b"").decode()
        with pytest.raises(PgError) as info:
            decode_param(oid_of(type_name), 0, literal.encode(), index=3)
        assert info.value.sqlstate == pg_state, (type_name, literal, info.value.message)
        assert "(parameter $3)" in info.value.message


def test_binary_params_postgres_accepts_decode_the_same(server: Server) -> None:
    """Send our binary encoding to the server as a binary parameter: it must read the same value."""
    for type_name, literal, value in VALUE_CASES:
        oid = oid_of(type_name)
        res = server.pgconn.exec_params(
            f"SELECT $1::{cast_of(type_name)}".encode(), [encode_binary(oid, value)], [oid], [1], 0
        )
        assert res.status == pq.ExecStatus.TUPLES_OK, (type_name, literal, res.error_message)
        assert res.get_value(0, 0) == encode_text(oid, value), (type_name, literal)


def test_array_bounds_are_dropped() -> None:
    # BigQuery arrays have no lower bound; Postgres would print [0:1]={1,2}.
    assert decode_param(oid_of("int4[]"), 0, b"[0:1]={1,2}") == [1, 2]
