"""Row filters, checked by running the rewritten query in DuckDB on real rows.

The oracle: the filtered query run on the full data must return exactly what the original
query returns on a copy of the data that holds only the caller's rows. So whatever the
shape — join, self-join, CTE, subquery, UNION, EXISTS, correlation, lateral, window — the
caller sees its own country's rows and nothing derived from anyone else's.
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest
from sqlglot import exp

from pgbridge.auth.principal import Principal
from pgbridge.policy.engine import PolicyEngine
from pgbridge.wire.errors import PgError
from tests.policy.support import demo_settings, principal, resolve, settings_from_toml

CUSTOMERS = [
    (1, "Ana", "FR"), (2, "Bo", "FR"), (3, "Cy", "DE"), (4, "Di", "US"), (5, "Ed", "DE"),
    (6, "Fa", "FR"), (7, "Gu", "DE"),
]
# Order 15 is booked in France for a German customer: joins must not reveal the customer. The
# demo filters orders through their customer's country, so order 15 counts as German, and order
# 16, whose customer does not exist, is nobody's.
ORDERS = [
    (10, 1, "FR", 5.0), (11, 2, "FR", 7.5), (12, 3, "DE", 100.0), (13, 4, "US", 9.0), (14, 5, "DE", 1.0),
    (15, 3, "FR", 2.0), (16, 99, "FR", 3.0),
]


def _database(country: str | None) -> duckdb.DuckDBPyConnection:
    db = duckdb.connect()
    db.execute("CREATE SCHEMA shop")
    db.execute("CREATE TABLE shop.customers (id INTEGER, name VARCHAR, country VARCHAR)")
    db.execute("CREATE TABLE shop.orders (id INTEGER, customer_id INTEGER, country VARCHAR, total DOUBLE)")
    customers = [r for r in CUSTOMERS if _keep(r[2], country)]
    db.executemany("INSERT INTO shop.customers VALUES (?, ?, ?)", customers)
    kept = {r[0] for r in customers}
    orders = [r for r in ORDERS if country is None or r[1] in kept]
    db.executemany("INSERT INTO shop.orders VALUES (?, ?, ?, ?)", orders)
    return db


def _keep(row_country: str, country: str | None) -> bool:
    return country is None or row_country == country


@pytest.fixture(scope="module")
def full() -> Iterator[duckdb.DuckDBPyConnection]:
    db = _database(None)
    yield db
    db.close()


@pytest.fixture(scope="module")
def france_only() -> Iterator[duckdb.DuckDBPyConnection]:
    db = _database("FR")
    yield db
    db.close()


def _rows(db: duckdb.DuckDBPyConnection, ast: exp.Expr) -> list[tuple[object, ...]]:
    return sorted(db.execute(ast.sql(dialect="duckdb")).fetchall(), key=repr)


SHAPES = [
    "SELECT id FROM shop.customers",
    "SELECT c.id, c.name FROM shop.customers AS c",
    "SELECT customers.id FROM shop.customers",
    "SELECT shop.customers.id FROM shop.customers",
    "SELECT x FROM shop.customers AS c(x, y, z)",
    "SELECT c.id, o.id FROM shop.customers c JOIN shop.orders o ON o.customer_id = c.id",
    "SELECT o.id FROM shop.orders o LEFT JOIN shop.customers c ON c.id = o.customer_id",
    "SELECT c.id FROM shop.customers c RIGHT JOIN shop.orders o ON o.customer_id = c.id",
    "SELECT a.id, b.id FROM shop.customers a CROSS JOIN shop.customers b",
    "SELECT a.id FROM shop.customers a JOIN shop.customers b ON a.id <> b.id",
    "SELECT * FROM (SELECT id, country FROM shop.customers) s",
    "SELECT * FROM (SELECT * FROM (SELECT * FROM shop.orders) a) b",
    "SELECT id FROM shop.orders WHERE customer_id IN (SELECT id FROM shop.customers)",
    "SELECT id FROM shop.orders WHERE customer_id NOT IN (SELECT id FROM shop.customers)",
    "SELECT (SELECT count(*) FROM shop.customers) AS n",
    "SELECT (SELECT max(total) FROM shop.orders) AS biggest",
    "WITH x AS (SELECT * FROM shop.customers) SELECT id FROM x",
    "WITH a AS (SELECT * FROM shop.customers), b AS (SELECT * FROM a) SELECT id, name FROM b",
    "WITH o AS (SELECT customer_id, sum(total) AS t FROM shop.orders GROUP BY 1) "
    "SELECT c.name, o.t FROM shop.customers c JOIN o ON o.customer_id = c.id",
    "SELECT id FROM shop.customers UNION ALL SELECT customer_id FROM shop.orders",
    "SELECT country FROM shop.customers UNION SELECT country FROM shop.orders",
    "SELECT id FROM shop.customers EXCEPT SELECT customer_id FROM shop.orders",
    "SELECT id FROM shop.customers c WHERE EXISTS (SELECT 1 FROM shop.orders o WHERE o.customer_id = c.id)",
    "SELECT count(*) FROM shop.orders o WHERE NOT EXISTS "
    "(SELECT 1 FROM shop.customers c WHERE c.id = o.customer_id)",
    "SELECT c.id, (SELECT sum(o.total) FROM shop.orders o WHERE o.customer_id = c.id) FROM shop.customers c",
    "SELECT c.id, l.n FROM shop.customers c, "
    "LATERAL (SELECT count(*) AS n FROM shop.orders o WHERE o.customer_id = c.id) l",
    "SELECT country, count(*), sum(total) FROM shop.orders GROUP BY country",
    "SELECT id, count(*) OVER () FROM shop.customers",
    "SELECT max(total) FROM shop.orders HAVING count(*) > 0",
    "SELECT id FROM shop.orders ORDER BY total DESC LIMIT 1",
]


@pytest.mark.parametrize("text", SHAPES)
def test_filtered_query_sees_only_own_rows(
    text: str, full: duckdb.DuckDBPyConnection, france_only: duckdb.DuckDBPyConnection
) -> None:
    engine = PolicyEngine(demo_settings())
    support = principal("support", country="FR")
    ast = resolve(text)
    assert engine.check_statement(support, text, "query", ast).action == "allow"
    filtered = engine.apply_row_filters(support, ast)
    assert _rows(full, filtered) == _rows(france_only, ast)
    assert _rows(full, ast) != _rows(france_only, ast), "the shape must be able to show a leak"
    assert ast.sql() == resolve(text).sql(), "the original AST must be left untouched"


def test_filter_changes_what_is_seen(full: duckdb.DuckDBPyConnection) -> None:
    engine = PolicyEngine(demo_settings())
    ast = resolve("SELECT DISTINCT country FROM shop.customers")
    assert _rows(full, engine.apply_row_filters(principal("support", country="DE"), ast)) == [("DE",)]
    assert len(_rows(full, engine.apply_row_filters(principal("analyst"), ast))) == 3


def test_claim_value_cannot_change_the_predicate(full: duckdb.DuckDBPyConnection) -> None:
    engine = PolicyEngine(demo_settings())
    attacker = principal("support", country="FR' OR '1'='1")
    filtered = engine.apply_row_filters(attacker, resolve("SELECT id FROM shop.customers"))
    assert _rows(full, filtered) == []


def test_missing_claim_fails_closed() -> None:
    engine = PolicyEngine(demo_settings())
    with pytest.raises(PgError) as caught:
        engine.apply_row_filters(principal("support"), resolve("SELECT id FROM shop.customers"))
    assert caught.value.sqlstate == "42501" and "country" in caught.value.message


def test_non_scalar_claim_fails_closed() -> None:
    engine = PolicyEngine(demo_settings())
    with pytest.raises(PgError):
        who = principal("support", country=["FR", "DE"])
        engine.apply_row_filters(who, resolve("SELECT 1 FROM shop.orders"))


_TWO_FILTERS = """
[policy.roles.fr]
tables = ["shop.customers"]
row_filters = { "shop.customers" = "country = {claims.country}" }
[policy.roles.de_desk]
tables = ["shop.customers"]
row_filters = { "shop.customers" = "country = 'DE' AND id > {claims.min_id}" }
[policy.roles.all]
datasets = ["shop"]
"""


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        (("fr",), [(1,), (2,), (6,)]),
        (("de_desk",), [(5,), (7,)]),
        (("fr", "de_desk"), [(1,), (2,), (5,), (6,), (7,)]),
        (("fr", "all"), [(1,), (2,), (3,), (4,), (5,), (6,), (7,)]),
    ],
)
def test_several_roles_see_the_union(
    roles: tuple[str, ...], expected: list[tuple[int]], full: duckdb.DuckDBPyConnection
) -> None:
    engine = PolicyEngine(settings_from_toml(_TWO_FILTERS))
    who = Principal("bob", roles, {"country": "FR", "min_id": 3})
    filtered = engine.apply_row_filters(who, resolve("SELECT id FROM shop.customers"))
    assert _rows(full, filtered) == expected


def test_predicate_column_cannot_bind_to_an_outer_query(full: duckdb.DuckDBPyConnection) -> None:
    """A filter naming a column the table lacks must fail, not correlate with the outer row."""
    settings = settings_from_toml("""
[policy.roles.r]
datasets = ["shop"]
row_filters = { "shop.orders" = "name = {claims.name}" }
""")
    engine = PolicyEngine(settings)
    text = "SELECT c.id FROM shop.customers c WHERE EXISTS (SELECT 1 FROM shop.orders o)"
    filtered = engine.apply_row_filters(Principal("bob", ("r",), {"name": "Ana"}), resolve(text))
    with pytest.raises(duckdb.BinderException):
        full.execute(filtered.sql(dialect="duckdb")).fetchall()


def test_writes_to_filtered_tables_are_refused_even_if_asked_directly() -> None:
    settings = settings_from_toml("""
[policy.roles.w]
datasets = ["shop"]
statements = ["select", "delete"]
write_tables = ["shop.*"]
row_filters = { "shop.customers" = "country = {claims.country}" }
""")
    engine = PolicyEngine(settings)
    who = Principal("bob", ("w",), {"country": "FR"})
    text = "DELETE FROM shop.customers WHERE id = 3"
    decision = engine.check_statement(who, text, "dml", resolve(text))
    assert (decision.action, decision.rule) == ("deny", "roles.w.row_filters")
    with pytest.raises(PgError):
        engine.apply_row_filters(who, resolve(text))
    reading = "DELETE FROM shop.orders WHERE customer_id IN (SELECT id FROM shop.customers)"
    rewritten = engine.apply_row_filters(who, resolve(reading)).sql(dialect="postgres")
    assert "FROM shop.customers AS __pgbridge_filtered WHERE __pgbridge_filtered.country = 'FR'" in rewritten


def test_unreadable_table_yields_no_rows_if_a_caller_skips_the_check(full: duckdb.DuckDBPyConnection) -> None:
    engine = PolicyEngine(demo_settings())
    support = principal("support", country="FR")
    filtered = engine.apply_row_filters(support, resolve("SELECT * FROM shop.orders"))
    assert len(_rows(full, filtered)) == 2
    outsider = engine.apply_row_filters(principal("intern"), resolve("SELECT id FROM shop.customers"))
    assert _rows(full, outsider) == []
