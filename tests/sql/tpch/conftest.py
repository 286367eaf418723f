"""Fixtures for the TPC-H tests: the data, a PostgreSQL database and a gateway holding it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from pgbridge.demo.config_text import render
from tests.sql.tpch.data import build_duckdb, generate, load_postgres
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.postgres import PostgresServer

DATASET = "tpch"


@pytest.fixture(scope="session")
def tpch_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("tpch-csv"))


@pytest.fixture(scope="session")
def tpch_postgres(postgres: PostgresServer, tpch_csv: Path) -> PostgresServer:
    """The shared PostgreSQL's own `tpch` database, the tables in schema tpch."""
    with psycopg.connect(postgres.dsn, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS tpch")
        conn.execute("CREATE DATABASE tpch")
    server = replace(postgres, database="tpch")
    load_postgres(server.dsn, tpch_csv, DATASET)
    return server


def tpch_config() -> str:
    """The demo configuration with `tpch` as the default dataset (public maps to it)."""
    text = render("127.0.0.1", 0).replace('default_dataset = "shop"', f'default_dataset = "{DATASET}"')
    return text.replace("port = 0\n", "port = {port}\n", 1)


@pytest.fixture(scope="session")
def tpch_gateway(tmp_path_factory: pytest.TempPathFactory, tpch_csv: Path) -> Iterator[RunningGateway]:
    data_dir = tmp_path_factory.mktemp("tpch-gateway")
    build_duckdb(data_dir / "warehouse.duckdb", tpch_csv, DATASET)
    with running_gateway(data_dir, tpch_config()) as gateway:
        yield gateway
