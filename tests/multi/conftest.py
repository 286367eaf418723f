"""Fixtures for the several-gateways tests: the run's PostgreSQL, with a database for anchors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.multi.support import AnchorStore
from tests.support.cli import run_cli
from tests.support.gcsemulator import GcsEmulator, running_gcs_emulator
from tests.support.postgres import PostgresServer


@pytest.fixture(scope="session")
def anchor_store(postgres: PostgresServer) -> AnchorStore:
    """The anchors database, its table made by `pgbridge audit anchors-setup` as the operator would,
    with the INSERT-only role `pgbridge_anchor` for gateways and `pgbridge_auditor` for verify."""
    store = AnchorStore(postgres.database_for("pgbridge_anchors"))
    store.add_role("pgbridge_anchor")
    store.add_role("pgbridge_auditor")
    done = run_cli(
        "audit",
        "anchors-setup",
        "--url",
        store.url(),
        "--writer",
        "pgbridge_anchor",
        "--reader",
        "pgbridge_auditor",
    )
    assert done.returncode == 0, done.stderr
    return store


@pytest.fixture(scope="session")
def gcs() -> Iterator[GcsEmulator]:
    with running_gcs_emulator() as emulator:
        yield emulator
