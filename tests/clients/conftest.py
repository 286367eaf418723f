"""Fixtures for the driver tests: besides the session's `gateway`, one the tests may write to."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.gateway import RunningGateway, running_gateway


@pytest.fixture(scope="session")
def writable_gateway(demo_copy: Callable[[str], Path]) -> Iterator[RunningGateway]:
    """The demo config over a copy of its own: DML tests change its rows, never the shared ones."""
    with running_gateway(demo_copy("writable")) as gateway:
        yield gateway
