"""Fixtures for the masking-over-the-wire tests: the demo's hash key, and the corpus run once
per client kind against the session's `gateway` (one connection each, reused). The demo's
clear values are the session's `clear_values` (tests/conftest.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.masking_wire.asyncpg_client import RecordingAsyncpg
from tests.masking_wire.outcome import Outcome, run_extended
from tests.masking_wire.psql_client import run_psql
from tests.masking_wire.wire_corpus import WIRE_CORPUS
from tests.support.rawclient import RawClient

ANALYST = ("bob", ("analyst",))


def analyst(client: str) -> tuple[str, tuple[str, ...]]:
    """The analyst as one principal per client kind: the corpus runs 4 x 250 statements within a
    minute, and the analyst's rate limit (600 a minute) is counted per principal."""
    return (f"bob-{client}", ANALYST[1])


@pytest.fixture(scope="session")
def hash_key(demo_dir: Path) -> bytes:
    return (demo_dir / "masking-hash.key").read_bytes().strip()


def raw_corpus(gateway: Any, result_format: int) -> list[Outcome]:
    client = RawClient.login(gateway, *analyst(f"raw-{result_format}"))
    try:
        client.simple("SET pgbridge.approval = 'ticket'")
        return [run_extended(client, gateway.data_dir, case.sent, result_format) for case in WIRE_CORPUS]
    finally:
        client.close()


@pytest.fixture(scope="module")
def corpus_results(gateway: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Outcome]]:
    """client kind -> the outcome of every WIRE_CORPUS case, in order."""
    return {
        "raw-text": raw_corpus(gateway, 0),
        "raw-binary": raw_corpus(gateway, 1),
        "asyncpg-binary": asyncio.run(_asyncpg_corpus(gateway)),
        "psql-text": run_psql(
            gateway, *analyst("psql"), [c.sent for c in WIRE_CORPUS], tmp_path_factory.mktemp("psql")
        ),
    }


async def _asyncpg_corpus(gateway: Any) -> list[Outcome]:
    client = await RecordingAsyncpg.connect(gateway, *analyst("asyncpg"))
    try:
        return [await client.run(case.sent) for case in WIRE_CORPUS]
    finally:
        await client.close()
