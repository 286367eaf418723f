"""Fixtures for the audit-over-the-wire tests (helpers live in support.py, the session in scenario.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.audit_wire.scenario import Run, play
from tests.support.demo import copy_demo


@pytest.fixture(scope="session")
async def run(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """One audited demo session, played once and stopped cleanly; its log is read by many tests.
    `pgbridge demo` starts on a copy of the run's demo files, which it reuses as they are (a
    new user's first start builds the same files; the run builds them once)."""
    return await play(copy_demo(demo_dir, tmp_path_factory.mktemp("audit-home") / ".pgbridge-demo"))
