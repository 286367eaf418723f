"""Fixtures for the side-channel suite: where to send probes (the demo's clear values are the
session's `clear_values`, tests/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.side_channels.runner import Endpoint


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
