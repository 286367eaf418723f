"""resolve(): datasets for tables, tables for columns, PostgreSQL's errors for bad names."""

from __future__ import annotations

import pytest
from sqlglot import exp

from pgbridge.backends.base import Field, TableMeta
from pgbridge.sql.names.resolve import NameContext, Resolved, TableRef, resolve
from pgbridge.sql.statements.classify import parse_statement
from pgbridge.wire.errors import PgError, SqlState
from tests.sql.fixtures import FixtureSchema

NAMES = NameContext(search_path=("shop", "public"), default_dataset="shop", schema_to_dataset={})


class TwoDatasets(FixtureSchema):
    """The fixture tables plus `sales.customers` and a mixed-case table `sales.Leads`."""

    def table(self, dataset: str, name: str) -> TableMeta | None:
        if (dataset, name) == ("sales", "customers"):
            return TableMeta("sales", "customers", "TABLE", (Field("id", "INT64"), Field("region", "STRING")))
        if (dataset, name) == ("sales", "Leads"):
            return TableMeta("sales", "Leads", "TABLE", (Field("id", "INT64"),))
        return super().table(dataset, name)

    def datasets(self) -> tuple[str, ...]:
        return ("shop", "sales")


def _selects(resolved: Resolved) -> list[exp.Expr]:
    assert isinstance(resolved.ast, exp.Select)
    return list(resolved.ast.selects)


def run(sql: str, names: NameContext = NAMES) -> Resolved:
    return resolve(parse_statement(sql), names, TwoDatasets())


def error(sql: str, names: NameContext = NAMES) -> PgError:
    with pytest.raises(PgError) as caught:
        run(sql, names)
    return caught.value


def test_tables_get_their_dataset_and_columns_their_table() -> None:
    resolved = run("select id, amount from orders where qty > 1")
    assert resolved.tables == (TableRef("shop", "orders"),)
    sql = resolved.ast.sql("postgres")
    assert '"shop"."orders"' in sql and '"orders".amount' in sql and '"orders".qty > 1' in sql
    assert all(c.table for c in resolved.ast.find_all(exp.Column))


def test_star_expands_from_table_metadata() -> None:
    resolved = run("select * from customers c")
    names = [p.alias_or_name for p in _selects(resolved)]
    assert names == ["id", "name", "city", "score", "balance", "born", "active", "tags", "Email"]
    resolved = run("select o.*, c.id from orders o join customers c on c.id = o.customer_id")
    assert len(_selects(resolved)) == 10


def test_cte_references_stay_unqualified() -> None:
    resolved = run("with t as (select id from orders) select id from t")
    tables = [(t.db, t.name) for t in resolved.ast.find_all(exp.Table)]
    assert ("", "t") in tables and ("shop", "orders") in tables
    assert resolved.tables == (TableRef("shop", "orders"),)


def test_search_path_order_and_explicit_schema() -> None:
    sales_first = NameContext(("sales", "shop"), "shop", {})
    assert run("select id from customers", sales_first).tables == (TableRef("sales", "customers"),)
    assert run("select id from customers").tables == (TableRef("shop", "customers"),)
    assert run("select id from sales.customers").tables == (TableRef("sales", "customers"),)
    assert run("select id from public.orders").tables == (TableRef("shop", "orders"),)


def test_schema_qualified_columns_follow_their_tables() -> None:
    # SQLAlchemy writes `public.products.id` for a table reflected from the catalog's public.
    resolved = run(
        "select public.orders.id, shop.orders.amount from public.orders where public.orders.qty > 1"
    )
    assert resolved.tables == (TableRef("shop", "orders"),)
    assert all(c.table == "orders" for c in resolved.ast.find_all(exp.Column))
    assert error("select nope.orders.id from orders").sqlstate == SqlState.UNDEFINED_SCHEMA


def test_schema_mapping() -> None:
    mapped = NameContext(("crm",), "shop", {"crm": "sales"})
    assert run("select region from customers", mapped).tables == (TableRef("sales", "customers"),)
    assert run("select region from crm.customers", mapped).tables == (TableRef("sales", "customers"),)


def test_identifier_case_rules() -> None:
    assert run('select "Email" from customers').ast is not None
    assert run("select ID from CUSTOMERS").tables == (TableRef("shop", "customers"),)
    assert run('select id from sales."Leads"').tables == (TableRef("sales", "Leads"),)
    assert error("select id from sales.Leads").message == 'relation "sales.leads" does not exist'
    assert error("select email from customers").sqlstate == SqlState.UNDEFINED_COLUMN


@pytest.mark.parametrize(
    ("sql", "state", "message"),
    [
        ("select * from nope", SqlState.UNDEFINED_TABLE, 'relation "nope" does not exist'),
        ("select * from shop.nope", SqlState.UNDEFINED_TABLE, 'relation "shop.nope" does not exist'),
        ("select * from nowhere.orders", SqlState.UNDEFINED_SCHEMA, 'schema "nowhere" does not exist'),
        ("select nope from orders", SqlState.UNDEFINED_COLUMN, 'column "nope" does not exist'),
        ("select o.nope from orders o", SqlState.UNDEFINED_COLUMN, 'column "nope" does not exist'),
        ("select id from orders, customers", SqlState.AMBIGUOUS_COLUMN, 'column reference "id" is ambiguous'),
        (
            'select * from "shop.customers"',
            SqlState.UNDEFINED_TABLE,
            'relation "shop.customers" does not exist',
        ),
        ('select * from "shop`.`customers"', SqlState.UNDEFINED_TABLE, "does not exist"),
        ('select "a`b" from customers', SqlState.UNDEFINED_TABLE, "does not exist"),
        ("select * from proj.shop.customers", SqlState.FEATURE_NOT_SUPPORTED, "cross-database reference"),
        ('select * from "sales.x".customers', SqlState.UNDEFINED_SCHEMA, 'schema "sales.x" does not exist'),
    ],
)
def test_errors(sql: str, state: str, message: str) -> None:
    caught = error(sql)
    assert caught.sqlstate == state
    assert message in caught.message


def test_unknown_table_outside_search_path() -> None:
    assert (
        error("select * from customers", NameContext(("other",), "shop", {})).sqlstate
        == SqlState.UNDEFINED_TABLE
    )


def test_whole_row_reference_survives_resolution() -> None:
    resolved = run("select u from customers u")
    assert isinstance(_selects(resolved)[0].this, exp.TableColumn)
    assert run("select row_to_json(u) from customers u").tables == (TableRef("shop", "customers"),)


def test_resolution_does_not_touch_the_statement() -> None:
    stmt = parse_statement("select id from orders")
    before = stmt.ast.sql("postgres") if stmt.ast else ""
    resolve(stmt, NAMES, TwoDatasets())
    assert stmt.ast is not None and stmt.ast.sql("postgres") == before


def test_correlated_and_nested_queries_resolve() -> None:
    resolved = run(
        "select c.name from customers c where exists "
        "(select 1 from orders o where o.customer_id = c.id and o.qty > (select 1))"
    )
    assert set(resolved.tables) == {TableRef("shop", "customers"), TableRef("shop", "orders")}


def test_generated_output_names_hold_no_backslash(schema: FixtureSchema) -> None:
    # sqlglot names `'\x01'::bytea` after its text; policy refuses such identifiers.
    resolved = resolve(parse_statement(r"select '\x0102'::bytea, 'a' as b"), NAMES, schema)
    aliases = [p.alias for p in resolved.ast.expressions if isinstance(p, exp.Alias)]
    assert aliases == ["_col_0", "b"]
