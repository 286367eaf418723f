"""Refusals that depend on the session's state, not on the statement's policy.

- A session lives as long as its token: the first statement after it expired ends the
  session with a FATAL, so a stolen connection is worth no more than the token was.
- In a failed transaction block only ROLLBACK (or COMMIT, which rolls back) is accepted, as
  in PostgreSQL (25P02).
- BigQuery commits each DML job on its own: inside BEGIN ... ROLLBACK the statement would be
  written and the ROLLBACK would lie, so DML in a block is refused rather than pretended.
"""

from __future__ import annotations

import time

from pgbridge.auth.principal import Principal
from pgbridge.server.context import Prepared
from pgbridge.server.protocol.states import TxStatus
from pgbridge.sql.statements.model import Statement, TransactionCommand
from pgbridge.wire.errors import PgError, SqlState

_ENDS_A_FAILED_BLOCK = ("rollback", "commit", "rollback_to", "prepare")


def check_token(principal: Principal, now: float | None = None) -> None:
    expires = principal.expires_at
    if expires is not None and (time.time() if now is None else now) > expires:
        raise PgError(
            SqlState.INVALID_PASSWORD,
            "the session's token has expired; reconnect with a fresh token",
            severity="FATAL",
        )


def check_failed_transaction(tx: TxStatus, statement: Statement) -> None:
    if tx is not TxStatus.FAILED:
        return
    match statement.command:
        case TransactionCommand(action=action) if action in _ENDS_A_FAILED_BLOCK:
            return
    raise PgError(
        SqlState.IN_FAILED_SQL_TRANSACTION,
        "current transaction is aborted, commands ignored until end of transaction block",
    )


def check_dml_outside_block(tx: TxStatus, prepared: Prepared) -> None:
    if prepared.plan is not None and prepared.plan.kind == "dml" and tx is not TxStatus.IDLE:
        raise PgError(
            SqlState.FEATURE_NOT_SUPPORTED,
            "INSERT, UPDATE and DELETE inside a transaction block are not supported by pgbridge: "
            "each statement commits on its own and could not be rolled back",
            hint="run the statement outside BEGIN ... COMMIT (autocommit)",
        )
