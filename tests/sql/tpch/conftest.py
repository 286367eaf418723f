"""Fixtures for the TPC-H tests: the data, a PostgreSQL database and a gateway holding it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from pgbridge.demo.config_text import render
from tests.sql.tpch.data import build_duckdb, generate, load_postgres
from tests.sql.tpch.emulator import emulator_config, seed_tpch
from tests.support.bqemulator import running_emulator
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


@pytest.fixture(scope="session")
def tpch_emulator_gateway(
    tmp_path_factory: pytest.TempPathFactory, tpch_csv: Path
) -> Iterator[RunningGateway]:
    """A gateway on the BigQuery backend, the TPC-H tables in the emulator."""
    data_dir = tmp_path_factory.mktemp("tpch-emulator")
    warehouse = data_dir / "warehouse.duckdb"  # (running_gateway wants one; the backend reads the emulator)
    build_duckdb(warehouse, tpch_csv, DATASET)
    with running_emulator(lambda client: seed_tpch(client, warehouse, DATASET)) as emulator:
        text = emulator_config(emulator.project, emulator.rest_url, emulator.grpc_url, DATASET)
        with running_gateway(data_dir, text) as gateway:
            yield gateway
