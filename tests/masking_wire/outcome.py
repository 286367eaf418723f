"""What one client got back for one statement, and the ticket-mode approval round trip.

The demo's analyst role needs an approval for a query whose dry run scans over 20 MB (most
joins with shop.orders). The corpus sessions set `pgbridge.approval = 'ticket'`, so such a
query fails at once with 42501 naming a pending request; the test approves it in the
gateway's approval store as a separate approver (as `pgbridge approvals approve` would) and
the client runs the statement again, which must still be masked. Both attempts' bytes are
kept and searched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pgbridge.policy.approvals import SqliteApprovalStore
from pgbridge.wire import messages as m
from tests.support.rawclient import RawClient

APPROVER = "masking-wire-approver"
_PENDING = re.compile(r"statement needs approval: request (apr_[0-9a-f]+) is pending")


@dataclass
class Outcome:
    received: bytes  # every byte the client received for the statement, all attempts
    sqlstate: str | None  # the final attempt's SQLSTATE; None when it returned rows
    message: str = ""
    rows: int = 0
    approved: bool = False  # it needed, and got, an approval before running

    @property
    def refused(self) -> bool:
        return self.sqlstate is not None


def pending_request(message: str) -> str | None:
    """The approval request id in a ticket-mode "needs approval" error, if it is one."""
    found = _PENDING.search(message)
    return found.group(1) if found else None


def approve(data_dir: Path, request_id: str) -> None:
    store = SqliteApprovalStore(data_dir / "approvals.sqlite")
    store.decide(request_id, APPROVER, True, "masking wire corpus: the result must still be masked")


def run_extended(client: RawClient, data_dir: Path, sql: str, result_format: int) -> Outcome:
    """Run one statement over the extended protocol with the result format asked for (0 text,
    1 binary); approve and re-run it once when it waits for an approval."""
    outcome = _extended_once(client, sql, result_format)
    request = pending_request(outcome.message) if outcome.sqlstate == "42501" else None
    if request is None:
        return outcome
    approve(data_dir, request)
    again = _extended_once(client, sql, result_format)
    again.received = outcome.received + again.received
    again.approved = True
    return again


def _extended_once(client: RawClient, sql: str, result_format: int) -> Outcome:
    start = len(client.received)
    client.send(
        m.Parse("", sql, ()),
        m.Bind("", "", (), (), (result_format,)),
        m.Describe("P", ""),
        m.Execute("", 0),
        m.Sync(),
    )
    seen = client.until_ready()
    errors = [msg for msg in seen if isinstance(msg, m.ErrorResponse)]
    rows = sum(isinstance(msg, m.DataRow) for msg in seen)
    received = bytes(client.received[start:])
    if errors:
        return Outcome(received, errors[0].fields.get("C"), errors[0].fields.get("M", ""), rows)
    return Outcome(received, None, "", rows)


def bounded(sql: str) -> str:
    """The statement with a LIMIT when it has none at the top level, so a query over the
    100,000 customers or 1,000,000 orders sends a few rows and the corpus stays fast. LIMIT
    changes no column's lineage, and refused statements are refused before they run."""
    import sqlglot

    ast = sqlglot.parse_one(sql, read="postgres")
    if not sql.lstrip().upper().startswith(("SELECT", "WITH")) or ast.args.get("limit") is not None:
        return sql
    return f"{sql} LIMIT 7"
