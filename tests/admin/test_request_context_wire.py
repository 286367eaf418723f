"""What an approver is shown comes from the statement that asked, through a real gateway:
a row-filtered, masked query over its byte limit, asked twice in ticket mode by psql, is one
request, announced once in the audit log, with its SQL as written, roles, masks, row filter,
dry-run bytes and mode; the JSON API and the console's pending list agree."""

from __future__ import annotations

import subprocess
from typing import Any

from pgbridge.audit.reader import iter_records
from pgbridge.audit.records import log_files
from tests.admin.conftest import ConsoleGateway
from tests.policy_wire.support import VERBOSE, admin_http, approval_id
from tests.support.psql import commands, psql_argv, psql_env

SQL = "SELECT name, email FROM shop.customers ORDER BY id"


def _ask(cg: ConsoleGateway) -> str:
    done = subprocess.run(
        psql_argv(cg.gw, *VERBOSE, *commands(["SET pgbridge.approval = ticket", SQL]), user="fiona"),
        env=psql_env(cg.gw, "fiona", ("filtered_wait",), country="DE"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "42501" in done.stderr, done.stderr
    return approval_id(done.stderr)


def _announced(cg: ConsoleGateway, request_id: str) -> list[dict[str, Any]]:
    return [
        r["data"]
        for _line, r in iter_records(log_files(cg.audit_dir))
        if r["type"] == "approval_requested" and r["data"]["approval_id"] == request_id
    ]


def test_a_request_is_announced_once_with_what_the_approver_needs(console_gateway: ConsoleGateway) -> None:
    cg = console_gateway
    first, again = _ask(cg), _ask(cg)
    assert first == again  # the same statement by the same principal: one request
    [announced] = _announced(cg, first)
    assert announced["principal"]["subject"] == "fiona" and announced["roles"] == ["filtered_wait"]
    assert announced["sql"] == SQL and "`shop`.`customers`" in announced["bigquery_sql"]
    assert announced["mode"] == "ticket" and announced["rule"] == "roles.filtered_wait.max_bytes"
    assert isinstance(announced["bytes_estimate"], int) and announced["bytes_estimate"] > 1_000_000
    assert announced["row_filters"] == [{"table": "shop.customers", "filter": "country = 'DE'"}]
    assert "email" in {m["column"] for m in announced["masked_columns"]}
    assert "DE" not in str(announced["masked_columns"])  # rules and strategies only, never values
    status, body = admin_http(cg.admin_port, "GET", f"/approvals/{first}", cg.token("carol", ("approver",)))
    assert status == 200 and body["requester"] == "fiona" and body["status"] == "pending"
