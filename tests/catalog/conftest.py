"""Fixtures for the catalog tests: the shop tables in a real PostgreSQL and in the engine."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from pgbridge.catalog.api import CatalogSession
from pgbridge.catalog.engine import CatalogEngine
from tests.catalog.shop import SHOP_DDL, ShopBackend
from tests.support.postgres import PostgresServer


@pytest.fixture(scope="session")
def shop_pg(postgres: PostgresServer) -> Iterator[PostgresServer]:
    with psycopg.connect(postgres.dsn, autocommit=True) as conn:
        conn.execute(SHOP_DDL)  # type: ignore[arg-type]
        # The engine reports its role "pgbridge" as owner of everything, the database included.
        conn.execute(f"ALTER DATABASE {postgres.database} OWNER TO pgbridge")
    yield postgres


def make_session(
    user: str,
    can_read: object = None,
    search_path: tuple[str, ...] = ("$user", "public"),
    settings: dict[str, str] | None = None,
) -> CatalogSession:
    return CatalogSession(
        user=user,
        database="postgres",
        search_path=search_path,
        settings=settings
        if settings is not None
        else {"application_name": "psql", "search_path": '"$user", public'},
        backend_pid=4242,
        can_read=can_read or (lambda dataset, table: True),  # type: ignore[arg-type]
        server_version="15.18",
    )


@pytest.fixture
def engine() -> CatalogEngine:
    return CatalogEngine(ShopBackend())
