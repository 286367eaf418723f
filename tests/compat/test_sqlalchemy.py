"""SQLAlchemy 2 reflection through each PostgreSQL driver it ships a dialect for (psycopg 3,
psycopg2, asyncpg), then pandas.read_sql on a reflected table. Reflection is nothing but
catalog queries, so this is the catalog engine seen through SQLAlchemy's eyes."""

from __future__ import annotations

import asyncio
import decimal
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

pytestmark = pytest.mark.compat

DRIVERS = ("psycopg", "psycopg2", "asyncpg")
CUSTOMER_COLUMNS = [
    ("id", sa.BigInteger),
    ("name", sa.Text),
    ("email", sa.Text),
    ("phone", sa.Text),
    ("ssn", sa.Text),
    ("card_number", sa.Text),
    ("country", sa.Text),
    ("created_at", sa.DateTime),
    ("lifetime_value", sa.Numeric),
]


def _url(gateway, driver: str) -> str:
    query = "ssl=require" if driver == "asyncpg" else "sslmode=require"
    return (
        f"postgresql+{driver}://alice:{gateway.token('alice')}@{gateway.host}:{gateway.port}/pgbridge?{query}"
    )


def _reflect(connection: sa.Connection) -> dict[str, Any]:
    inspector = sa.inspect(connection)
    products = sa.Table("products", sa.MetaData(), autoload_with=connection, schema="public")
    frame = pd.read_sql(sa.select(products).where(products.c.id <= 3).order_by(products.c.id), connection)
    return {
        "schemas": inspector.get_schema_names(),
        "tables": inspector.get_table_names(schema="public"),
        "columns": inspector.get_columns("customers", schema="public"),
        "pk": inspector.get_pk_constraint("orders", schema="public"),
        "fks": inspector.get_foreign_keys("orders", schema="public"),
        "indexes": inspector.get_indexes("orders", schema="public"),
        "products": [(c.name, type(c.type).__name__) for c in products.columns],
        "frame": frame,
    }


def _run(gateway, driver: str) -> dict[str, Any]:
    if driver != "asyncpg":
        engine = sa.create_engine(_url(gateway, driver))
        try:
            with engine.connect() as connection:
                return _reflect(connection)
        finally:
            engine.dispose()

    async def run_async() -> dict[str, Any]:
        engine = create_async_engine(_url(gateway, driver))
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(_reflect)
        finally:
            await engine.dispose()

    return asyncio.run(run_async())


@pytest.fixture(scope="module", params=DRIVERS)
def reflected(request, gateway) -> dict[str, Any]:
    return _run(gateway, request.param)


def test_schema_and_table_names(reflected) -> None:
    assert "public" in reflected["schemas"]
    assert "shop" not in reflected["schemas"]  # the default dataset is listed once, as public
    assert "pg_catalog" not in reflected["schemas"]
    assert reflected["tables"] == ["customers", "orders", "products"]


def test_columns(reflected) -> None:
    columns = reflected["columns"]
    assert [c["name"] for c in columns] == [name for name, _ in CUSTOMER_COLUMNS]
    for column, (_, expected) in zip(columns, CUSTOMER_COLUMNS, strict=True):
        assert isinstance(column["type"], expected), column
        assert column["nullable"] is True and column["default"] is None
    assert columns[7]["type"].timezone is True


def test_keys_and_indexes_are_empty_as_bigquery_has_none(reflected) -> None:
    assert reflected["pk"]["constrained_columns"] == []
    assert reflected["fks"] == [] and reflected["indexes"] == []


def test_autoload_table_and_read_sql(reflected) -> None:
    assert reflected["products"] == [
        ("id", "BIGINT"),
        ("name", "TEXT"),
        ("category", "TEXT"),
        ("price", "NUMERIC"),
        ("tags", "ARRAY"),
        ("attrs", "JSONB"),
    ]
    frame = reflected["frame"]
    assert list(frame["id"]) == [1, 2, 3]
    first = frame.iloc[0]
    assert first["name"] == "Games item 1" and first["category"] == "games"
    assert decimal.Decimal(str(first["price"])) == decimal.Decimal("80.19")
    assert list(first["tags"]) == ["sale", "bulk"]
    assert first["attrs"] == {"color": "green", "fragile": False, "weight_g": 37}
