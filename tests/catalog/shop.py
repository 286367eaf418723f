"""The demo `shop` dataset, twice: as BigQuery metadata and as the equivalent Postgres DDL.

The comparison tests ask a real PostgreSQL holding `SHOP_DDL` and the catalog engine holding
`SHOP_TABLES` the same captured client queries, and expect the same answers. `ShopBackend`
is the engine's metadata source in tests: a tiny real Backend returning fixed metadata.
"""

from __future__ import annotations

from collections.abc import Sequence

from pgbridge.backends.base import DryRun, Field, JobOptions, QueryParam, ResultStream, TableMeta

_CUSTOMERS = (
    Field("id", "INT64", "REQUIRED", "Customer id"),
    Field("name", "STRING"),
    Field("email", "STRING", description="Primary e-mail"),
    Field("phone", "STRING"),
    Field("ssn", "STRING"),
    Field("card_number", "STRING"),
    Field("country", "STRING"),
    Field("created_at", "TIMESTAMP"),
    Field("lifetime_value", "NUMERIC"),
)
_ORDERS = (
    Field("id", "INT64", "REQUIRED"),
    Field("customer_id", "INT64"),
    Field("product_id", "INT64"),
    Field("ordered_at", "TIMESTAMP"),
    Field("amount", "FLOAT64"),
    Field("status", "STRING"),
)
_PRODUCTS = (
    Field("id", "INT64", "REQUIRED"),
    Field("name", "STRING"),
    Field("category", "STRING"),
    Field("price", "NUMERIC"),
    Field("tags", "ARRAY<STRING>", "REPEATED"),
    Field("attrs", "JSON"),
)
_BIG_ORDERS = (Field("id", "INT64"), Field("amount", "FLOAT64"))

SHOP_TABLES: tuple[TableMeta, ...] = (
    TableMeta("shop", "customers", "TABLE", _CUSTOMERS, "People who bought something"),
    TableMeta("shop", "orders", "TABLE", _ORDERS),
    TableMeta("shop", "products", "TABLE", _PRODUCTS),
    TableMeta("shop", "big_orders", "VIEW", _BIG_ORDERS),
    TableMeta("hr", "salaries", "TABLE", (Field("employee", "STRING"), Field("amount", "NUMERIC"))),
)

# The same objects in Postgres. Owner "pgbridge" matches the engine's owner role; REQUIRED
# becomes NOT NULL; descriptions become COMMENTs. ARRAY<STRING> is text[], JSON jsonb.
SHOP_DDL = """
CREATE ROLE pgbridge;
CREATE SCHEMA shop AUTHORIZATION pgbridge;
CREATE SCHEMA hr AUTHORIZATION pgbridge;
CREATE TABLE shop.customers (id bigint NOT NULL, name text, email text, phone text, ssn text,
  card_number text, country text, created_at timestamptz, lifetime_value numeric);
CREATE TABLE shop.orders (id bigint NOT NULL, customer_id bigint, product_id bigint,
  ordered_at timestamptz, amount double precision, status text);
CREATE TABLE shop.products (id bigint NOT NULL, name text, category text, price numeric,
  tags text[], attrs jsonb);
CREATE VIEW shop.big_orders AS SELECT id, amount FROM shop.orders WHERE amount > 100;
CREATE TABLE hr.salaries (employee text, amount numeric);
COMMENT ON TABLE shop.customers IS 'People who bought something';
COMMENT ON COLUMN shop.customers.id IS 'Customer id';
COMMENT ON COLUMN shop.customers.email IS 'Primary e-mail';
ALTER TABLE shop.customers OWNER TO pgbridge;
ALTER TABLE shop.orders OWNER TO pgbridge;
ALTER TABLE shop.products OWNER TO pgbridge;
ALTER VIEW shop.big_orders OWNER TO pgbridge;
ALTER TABLE hr.salaries OWNER TO pgbridge;
"""


class ShopBackend:
    """Metadata source for tests: fixed TableMeta, no query execution."""

    name = "shop"

    def __init__(self, tables: Sequence[TableMeta] = SHOP_TABLES) -> None:
        self._tables = tuple(tables)
        self.metadata_calls = 0

    async def datasets(self) -> list[str]:
        self.metadata_calls += 1
        return sorted({t.dataset for t in self._tables})

    async def tables(self, dataset: str) -> list[TableMeta]:
        return [t for t in self._tables if t.dataset == dataset]

    async def dry_run(self, sql: str, params: Sequence[QueryParam]) -> DryRun:
        raise NotImplementedError("the catalog never runs data queries")

    async def execute(self, sql: str, params: Sequence[QueryParam], options: JobOptions) -> ResultStream:
        raise NotImplementedError("the catalog never runs data queries")

    async def cancel(self, job_id: str) -> None:
        return None

    async def close(self) -> None:
        return None
