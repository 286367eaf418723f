"""jsonb and array behaviour beyond the differential corpus: where pgbridge errors at run time
rather than return what PostgreSQL would not, and the shape of the BigQuery SQL."""

from __future__ import annotations

import duckdb
import psycopg
import pytest

from pgbridge.backends.duckdb_dialect import bigquery_to_duckdb
from tests.sql.fixtures import FixtureSchema
from tests.sql.harness import pipeline


@pytest.mark.parametrize(
    "sql",
    ["select attrs->>'d' from products where id = 1", "select attrs->>'sizes' from products where id = 2"],
)
def test_text_of_a_json_object_or_array_errors_instead_of_differing(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str
) -> None:
    row = pg.execute(sql).fetchone()
    assert row is not None and isinstance(row[0], str) and row[0][:1] in "{["  # PostgreSQL: jsonb text
    translation = pipeline(sql, schema)
    with pytest.raises(duckdb.Error) as caught:
        duck.execute(bigquery_to_duckdb(translation.sql)).fetchall()
    assert "cannot return this json value as text exactly" in str(caught.value)


def test_json_operators_use_bigquery_json_functions(schema: FixtureSchema) -> None:
    sql = pipeline("select attrs->'d'->>'h', attrs->'sizes'->0 from products", schema).sql
    assert "JSON_VALUE(JSON_QUERY(`products`.`attrs`, '$.d'), '$.h')" in sql
    assert "JSON_QUERY(JSON_QUERY(`products`.`attrs`, '$.sizes'), '$[0]')" in sql
