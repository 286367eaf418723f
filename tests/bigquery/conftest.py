"""Fixtures for the BigQuery backend: the emulator (one per session) and backends on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pgbridge.backends.bigquery import BigQueryBackend
from pgbridge.backends.bigquery_config import BigQuerySettings, bigquery_settings_from
from pgbridge.config_base import Section
from tests.support.bqemulator import Emulator, running_emulator


@pytest.fixture(scope="session")
def bq_emulator() -> Iterator[Emulator]:
    with running_emulator() as emulator:
        yield emulator


def emulator_settings(emulator: Emulator, **overrides: Any) -> BigQuerySettings:
    table = {
        "kind": "bigquery",
        "project": emulator.project,
        "credentials": "anonymous",
        "api_endpoint": emulator.rest_url,
        "storage_endpoint": emulator.grpc_url,
        "location": "US",
        "default_dataset": "shop",
        # The emulator answers some requests with HTTP 500 (BIGNUMERIC columns): keep retries short.
        "retry_deadline_seconds": 3.0,
        "request_timeout_seconds": 10.0,
        "query_timeout_seconds": 30.0,
        **overrides,
    }
    return bigquery_settings_from(Section(table, "backend"), Path("."))


@pytest.fixture
async def make_backend(bq_emulator: Emulator) -> AsyncIterator[Callable[..., BigQueryBackend]]:
    made: list[BigQueryBackend] = []

    def make(**overrides: Any) -> BigQueryBackend:
        backend = BigQueryBackend(emulator_settings(bq_emulator, **overrides))
        made.append(backend)
        return backend

    yield make
    for backend in made:
        await backend.close()


@pytest.fixture
def backend(make_backend: Callable[..., BigQueryBackend]) -> BigQueryBackend:
    return make_backend()
