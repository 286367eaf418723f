"""Helpers for the policy wire tests: the demo config with short timeouts and an admin port,
psql and CLI subprocesses, and a tiny client for the admin HTTP endpoint.

The config is the demo's own text (pgbridge.demo.config_text) with only what a test needs
changed: a free admin HTTP port, short approval waits, and a `limited` role for the limit
tests. The demo's orders row filter is added if the demo config does not carry it yet.
"""

from __future__ import annotations

import http.client
import json
import re
import subprocess
from typing import Any

from pgbridge.demo.config_text import render
from tests.support.cli import run_cli
from tests.support.gateway import RunningGateway
from tests.support.psql import commands, run_psql

ORDERS_FILTER = (
    '"shop.orders" = "customer_id IN (SELECT id FROM shop.customers WHERE country = {claims.country})"'
)
WAIT_TIMEOUT_S = 20

LIMITED_ROLE = """
[policy.roles.limited]
datasets = ["shop"]
max_rows = 5
max_bytes = 1_000_000
over_max_bytes = "deny"
queries_per_minute = 3
max_connections = 2
"""

# Row-filtered readers with a small byte limit: the estimate must not reach them (issue 10).
FILTERED_ROLES = """
[policy.roles.filtered_small]
tables = ["shop.customers"]
max_bytes = 1_000_000
over_max_bytes = "deny"

[policy.roles.filtered_small.row_filters]
"shop.customers" = "country = {claims.country}"

[policy.roles.filtered_wait]
tables = ["shop.customers"]
max_bytes = 1_000_000
over_max_bytes = "approve"
approval_mode = "wait"

[policy.roles.filtered_wait.row_filters]
"shop.customers" = "country = {claims.country}"
"""


def policy_config(admin_port: int) -> str:
    """The demo config text for running_gateway ({port} is filled in there)."""
    text = render("127.0.0.1", 0, admin_port)
    text = re.sub(r"(?m)^port = \d+$", "port = {port}", text)
    if '"shop.orders" =' not in text:
        text = text.replace(
            '"shop.customers" = "country = {claims.country}"',
            '"shop.customers" = "country = {claims.country}"\n' + ORDERS_FILTER,
        )
    text = _set(text, "wait_timeout_seconds", str(WAIT_TIMEOUT_S))
    text = text.replace("[policy.approvals]\n", "[policy.approvals]\npoll_interval_seconds = 0.05\n")
    return text + LIMITED_ROLE + FILTERED_ROLES


def _set(text: str, key: str, value: str) -> str:
    changed, count = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", text)
    assert count == 1, f"the demo config no longer sets {key}"
    return changed


VERBOSE = ("-v", "VERBOSITY=verbose", "-A", "-t")  # the SQLSTATE in stderr, bare rows in stdout


def psql(
    gw: RunningGateway, *statements: str, user: str, roles: tuple[str, ...], **claims: object
) -> subprocess.CompletedProcess[str]:
    """psql with one -c per statement, VERBOSITY=verbose (tests/support/psql.py runs it)."""
    return run_psql(gw, *VERBOSE, *commands(statements), user=user, roles=roles, **claims)


def approvals_cli(gw: RunningGateway, *args: str) -> subprocess.CompletedProcess[str]:
    """`pgbridge approvals ...` on the gateway's data folder, as an approver would run it."""
    return run_cli("approvals", *args, "--data-dir", str(gw.data_dir))


def admin_http(
    port: int, method: str, path: str, token: str | None = None, body: dict[str, Any] | None = None
) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    try:
        connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


APPROVAL_ID = re.compile(r"apr_[0-9a-f]{16}")


def approval_id(text: str) -> str:
    found = APPROVAL_ID.search(text)
    assert found, f"no approval id in {text!r}"
    return found.group(0)
