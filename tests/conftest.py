"""Fixtures shared by every test package: one PostgreSQL cluster, one demo build and the
demo gateway, each made once per run (tests/support holds the plumbing behind them).

Lanes: tests are marked `slow`, `emulator` (drives the BigQuery emulator) or `compat` (real
client programs); `make test-fast` runs everything else (one pytest-xdist worker per core: each
worker makes its own session fixtures below), `make test` runs all of it in one process.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.demo import build_demo, copy_demo
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.postgres import PostgresServer, running_postgres

if TYPE_CHECKING:
    from tests.masking_wire.clear_values import ClearValues

_STARTED = time.monotonic()
# Fixtures that start the BigQuery emulator: a test that uses one, however indirectly, is in
# the `emulator` lane (fixtures reached through getfixturevalue mark their params instead).
_EMULATOR_FIXTURES = frozenset({"bq_emulator", "e2e_emulator"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _EMULATOR_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.emulator)
    # The log scan reads the logs every other test produced, so it runs after all of them.
    items.sort(key=lambda item: item.get_closest_marker("logscan") is not None)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The suite's wall time, from the first import of the test plumbing to the summary."""
    terminalreporter.write_line(f"suite wall time: {time.monotonic() - _STARTED:.1f} s")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """The run's one real PostgreSQL 15, on its `postgres` database; a consumer that creates
    objects others could meet takes a database of its own (`PostgresServer.database_for`)."""
    with running_postgres() as server:
        yield server


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's files (warehouse, keys, certificate), built once per run. A template: never
    served and never written; copy it (`demo_copy`, `copy_demo`) to run or change it."""
    return build_demo(tmp_path_factory.mktemp("demo-template"))


@pytest.fixture(scope="session")
def demo_copy(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """name -> a fresh private copy of the demo's files in a new temporary folder."""
    return lambda name: copy_demo(demo_dir, tmp_path_factory.mktemp(name) / "demo")


@pytest.fixture(scope="session")
def gateway(demo_copy: Callable[[str], Path]) -> Iterator[RunningGateway]:
    """A real `pgbridge serve` process over a copy of the demo, with the demo config: shared
    by every test that neither changes the config nor kills the process."""
    with running_gateway(demo_copy("gateway")) as running:
        yield running


@pytest.fixture(scope="session")
def clear_values(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> ClearValues:
    """The demo's clear personal values, read from the template (no gateway holds it)."""
    from tests.masking_wire.clear_values import load

    return load(demo_dir / "warehouse.duckdb", tmp_path_factory.mktemp("clear-values"))
