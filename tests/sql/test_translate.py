"""translate(): output names and types, aliases, parameters, the cache, and the DuckDB pass."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pgbridge.backends.duckdb_dialect import bigquery_to_duckdb
from pgbridge.sql.names.resolve import TableRef
from pgbridge.sql.translate.cache import TranslationCache
from pgbridge.sql.translate.pipeline import Translation
from pgbridge.typemap import BqType
from pgbridge.wire.errors import PgError, SqlState
from tests.sql.fixtures import FixtureSchema
from tests.sql.harness import pipeline

SCHEMA = FixtureSchema()


@pytest.mark.parametrize(
    ("sql", "names"),
    [
        ("select 1", ["?column?"]),
        (
            "select 1::int, 2::bigint, '3'::text, 4::float8, 5::numeric",
            ["int4", "int8", "text", "float8", "numeric"],
        ),
        ("select id::text, (id + 1)::text from orders", ["id", "text"]),
        ('select id as "Order Id", qty q from orders', ["Order Id", "q"]),
        (
            "select case when qty > 1 then 'many' end, case when true then 1 else qty end from orders",
            ["case", "qty"],
        ),
        ("select array[1, 2], exists (select 1 from orders)", ["array", "exists"]),
        (
            "select char_length(note), length(note), upper(note) from orders",
            ["char_length", "length", "upper"],
        ),
        (
            "select coalesce(note, 'x'), nullif(qty, 0), greatest(qty, 1) from orders",
            ["coalesce", "nullif", "greatest"],
        ),
        ("select (select max(id) from orders), count(*), sum(qty) from orders", ["max", "count", "sum"]),
        (
            "select trim(note), ltrim(note), trim(leading 'x' from note) from orders",
            ["btrim", "ltrim", "ltrim"],
        ),
        ("select qty + 1, -qty, qty > 1, note is null from orders", ["?column?"] * 4),
        ("select * from nums", ["k", "a", "b", "f", "n", "ints"]),
        ("select id, id, count(*), count(*) from orders group by id", ["id", "id", "count", "count"]),
        ("select id from orders union select k from nums", ["id"]),
        ("select row_number() over (order by id) from orders", ["row_number"]),
    ],
)
def test_output_names(sql: str, names: list[str]) -> None:
    assert list(pipeline(sql, SCHEMA).output_names) == names


def test_aliases_are_unique_and_valid_bigquery_names() -> None:
    translation = pipeline(
        "select id, id, count(*), count(*), 1, qty + 1 from orders group by id, qty", SCHEMA
    )
    for alias in ("`id`", "`id_1`", "`count`", "`count_1`", "`column`", "`column_1`"):
        assert f"AS {alias}" in translation.sql


@pytest.mark.parametrize(
    ("sql", "types"),
    [
        (
            "select count(*), sum(qty), sum(price), sum(amount) from orders",
            ["INT64", "NUMERIC", "FLOAT64", "NUMERIC"],
        ),
        ("select sum(length(note)) from orders", ["INT64"]),
        ("select extract(year from placed) from orders", ["NUMERIC"]),
        ("select date_part('year', placed) from orders", ["FLOAT64"]),
        ("select 'text', 1.5, 7 / 2, placed from orders", ["STRING", "NUMERIC", "INT64", "DATETIME"]),
        (
            "select placed_tz, born - born, tags from orders, customers",
            ["TIMESTAMP", "INT64", "ARRAY<STRING>"],
        ),
    ],
)
def test_output_types(sql: str, types: list[str]) -> None:
    assert list(pipeline(sql, SCHEMA).output_types) == types


def test_numeric_results_are_cast_in_the_sql() -> None:
    sql = pipeline("select sum(qty), extract(year from placed) from orders", SCHEMA).sql
    assert "SUM(CAST(`orders`.`qty` AS NUMERIC))" in sql
    assert "CAST(EXTRACT(YEAR FROM `orders`.`placed`) AS NUMERIC)" in sql


def test_bigquery_sql_quotes_every_identifier_and_names_parameters() -> None:
    translation = pipeline("select id from orders where qty = $1 and note = $2 limit $3", SCHEMA)
    assert translation.sql == (
        "SELECT `orders`.`id` AS `id` FROM `shop`.`orders` AS `orders` "
        "WHERE `orders`.`qty` = @p1 AND `orders`.`note` = @p2 LIMIT @p3"
    )
    assert translation.param_types == (BqType("INT64"), BqType("STRING"), BqType("INT64"))


def test_integer_division_and_null_ordering_in_bigquery_sql() -> None:
    sql = pipeline("select a / b from nums order by a desc, b", SCHEMA).sql
    assert "DIV(`nums`.`a`, `nums`.`b`)" in sql
    assert "ORDER BY `nums`.`a` DESC NULLS FIRST, `nums`.`b` NULLS LAST" in sql


def test_window_order_emulates_postgres_null_position() -> None:
    sql = pipeline("select rank() over (order by score) from customers", SCHEMA).sql
    assert "ORDER BY `customers`.`score` IS NULL ASC, `customers`.`score`)" in sql


def test_statements_other_than_queries_and_dml_are_refused() -> None:
    with pytest.raises(PgError) as caught:
        pipeline("truncate shop.orders", SCHEMA)
    assert caught.value.sqlstate == SqlState.FEATURE_NOT_SUPPORTED


def test_dml_translation_names_its_table_and_command() -> None:
    translation = pipeline("insert into orders (id) values (1)", SCHEMA)
    assert (translation.kind, translation.command, translation.table) == (
        "dml",
        "INSERT",
        TableRef("shop", "orders"),
    )
    query = pipeline("select 1 from orders", SCHEMA)
    assert (query.kind, query.command, query.table) == ("query", "SELECT", None)


def test_cache_hits_and_evicts() -> None:
    cache = TranslationCache(size=2)
    made: list[str] = []

    def make(text: str) -> Translation:
        made.append(text)
        return pipeline(text, SCHEMA)

    def maker(text: str) -> Callable[[], Translation]:
        return lambda: make(text)

    for text in ("select 1", "select 1", "select 2", "select 3", "select 1"):
        cache.get_or_translate(text, (), ("shop",), maker(text))
    assert made == ["select 1", "select 2", "select 3", "select 1"]
    assert (cache.hits, cache.misses) == (1, 4)
    first = cache.get_or_translate("select 1", (), ("shop",), lambda: make("x"))
    other_path = cache.get_or_translate("select 1", (), ("other",), lambda: make("select 1"))
    assert first == other_path and made[-1] == "select 1" and len(made) == 5


def test_duckdb_parameters_and_fixups() -> None:
    sql = bigquery_to_duckdb(
        "SELECT @p1 + 1 AS `x`, `t`.`a` / `t`.`b` AS `y` FROM `shop`.`t` AS `t` "
        "WHERE `t`.`s` LIKE 'a\\\\_%' AND `t`.`n` = CAST('1.5' AS NUMERIC)"
    )
    assert "$p1" in sql
    assert 'CASE WHEN "t"."b" = 0 THEN ERROR(\'division by zero\')' in sql
    assert "ESCAPE '\\'" in sql
    assert "DECIMAL(38, 9)" in sql


def test_duckdb_dayofweek_matches_bigquery() -> None:
    # DuckDB counts from Sunday = 0, BigQuery from Sunday = 1.
    assert (
        bigquery_to_duckdb("SELECT EXTRACT(DAYOFWEEK FROM d) FROM t")
        == "SELECT (EXTRACT(DAYOFWEEK FROM d) + 1) FROM t"
    )


def test_cache_keys_on_the_time_zone() -> None:
    cache = TranslationCache()
    sql = "select ts::date from events"
    berlin = cache.get_or_translate(
        sql, (), ("shop",), lambda: pipeline(sql, SCHEMA, timezone="Europe/Berlin"), "Europe/Berlin"
    )
    utc = cache.get_or_translate(sql, (), ("shop",), lambda: pipeline(sql, SCHEMA), "UTC")
    assert "Europe/Berlin" in berlin.sql and "'UTC'" in utc.sql and cache.misses == 2
