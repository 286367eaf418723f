"""One gateway for the policy wire tests: the demo config with an admin HTTP port and short
approval waits, over its own copy of the demo files (DuckDB locks its file per process)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from tests.policy_wire.support import policy_config
from tests.support.clients import asyncpg_connect
from tests.support.gateway import RunningGateway, running_gateway, wait_for_port
from tests.support.postgres import free_port


@dataclass
class PolicyGateway:
    gw: RunningGateway
    admin_port: int

    def dsn(self, user: str, roles: tuple[str, ...], **claims: object) -> str:
        return self.gw.dsn(user, roles, "require", **claims)

    def token(self, user: str, roles: tuple[str, ...], **claims: object) -> str:
        return self.gw.token(user, roles, ttl=3600, **claims)

    async def asyncpg(self, user: str, roles: tuple[str, ...], **claims: object) -> asyncpg.Connection:
        return await asyncpg_connect(self.gw, user, roles, **claims)


@pytest.fixture(scope="session")
def policy_gateway(demo_copy: Callable[[str], Path]) -> Iterator[PolicyGateway]:
    admin_port = free_port()
    with running_gateway(demo_copy("policy_wire"), policy_config(admin_port)) as gw:
        wait_for_port("127.0.0.1", admin_port, gw.process, gw.log_path, timeout=10)
        yield PolicyGateway(gw, admin_port)
