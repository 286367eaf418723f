"""A real pipeline in this process: the gateway's stages opened from a demo configuration over
a small warehouse of its own (so the rows are few and known), with a real DuckDB backend, policy
engine, masking and audit log. No socket: the tests call the Pipeline as the session does.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import duckdb
import pytest

from pgbridge.auth.principal import Principal
from pgbridge.config import load_config
from pgbridge.demo.setup import ensure_demo
from pgbridge.server.context import SessionContext
from pgbridge.server.gateway import Gateway
from pgbridge.server.settings import SessionSettings

# Five customers; phone is hashed (applied by the gateway) and so is profile, a JSON column.
_WAREHOUSE = """
CREATE SCHEMA shop;
CREATE TABLE shop.customers AS
SELECT i AS id, 'name ' || i AS name, '+1-555-010-000' || i AS phone, '123-45-678' || i AS ssn,
       'DE' AS country, json_object('n', i) AS profile
FROM range(1, 6) t(i);
"""
_EXTRA = """
[[masking.rules]]
pattern = "shop.customers.profile"
strategy = "hash"
exempt_roles = ["admin"]

[policy.roles.reader]
tables = ["shop.customers"]
max_rows = 2

[policy.roles.frugal]
tables = ["shop.customers"]
max_bytes = 1
over_max_bytes = "deny"
"""


@pytest.fixture(scope="module")
async def gateway(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Gateway]:
    home = tmp_path_factory.mktemp("pipeline")
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute(_WAREHOUSE)
    config = ensure_demo(home, "127.0.0.1", 5433)  # keys, certificate and config; keeps our warehouse
    config.write_text(config.read_text(encoding="utf-8") + _EXTRA, encoding="utf-8")
    opened = await Gateway.open(load_config(config))
    yield opened
    await opened.close()


def session(role: str) -> SessionContext:
    """A session of a principal with one role, as the connection makes it after authentication."""
    subject = f"{role}-{secrets.token_hex(3)}"
    principal, settings = Principal(subject, (role,)), SessionSettings.initial({})
    return SessionContext(secrets.token_hex(6), principal, subject, "pgbridge", settings, 1, "test")


def audit_dir(gateway: Gateway) -> Path:
    return gateway.config.audit.directory
