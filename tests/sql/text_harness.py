"""Byte-exact comparison: PostgreSQL's own text and binary output versus what the gateway sends.

The value harness (harness.py) compares decoded Python values, which cannot see a display
scale (2.50 vs 2.5), an interval's spelling or json's spacing. Here PostgreSQL's raw result
bytes (libpq, text or binary format) are compared with the bytes the gateway's encoder
renders from DuckDB's Arrow result of the translation, column type by column type, as the
gateway itself would: RowDescription's type from the translation's declared output type,
else from the backend's field type.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import psycopg
from psycopg import pq

from pgbridge.backends.duckdb import bigquery_type
from pgbridge.backends.duckdb_dialect import bigquery_to_duckdb
from pgbridge.encode.render import Renderers
from pgbridge.encode.settings import EncodeSettings
from pgbridge.sql.translate.pipeline import Translation
from pgbridge.typemap import pg_type_for
from tests.sql.fixtures import FixtureSchema
from tests.sql.harness import pipeline

# pgbridge reports every integer as int8 (BigQuery has one integer type): PostgreSQL's int2/int4
# (and their arrays) are accepted as int8 and int8[]; the values' text is the same.
_SAME_OID = {21: 20, 23: 20, 1005: 1016, 1007: 1016}


@dataclass(frozen=True)
class RawResult:
    oids: list[int]
    rows: list[list[bytes | None]]


def pg_raw(pg: psycopg.Connection, sql: str, binary: bool) -> RawResult:
    result = pg.pgconn.exec_params(sql.encode(), [], result_format=1 if binary else 0)
    if result.status != pq.ExecStatus.TUPLES_OK:
        raise AssertionError(f"PostgreSQL: {result.error_message.decode()} for {sql}")
    oids = [result.ftype(i) for i in range(result.nfields)]
    rows = [[result.get_value(r, c) for c in range(result.nfields)] for r in range(result.ntuples)]
    return RawResult(oids, rows)


def gateway_raw(
    duck: duckdb.DuckDBPyConnection, translation: Translation, binary: bool, timezone: str
) -> RawResult:
    relation = duck.sql(bigquery_to_duckdb(translation.sql))
    declared = list(translation.output_types)
    types = [declared[i] or bigquery_type(str(t)) for i, t in enumerate(relation.types)]
    table = relation.to_arrow_table()
    renderers = Renderers(EncodeSettings(timezone=timezone))
    columns = []
    oids = []
    for index, type_ in enumerate(types):
        pg_type = pg_type_for(type_)
        oids.append(pg_type.oid)
        render = renderers.binary if binary else renderers.text
        columns.append(render(pg_type, table.column(index)).to_pylist())
    rows = [[column[r] for column in columns] for r in range(table.num_rows)]
    return RawResult(oids, rows)


def check_exact(
    pg: psycopg.Connection,
    duck: duckdb.DuckDBPyConnection,
    schema: FixtureSchema,
    sql: str,
    timezone: str = "UTC",
    ordered: bool = True,
) -> Translation:
    """Same type OIDs and the same bytes, in text and in binary, row for row."""
    translation = pipeline(sql, schema, timezone=timezone)
    pg.execute(f"SET TimeZone = '{timezone}'")
    try:
        for binary in (False, True):
            expected = pg_raw(pg, sql, binary)
            actual = gateway_raw(duck, translation, binary, timezone)
            context = f"{'binary' if binary else 'text'}: {sql}\nBigQuery: {translation.sql}"
            assert [_SAME_OID.get(o, o) for o in expected.oids] == actual.oids, context
            left, right = expected.rows, actual.rows
            if binary:  # int2/int4 are sent as int8: their binary forms differ by width only
                left = _without_remapped(left, expected.oids)
                right = _without_remapped(right, expected.oids)
            if not ordered:
                left, right = sorted(left, key=repr), sorted(right, key=repr)
            assert left == right, f"{context}\nPostgreSQL {left}\npgbridge   {right}"
    finally:
        pg.execute("SET TimeZone = 'UTC'")
    return translation


def _without_remapped(rows: list[list[bytes | None]], oids: list[int]) -> list[list[bytes | None]]:
    return [[None if oids[i] in _SAME_OID else v for i, v in enumerate(row)] for row in rows]
