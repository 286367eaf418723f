"""The protocol tests run the session in memory (memory_client.py): no gateway process."""

from __future__ import annotations

import pytest

from tests.server.memory_client import MemoryClient


@pytest.fixture
async def client() -> MemoryClient:
    client = MemoryClient()
    await client.connect()
    return client
