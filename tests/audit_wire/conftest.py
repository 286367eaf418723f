"""Fixtures for the audit-over-the-wire tests (helpers live in support.py, the session in scenario.py)."""

from __future__ import annotations

import pytest

from tests.audit_wire.scenario import Run, play


@pytest.fixture(scope="session")
async def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """One audited demo session, played once and stopped cleanly; its log is read by many tests."""
    return await play(tmp_path_factory.mktemp("audit-home") / ".pgbridge-demo")
