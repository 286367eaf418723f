"""Test helpers: ask the real PostgreSQL for its raw value bytes, and read our DataRow bytes back."""

from __future__ import annotations

import struct
from collections.abc import Sequence

import psycopg
import pyarrow as pa

from pgbridge.encode import EncodeSettings, ResultEncoder
from pgbridge.typemap import PG_TYPES, OutputColumn

Value = bytes | None


def array_literal(items: Sequence[str | None]) -> str:
    """A PostgreSQL text[] literal with every element quoted."""

    def one(item: str | None) -> str:
        if item is None:
            return "NULL"
        return '"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return "{" + ",".join(one(i) for i in items) + "}"


def pg_rows(
    conn: psycopg.Connection, sql: str, params: Sequence[str] = (), fmt: int = 0
) -> list[list[Value]]:
    """Raw per-value bytes of a query's result, as PostgreSQL sends them in `fmt`."""
    res = conn.pgconn.exec_params(sql.encode(), [p.encode() for p in params], result_format=fmt)
    if res.status != 2:  # PGRES_TUPLES_OK
        raise AssertionError((res.error_message or b"").decode())
    return [[res.get_value(r, c) for c in range(res.nfields)] for r in range(res.ntuples)]


def pg_column(
    conn: psycopg.Connection, pg_type: str, literals: Sequence[str | None], fmt: int
) -> list[Value]:
    """PostgreSQL's bytes for each text literal cast to `pg_type` (NULL stays NULL)."""
    cast = '"char"' if pg_type == "char" else pg_type  # bare char is bpchar(1)
    sql = f"select x::{cast} from unnest($1::text[]) with ordinality as t(x, i) order by i"
    return [row[0] for row in pg_rows(conn, sql, [array_literal(literals)], fmt)]


def parse_datarows(data: bytes) -> list[list[Value]]:
    """Split concatenated DataRow messages into their field values, checking every length."""
    rows: list[list[Value]] = []
    pos = 0
    while pos < len(data):
        tag, length = data[pos : pos + 1], struct.unpack("!i", data[pos + 1 : pos + 5])[0]
        assert tag == b"D", f"expected DataRow at {pos}, got {tag!r}"
        end = pos + 1 + length
        (count,) = struct.unpack("!h", data[pos + 5 : pos + 7])
        cursor, row = pos + 7, []
        for _ in range(count):
            (size,) = struct.unpack("!i", data[cursor : cursor + 4])
            cursor += 4
            row.append(None if size == -1 else data[cursor : cursor + size])
            cursor += max(size, 0)
        assert cursor == end, f"DataRow length {length} does not match its fields"
        rows.append(row)
        pos = end
    return rows


def ours(pg_type: str, values: pa.Array, fmt: int, settings: EncodeSettings | None = None) -> list[Value]:
    """Our bytes for one Arrow column announced as `pg_type`."""
    column = OutputColumn("x", PG_TYPES[pg_type])
    encoder = ResultEncoder([column], [fmt], settings or EncodeSettings())
    batch = pa.RecordBatch.from_arrays([values], names=["x"])
    return [row[0] for row in parse_datarows(encoder.encode(batch))]


def assert_same(pg_type: str, expected: list[Value], actual: list[Value], literals: Sequence[object]) -> None:
    assert len(expected) == len(actual)
    bad = [(lit, e, a) for lit, e, a in zip(literals, expected, actual, strict=True) if e != a]
    assert not bad, (
        f"{pg_type}: {len(bad)} differ, first: literal={bad[0][0]!r} pg={bad[0][1]!r} ours={bad[0][2]!r}"
    )
