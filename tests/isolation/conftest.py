"""Gateways for the isolation tests: the demo configuration as shipped, and a tight one
(small caps, a short catalog time limit, a small embedded-engine memory limit)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.configs import demo_config_text
from tests.support.gateway import RunningGateway, running_gateway

TIGHT_CATALOG_TIMEOUT_MS = 3_000


def tight_config_text() -> str:
    text = demo_config_text()
    text = _once(
        text,
        '[backend.duckdb]\ndatabase = "warehouse.duckdb"\n',
        '[backend.duckdb]\ndatabase = "warehouse.duckdb"\nmemory_limit = "64MB"\n'
        'max_temp_directory_size = "8MB"\n\n'
        f"[catalog]\nstatement_timeout_ms = {TIGHT_CATALOG_TIMEOUT_MS}\n",
    )
    return _once(
        text,
        "[policy.roles.analyst]\n",
        "[policy.roles.analyst]\nmax_concurrent_statements = 1\nmax_concurrent_catalog = 1\n",
    )


def _once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


@pytest.fixture(scope="session")
def demo_gateway(gateway: RunningGateway) -> RunningGateway:
    """The demo as shipped: default caps (4 statements, 2 catalog queries), 10 s catalog limit.
    That is the session's `gateway`: every statement these tests start, they also stop."""
    return gateway


@pytest.fixture(scope="session")
def tight_gateway(demo_copy: Callable[[str], Path]) -> Iterator[RunningGateway]:
    with running_gateway(demo_copy("isolation-tight"), tight_config_text()) as gateway:
        yield gateway
