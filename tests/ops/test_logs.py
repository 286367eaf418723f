"""The gateway's stderr: one JSON line per connection and per statement, with the session id,
principal, decision, SQLSTATE and duration; `--log-format human` for people."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import asyncpg
import pytest

from pgbridge.cli import build_parser
from pgbridge.ops.logs import HumanFormatter, JsonFormatter
from tests.ops.support import log_lines, ops_gateway
from tests.support.clients import asyncpg_connect

# Gateway processes started, signalled, killed or run side by side: the slow lane (make test).
pytestmark = pytest.mark.slow


async def _session(og_gw: object) -> str:
    conn = await asyncpg_connect(og_gw, "alice", ("analyst",), application_name="logs-test")  # type: ignore[arg-type]
    try:
        await conn.fetch("SELECT name, ssn FROM shop.customers LIMIT 3")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("DELETE FROM shop.orders")
        return str(await conn.fetchval("SHOW application_name"))
    finally:
        await conn.close()


async def test_json_lines_per_connection_and_statement(demo_copy: Callable[[str], Path]) -> None:
    with ops_gateway(demo_copy("ops-logs-json")) as og:
        await _session(og.gw)
        lines = log_lines(og.gw)
    connection = next(line for line in lines if line.get("event") == "connection"
                      and line.get("application_name") == "logs-test")
    session_id = connection["session_id"]
    assert connection["principal"] == "alice" and connection["roles"] == ["analyst"]
    assert connection["statements"] == 2 and connection["statement_errors"] == 1
    assert isinstance(connection["duration_ms"], float) and connection["close"] == "terminate"
    statements = [
        line for line in lines if line.get("event") == "statement" and line["session_id"] == session_id
    ]
    assert [(s["kind"], s["decision"], s["sqlstate"]) for s in statements] == [
        ("select", "allow", None),
        ("delete", "deny", "42501"),
    ]
    for line in statements:
        assert line["principal"] == "alice" and isinstance(line["duration_ms"], float)
        assert {"ts", "level", "logger", "message", "statement_id"} <= set(line)
        assert "sql" not in line and "params" not in line  # never the text: it can quote values
    assert statements[0]["rows"] == 3 and statements[0]["masked_columns"] == 1


def test_the_flag_and_the_formatters(monkeypatch: pytest.MonkeyPatch) -> None:
    """--log-format chooses; PGBRIDGE_LOG_FORMAT is its default (containers set it)."""
    assert build_parser().parse_args(["serve", "--config", "x"]).log_format == "json"
    flagged = build_parser().parse_args(["--log-format", "human", "serve", "--config", "x"])
    assert flagged.log_format == "human"
    monkeypatch.setenv("PGBRIDGE_LOG_FORMAT", "human")
    assert build_parser().parse_args(["serve", "--config", "x"]).log_format == "human"
    log = logging.getLogger("pgbridge.test")
    record = log.makeRecord("pgbridge.test", logging.INFO, __file__, 1, "statement", (), None,
                            extra={"fields": {"event": "statement", "sqlstate": "42501", "rows": 0}})
    line = json.loads(JsonFormatter().format(record))
    assert (line["message"], line["sqlstate"], line["level"]) == ("statement", "42501", "INFO")
    assert HumanFormatter().format(record).endswith("pgbridge.test: statement sqlstate=42501 rows=0")


async def test_human_format_with_a_flag(
    demo_copy: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGBRIDGE_LOG_FORMAT", "human")  # the gateway process inherits it
    with ops_gateway(demo_copy("ops-logs-human")) as og:
        await _session(og.gw)
        text = og.gw.log()
    assert not log_lines(og.gw)  # no JSON at all
    statement = next(line for line in text.splitlines() if "pgbridge.events: statement" in line
                     and "decision=deny" in line)
    assert "principal=alice" in statement and "sqlstate=42501" in statement and "duration_ms=" in statement
    assert any("pgbridge.events: connection" in line and "application_name=logs-test" in line
               for line in text.splitlines())
