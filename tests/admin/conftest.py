"""A real gateway with its admin listener, and a real headless Chromium (Debian's chromium and
chromium-driver, driven by Selenium) for the console tests."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.policy_wire.support import policy_config
from tests.support.browser import headless_chromium
from tests.support.gateway import RunningGateway, running_gateway, wait_for_port
from tests.support.postgres import free_port

WAIT_S = 90  # how long a waiting client waits for the browser's approval (a loaded machine is slow)


@dataclass
class ConsoleGateway:
    gw: RunningGateway
    admin_port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}"

    def token(self, user: str, roles: tuple[str, ...], **claims: object) -> str:
        return self.gw.token(user, roles, ttl=3600, **claims)

    @property
    def audit_dir(self) -> Path:
        return self.gw.data_dir / "audit"


@pytest.fixture(scope="session")
def console_gateway(demo_copy: Callable[[str], Path]) -> Iterator[ConsoleGateway]:
    data_dir = demo_copy("console")
    admin_port = free_port()
    text = re.sub(
        r"(?m)^wait_timeout_seconds = .*$", f"wait_timeout_seconds = {WAIT_S}", policy_config(admin_port)
    )
    with running_gateway(data_dir, text) as gw:
        wait_for_port("127.0.0.1", admin_port, gw.process, gw.log_path, timeout=10)
        yield ConsoleGateway(gw, admin_port)


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """One headless Chromium for the session; each test starts from a clean cookie jar."""
    with headless_chromium() as driver:
        yield driver
