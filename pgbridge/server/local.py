"""Statements the session answers itself: settings, transactions, cursors' bookkeeping.

BigQuery has no sessions or transactions a client could see, but every driver sends
BEGIN, SET and SHOW. They are answered here with Postgres's tags, notices and errors;
transaction control only moves the transaction status the protocol reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from pgbridge.server.outcomes import CommandDone, Outcome, rows_of
from pgbridge.server.settings import SessionSettings
from pgbridge.sql.statements.model import Kind, Statement
from pgbridge.typemap import PG_TYPES, OutputColumn
from pgbridge.wire.errors import PgError, SqlState, unsupported

TEXT = PG_TYPES["text"]
IDLE, IN_TRANSACTION, FAILED = "I", "T", "E"


@dataclass
class TransactionState:
    status: str = IDLE
    local_settings: dict[str, str | None] = field(default_factory=dict)  # SET LOCAL: values to restore
    notices: list[tuple[str, str, str]] = field(default_factory=list)

    def notice(self, sqlstate: str, message: str, severity: str = "WARNING") -> None:
        self.notices.append((severity, sqlstate, message))


LOCAL_KINDS = frozenset(
    {
        Kind.EMPTY,
        Kind.SET,
        Kind.RESET,
        Kind.SHOW,
        Kind.TRANSACTION,
        Kind.DISCARD,
        Kind.DEALLOCATE,
        Kind.LISTEN,
        Kind.UNLISTEN,
    }
)


def allowed_in_failed_transaction(statement: Statement) -> bool:
    """In a failed transaction only ROLLBACK (or COMMIT, which rolls back) is accepted."""
    command = statement.command
    return statement.kind is Kind.TRANSACTION and getattr(command, "action", "") in (
        "rollback",
        "commit",
        "rollback_to",
        "prepare",
    )


def answer_transaction(statement: Statement, tx: TransactionState, settings: SessionSettings) -> CommandDone:
    action = getattr(statement.command, "action", "")
    if action == "begin":
        if tx.status != IDLE:
            tx.notice("25001", "there is already a transaction in progress")
        else:
            tx.status = IN_TRANSACTION
        return CommandDone("BEGIN")
    if action in ("commit", "rollback", "prepare"):
        tag = "ROLLBACK" if action == "rollback" or tx.status == FAILED else "COMMIT"
        if tx.status == IDLE:
            tx.notice("25P01", "there is no transaction in progress")
        end_transaction(tx, settings)
        return CommandDone(tag)
    if action in ("savepoint", "release", "rollback_to"):
        if tx.status == IDLE:
            verb = {
                "savepoint": "SAVEPOINT",
                "release": "RELEASE SAVEPOINT",
                "rollback_to": "ROLLBACK TO SAVEPOINT",
            }
            raise PgError("25P01", f"{verb[action]} can only be used in transaction blocks")
        if action == "rollback_to":
            tx.status = IN_TRANSACTION
        return CommandDone(
            {"savepoint": "SAVEPOINT", "release": "RELEASE", "rollback_to": "ROLLBACK"}[action]
        )
    raise unsupported(f"transaction command {statement.text!r}")


def end_transaction(tx: TransactionState, settings: SessionSettings) -> None:
    for name, value in tx.local_settings.items():
        settings.values[settings.canonical_name(name)] = (
            value or settings.values[settings.canonical_name(name)]
        )
    tx.local_settings.clear()
    tx.status = IDLE


def answer_set(statement: Statement, tx: TransactionState, settings: SessionSettings) -> CommandDone:
    command = statement.command
    name = str(getattr(command, "name", ""))
    if getattr(command, "local", False):
        if tx.status == IDLE:
            tx.notice("25P01", "SET LOCAL can only be used in transaction blocks")
            return CommandDone("SET")
        tx.local_settings.setdefault(name, settings.get(name))
    settings.set(name, command.value)  # type: ignore[union-attr]
    return CommandDone("SET")


def answer_reset(statement: Statement, settings: SessionSettings) -> CommandDone:
    name = getattr(statement.command, "name", "all")
    if name.lower() == "all":
        settings.reset_all()
    else:
        settings.set(name, None)
    return CommandDone("RESET")


def answer_show(statement: Statement, settings: SessionSettings) -> Outcome:
    name = getattr(statement.command, "name", "")
    if name.lower() == "all":
        rows = settings.show_all()
        columns = [
            OutputColumn("name", TEXT),
            OutputColumn("setting", TEXT),
            OutputColumn("description", TEXT),
        ]
        batch = pa.RecordBatch.from_arrays(
            [pa.array([r[i] for r in rows], pa.string()) for i in range(3)],
            names=["name", "setting", "description"],
        )
        return rows_of(columns, batch, verb="SHOW")
    value = settings.get(name)
    column = settings.canonical_name(name)
    batch = pa.RecordBatch.from_arrays([pa.array([value], pa.string())], names=[column])
    return rows_of([OutputColumn(column.lower() if "." in column else column, TEXT)], batch, verb="SHOW")


def answer_simple(statement: Statement) -> CommandDone:
    """DISCARD, DEALLOCATE, UNLISTEN: the session does the work; this names the tag."""
    if statement.kind is Kind.LISTEN:
        raise unsupported("LISTEN", hint="BigQuery has no notifications")
    if statement.kind is Kind.UNLISTEN:
        return CommandDone("UNLISTEN")
    if statement.kind is Kind.DEALLOCATE:
        return CommandDone(
            "DEALLOCATE ALL" if getattr(statement.command, "name", None) is None else "DEALLOCATE"
        )
    if statement.kind is Kind.DISCARD:
        what = str(getattr(statement.command, "what", "all")).upper()
        return CommandDone(f"DISCARD {what}")
    raise PgError(SqlState.INTERNAL_ERROR, f"no local answer for {statement.kind.name}")
