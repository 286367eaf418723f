"""Fixtures shared by every test package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.postgres import PostgresServer, running_postgres


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL 15 on a free loopback port, for side-by-side comparisons."""
    with running_postgres() as server:
        yield server


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory):
    """The demo's files (warehouse, keys, certificate), built once per test run."""
    from pgbridge.demo.setup import ensure_demo

    path = tmp_path_factory.mktemp("demo")
    ensure_demo(path, "127.0.0.1", 5433)
    return path


@pytest.fixture(scope="session")
def gateway(demo_dir):
    """A real `pgbridge serve` process over the demo warehouse, with the demo config."""
    from tests.support.gateway import running_gateway

    with running_gateway(demo_dir) as running:
        yield running
