"""Statements the session answers itself: settings and transaction control.

BigQuery has no sessions or transactions a client could see, but every driver sends BEGIN,
SET and SHOW. They are answered here with PostgreSQL's tags, notices and errors; transaction
control only says what it did to the block (TxChange), and the protocol core moves the status
ReadyForQuery reports.
"""

from __future__ import annotations

import pyarrow as pa

from pgbridge.server.outcomes import CommandDone, Notice, RowStream, TxChange, TxEffect, rows_of
from pgbridge.server.protocol.states import TxStatus
from pgbridge.server.settings import SessionSettings
from pgbridge.sql.statements.model import (
    DiscardCommand,
    LockCommand,
    ResetCommand,
    SetCommand,
    ShowCommand,
    TransactionCommand,
)
from pgbridge.typemap import PG_TYPES, OutputColumn
from pgbridge.wire.errors import PgError, unsupported

TEXT = PG_TYPES["text"]
_SHOW_ALL = (OutputColumn("name", TEXT), OutputColumn("setting", TEXT), OutputColumn("description", TEXT))
_SAVEPOINT_TAGS = {"savepoint": "SAVEPOINT", "release": "RELEASE", "rollback_to": "ROLLBACK"}
_SAVEPOINT_VERBS = {
    "savepoint": "SAVEPOINT",
    "release": "RELEASE SAVEPOINT",
    "rollback_to": "ROLLBACK TO SAVEPOINT",
}


def answer_transaction(command: TransactionCommand, tx: TxStatus, text: str) -> TxChange | CommandDone:
    match command.action:
        case "begin" if tx is not TxStatus.IDLE:
            return CommandDone("BEGIN", (_warning("25001", "there is already a transaction in progress"),))
        case "begin":
            return TxChange("BEGIN", TxEffect.BEGIN)
        case "commit" | "rollback" | "prepare":
            # COMMIT of a failed block rolls it back, and says so in its tag.
            rolled_back = command.action == "rollback" or tx is TxStatus.FAILED
            idle = tx is TxStatus.IDLE
            notices = (_warning("25P01", "there is no transaction in progress"),) if idle else ()
            return TxChange("ROLLBACK" if rolled_back else "COMMIT", TxEffect.END, notices)
        case "savepoint" | "release" | "rollback_to" if tx is TxStatus.IDLE:
            verb = _SAVEPOINT_VERBS[command.action]
            raise PgError("25P01", f"{verb} can only be used in transaction blocks")
        case "rollback_to":
            return TxChange("ROLLBACK", TxEffect.RECOVER)
        case "savepoint" | "release":
            return CommandDone(_SAVEPOINT_TAGS[command.action])
    raise unsupported(f"transaction command {text!r}")


def answer_set(command: SetCommand, tx: TxStatus, settings: SessionSettings) -> CommandDone:
    if not command.local:
        settings.set(command.name, command.value)
    elif tx is TxStatus.IDLE:
        return CommandDone("SET", (_warning("25P01", "SET LOCAL can only be used in transaction blocks"),))
    else:
        settings.set_local(command.name, command.value)
    return CommandDone("SET")


def answer_lock(command: LockCommand, tx: TxStatus) -> CommandDone:
    """pg_dump locks what it dumps IN ACCESS SHARE MODE. BigQuery takes no locks and a read
    sees one snapshot per query, so a read lock is a no-op; a write lock would promise an
    exclusion that nothing enforces, so it is refused."""
    if tx is TxStatus.IDLE:
        raise PgError("25P01", "LOCK TABLE can only be used in transaction blocks")
    if command.mode != "access share":
        raise unsupported(
            f"LOCK TABLE IN {command.mode.upper()} MODE",
            hint="BigQuery takes no locks; only a read lock (IN ACCESS SHARE MODE) is accepted, as a no-op",
        )
    return CommandDone("LOCK TABLE")


def answer_reset(command: ResetCommand, settings: SessionSettings) -> CommandDone:
    if command.name.lower() == "all":
        settings.reset_all()
    else:
        settings.set(command.name, None)
    return CommandDone("RESET")


def show_columns(command: ShowCommand, settings: SessionSettings) -> tuple[OutputColumn, ...]:
    """SHOW's columns: a setting's canonical name (`SHOW timezone` is a column TimeZone)."""
    if command.name.lower() == "all":
        return _SHOW_ALL
    column = settings.canonical_name(command.name)
    return (OutputColumn(column.lower() if "." in column else column, TEXT),)


def answer_show(command: ShowCommand, settings: SessionSettings) -> RowStream:
    columns = show_columns(command, settings)
    if command.name.lower() == "all":
        rows = settings.show_all()
        arrays = [pa.array([row[i] for row in rows], pa.string()) for i in range(3)]
    else:
        arrays = [pa.array([settings.get(command.name)], pa.string())]
    names = [settings.canonical_name(command.name)] if len(arrays) == 1 else [c.name for c in columns]
    return rows_of(columns, pa.RecordBatch.from_arrays(arrays, names=names), verb="SHOW")


def discard_tag(command: DiscardCommand) -> CommandDone:
    return CommandDone(f"DISCARD {command.what.upper()}")


def _warning(sqlstate: str, message: str) -> Notice:
    return ("WARNING", sqlstate, message)
