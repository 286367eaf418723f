"""Row filters that reach a related table through a subquery (orders through customers).

Start-up refuses a filter whose subquery could bind to anything but the tables the
administrator wrote, reads a table the role may not read, or takes part in a cycle. At run
time the subquery's own reads are filtered by the principal's filters, and the result is
checked by running the rewritten query in DuckDB on real rows.
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest
from sqlglot import exp

from pgbridge.auth.principal import Principal
from pgbridge.config_base import ConfigError
from pgbridge.policy.engine import PolicyEngine
from pgbridge.wire.errors import PgError
from tests.policy.support import demo_settings, principal, resolve, settings_from_toml
from tests.policy.test_row_filters import CUSTOMERS, ORDERS

IN_CUSTOMERS = "customer_id IN (SELECT id FROM shop.customers WHERE country = {claims.country})"


@pytest.fixture(scope="module")
def db() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA shop")
    con.execute("CREATE TABLE shop.customers (id INTEGER, name VARCHAR, country VARCHAR)")
    con.execute("CREATE TABLE shop.orders (id INTEGER, customer_id INTEGER, country VARCHAR, total DOUBLE)")
    con.executemany("INSERT INTO shop.customers VALUES (?, ?, ?)", CUSTOMERS)
    con.executemany("INSERT INTO shop.orders VALUES (?, ?, ?, ?)", ORDERS)
    yield con
    con.close()


def _ids(db: duckdb.DuckDBPyConnection, ast: exp.Expr) -> list[object]:
    return sorted(row[0] for row in db.execute(ast.sql(dialect="duckdb")).fetchall())


def _role(filters: str, tables: str = '["shop.customers", "shop.orders"]') -> str:
    return f"[policy.roles.r]\ntables = {tables}\n[policy.roles.r.row_filters]\n{filters}\n"


def _engine(filters: str) -> PolicyEngine:
    return PolicyEngine(settings_from_toml(_role(filters)))


# Orders of French customers: 10 and 11 (order 15 is booked in FR for a German customer).
FRENCH_ORDERS = [10, 11]


def test_demo_orders_filter_goes_through_the_customer(db: duckdb.DuckDBPyConnection) -> None:
    engine = PolicyEngine(demo_settings())
    ast = engine.apply_row_filters(principal("support", country="FR"), resolve("SELECT id FROM shop.orders"))
    assert _ids(db, ast) == FRENCH_ORDERS


@pytest.mark.parametrize(
    "orders_filter",
    [
        IN_CUSTOMERS,
        "EXISTS (SELECT 1 FROM shop.customers c "
        "WHERE c.id = orders.customer_id AND c.country = {claims.country})",
        "customer_id IN (SELECT c.id FROM shop.customers AS c WHERE c.country = {claims.country})",
        "customer_id = ANY (SELECT id FROM shop.customers WHERE country = {claims.country})",
    ],
)
def test_subquery_forms(orders_filter: str, db: duckdb.DuckDBPyConnection) -> None:
    engine = _engine(f'"shop.orders" = "{orders_filter}"')
    who = Principal("bob", ("r",), {"country": "FR"})
    assert _ids(db, engine.apply_row_filters(who, resolve("SELECT id FROM shop.orders"))) == FRENCH_ORDERS
    joined = "SELECT o.id FROM shop.orders o JOIN shop.customers c ON c.id = o.customer_id WHERE c.name > ''"
    assert _ids(db, engine.apply_row_filters(who, resolve(joined))) == FRENCH_ORDERS


def test_the_subquery_reads_through_the_principals_own_filter(db: duckdb.DuckDBPyConnection) -> None:
    """`orders of customers I can see`: the orders filter names no claim, yet is narrowed by
    the customers filter, because the filter's read of customers is filtered too."""
    engine = _engine('"shop.customers" = "country = {claims.country}"\n'
                     '"shop.orders" = "customer_id IN (SELECT id FROM shop.customers)"')
    who = Principal("bob", ("r",), {"country": "FR"})
    ast = engine.apply_row_filters(who, resolve("SELECT id FROM shop.orders"))
    assert _ids(db, ast) == FRENCH_ORDERS
    sql = ast.sql(dialect="postgres")
    assert sql.count("__pgbridge_filtered.country = 'FR'") == 1


def test_claim_value_cannot_change_the_subquery(db: duckdb.DuckDBPyConnection) -> None:
    engine = PolicyEngine(demo_settings())
    attacker = principal("support", country="FR') OR (1=1")
    assert _ids(db, engine.apply_row_filters(attacker, resolve("SELECT id FROM shop.orders"))) == []


def test_subquery_column_cannot_bind_to_the_filtered_or_client_table(db: duckdb.DuckDBPyConnection) -> None:
    """`total` exists in orders, not customers: pinned to customers it must fail, not correlate."""
    engine = _engine('"shop.orders" = "customer_id IN (SELECT id FROM shop.customers WHERE total > 0)"')
    text = "SELECT o.id FROM shop.orders o WHERE o.total > 0"
    ast = engine.apply_row_filters(Principal("bob", ("r",), {}), resolve(text))
    assert "customers.total" in ast.sql(dialect="postgres")
    with pytest.raises(duckdb.BinderException):
        db.execute(ast.sql(dialect="duckdb")).fetchall()


def test_wrapper_selects_only_the_columns_the_query_reads() -> None:
    engine = PolicyEngine(demo_settings())
    text = "SELECT c.name FROM shop.customers c WHERE c.id > 1"
    sql = engine.apply_row_filters(principal("support", country="FR"), resolve(text)).sql(dialect="postgres")
    assert '"__pgbridge_filtered"."name" AS "name"' in sql and '"__pgbridge_filtered"."id" AS "id"' in sql
    assert "SELECT *" not in sql and '"country" AS' not in sql


RF_KEY = "policy.roles.r.row_filters.shop.orders"


@pytest.mark.parametrize(
    ("filters", "key", "words"),
    [
        ('"shop.orders" = "customer_id IN (SELECT id FROM customers)"', RF_KEY, "dataset.table"),
        ('"shop.orders" = "customer_id IN (SELECT id FROM shop.products)"', RF_KEY, "may not read"),
        ('"shop.orders" = "customer_id IN (SELECT c.id FROM shop.customers c, shop.products x)"', RF_KEY,
         "may not read"),
        ('"shop.orders" = "customer_id IN (SELECT id FROM shop.customers c JOIN shop.customers d ON true)"',
         RF_KEY, "qualify column"),
        ('"shop.orders" = "customer_id IN (SELECT c.id FROM shop.customers c WHERE c.id = o.id)"', RF_KEY,
         "names no table"),
        ('"shop.orders" = "customer_id IN (SELECT id FROM shop.customers FOR UPDATE)"', RF_KEY, "locking"),
        ('"shop.orders" = "customer_id IN (SELECT id FROM information_schema.tables)"', RF_KEY, "catalog"),
        ('"shop.orders" = "customer_id IN (SELECT id FROM read_csv(\'x\'))"', RF_KEY, "plain tables"),
        ('"shop.orders" = "id IN (SELECT id FROM shop.orders WHERE total > 1)"', RF_KEY, "cycle"),
        ('"shop.customers" = "id IN (SELECT customer_id FROM shop.orders)"\n'
         '"shop.orders" = "customer_id IN (SELECT id FROM shop.customers)"',
         "policy.roles.r.row_filters.shop.customers", "cycle"),
    ],
)
def test_start_up_refuses_unsafe_subqueries(filters: str, key: str, words: str) -> None:
    tables = '["shop.customers", "shop.orders"]'
    with pytest.raises(ConfigError) as caught:
        settings_from_toml(_role(filters, tables))
    assert caught.value.key == key, str(caught.value)
    assert words in str(caught.value)


def test_a_cycle_across_roles_is_refused_at_run_time() -> None:
    settings = settings_from_toml("""
[policy.roles.a]
tables = ["shop.customers", "shop.orders"]
[policy.roles.a.row_filters]
"shop.orders" = "customer_id IN (SELECT id FROM shop.customers)"
"shop.customers" = "id > 0"
[policy.roles.b]
tables = ["shop.customers", "shop.orders"]
[policy.roles.b.row_filters]
"shop.customers" = "id IN (SELECT customer_id FROM shop.orders)"
"shop.orders" = "id > 0"
""")
    engine = PolicyEngine(settings)
    with pytest.raises(PgError) as caught:
        engine.apply_row_filters(Principal("bob", ("a", "b"), {}), resolve("SELECT id FROM shop.orders"))
    assert caught.value.sqlstate == "42501" and "cycle" in caught.value.message
    # one role alone is fine
    assert engine.apply_row_filters(Principal("bob", ("a",), {}), resolve("SELECT id FROM shop.orders"))
