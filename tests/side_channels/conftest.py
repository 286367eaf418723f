"""Fixtures for the side-channel suite: the demo's clear values and where to send probes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.masking_wire.clear_values import ClearValues, load
from tests.side_channels.runner import Endpoint


@pytest.fixture(scope="session")
def clear_values(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> ClearValues:
    return load(demo_dir / "warehouse.duckdb", tmp_path_factory.mktemp("side-channel-clear"))


def _endpoint(gateway: Any, role: str) -> Endpoint:
    return Endpoint(gateway.host, gateway.port, gateway.cert, lambda subject: gateway.token(subject, (role,)))


@pytest.fixture(scope="session")
def analyst(gateway: Any) -> Endpoint:
    """Probes as the demo's analyst, for whom ssn, card_number, email and phone are masked."""
    return _endpoint(gateway, "analyst")


@pytest.fixture(scope="session")
def admin(gateway: Any) -> Endpoint:
    """Probes as admin (masking exempt), for the suite's own controls."""
    return _endpoint(gateway, "admin")
