"""ProtocolCore: one connection's protocol state, and the messages that keep it honest.

Sans-I/O like h11's Connection and asyncpg's CoreProtocol: no socket, no event loop, no
await. The driver hands it every frontend message (`receive`: the transition table says what
to do with it), tells it what each statement returned (`complete`, `rows_done`, `fail`, ...)
and takes the bytes it wrote (`data_to_send`). Rows are the one thing it does not render:
the driver pulls them from their producer and passes the encoded DataRows through
(`send_bytes`), since pulling is I/O.

The core keeps, besides the phase and the transaction status (states.py) and the stores of
statements and portals (stores.py):
- error-until-Sync: an error in an extended-query message fails the transaction block it is
  in and discards messages until Sync (the FAILED phase);
- the implicit transaction: "Sync ... causes the backend to close the current transaction if
  it's not inside a BEGIN/COMMIT transaction block", and so does the end of a simple Query;
  portals without HOLD close with it;
- ReadyForQuery with the transaction status, preceded by a ParameterStatus for each reported
  setting that changed ("the backend will send ParameterStatus ... whenever the active value
  changes for any of the parameters the frontend is believed to care about").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic

from pgbridge.server.error_text import without_sql
from pgbridge.server.outcomes import CommandDone, EmptyQuery, Notice, TxChange, TxEffect
from pgbridge.server.protocol.states import EXTENDED, Action, Event, Phase, TxStatus, after, step, tx_after
from pgbridge.server.protocol.stores import P, Portals, S, Statements
from pgbridge.server.settings import SessionSettings
from pgbridge.wire import codec
from pgbridge.wire import messages as m
from pgbridge.wire.errors import PgError, SqlState
from pgbridge.wire.values import decode_param

_ROW_COUNT_FREE = ("SHOW", "EXPLAIN")  # tags PostgreSQL writes without a row count


class ProtocolCore(Generic[S, P]):
    """The state of one connection's protocol; S and P are what the driver stores as a
    prepared statement and as a portal."""

    def __init__(self) -> None:
        self.phase = Phase.STARTUP
        self.tx = TxStatus.IDLE
        self.statements: Statements[S] = Statements()
        self.portals: Portals[P] = Portals()
        # Notices waiting for the next CommandComplete or ErrorResponse. The driver shares this
        # list with the pipeline (SessionContext.notices), so it is only ever cleared in place.
        self.notices: list[Notice] = []
        self._settings: SessionSettings | None = None
        self._handling: Action | None = None
        self._out: list[bytes] = []
        # Told the SQLSTATE of every ErrorResponse written (the driver counts them for /metrics).
        self.on_error: Callable[[str], None] | None = None

    @property
    def settings(self) -> SessionSettings:
        if self._settings is None:
            raise RuntimeError("the session has no settings before authentication")
        return self._settings

    # -- input -------------------------------------------------------------------------------

    def receive(self, message: object) -> Action:
        """What to do with `message`; moves the phase. Raises a FATAL 08P01 PgError naming the
        phase and the message when the table has no entry for them."""
        found = step(self.phase, message)
        self.phase = found.then
        self._handling = found.action
        return found.action

    def authenticated(self, settings: SessionSettings, process_id: int, secret: int) -> None:
        """AuthenticationOk, every reported setting, BackendKeyData, the first ReadyForQuery."""
        self.phase = after(self.phase, Event.AUTHENTICATED)
        self._settings = settings
        self.send(m.AuthenticationOk())
        settings.take_reports()
        for name, value in settings.reported().items():
            self._out.append(codec.parameter_status(name, value))
        self.send(m.BackendKeyData(process_id, secret))
        self._out.append(codec.ready_for_query(self.tx.value))

    # -- output ------------------------------------------------------------------------------

    def data_to_send(self) -> bytes:
        out, self._out = self._out, []
        return out[0] if len(out) == 1 else b"".join(out)

    def send(self, message: m.BackendMessage) -> None:
        self._out.append(codec.encode(message))

    def notify(self, severity: str, sqlstate: str, message: str) -> None:
        """A NoticeResponse now, not with the next reply (an approval wait says why)."""
        self._out.append(codec.notice_response(severity, sqlstate, message))

    def send_bytes(self, data: bytes) -> None:
        """Messages already rendered: DataRows, a RowDescription, CopyData."""
        if data:
            self._out.append(data)

    # -- extended-query bookkeeping ---------------------------------------------------------------

    def parsed(self, name: str, statement: S) -> None:
        self.statements.add(name, statement)
        self.send(m.ParseComplete())

    def bound(self, name: str, portal: P) -> None:
        self.portals.add(name, portal)
        self.send(m.BindComplete())

    def close(self, kind: str, name: str) -> None:
        if kind == "S":
            self.statements.close(name)
        else:
            self.portals.close(name)
        self.send(m.CloseComplete())

    def described(self, row_description: bytes | None, param_oids: tuple[int, ...] | None = None) -> None:
        """Describe's answer: ParameterDescription (statements only), RowDescription or NoData."""
        if param_oids is not None:
            self.send(m.ParameterDescription(param_oids))
        if row_description is None:
            self.send(m.NoData())
        else:
            self._out.append(row_description)

    # -- what statements returned ---------------------------------------------------------------

    def complete(self, outcome: EmptyQuery | CommandDone | TxChange, portal: str = "") -> None:
        """A statement that returned no rows; `portal` runs it (a COMMIT keeps its own portal)."""
        if isinstance(outcome, EmptyQuery):
            self.send(m.EmptyQueryResponse())
            return
        self.notices.extend(outcome.notices)
        if isinstance(outcome, TxChange):
            self._change_transaction(outcome.effect, portal)
        self._command_complete(outcome.tag)

    def rows_suspended(self) -> None:
        """Execute's row limit was reached before the portal's end."""
        self.send(m.PortalSuspended())

    def rows_done(self, verb: str, count: int) -> None:
        self._command_complete(verb if verb in _ROW_COUNT_FREE else f"{verb} {count}")

    def copy_started(self, response: bytes) -> None:
        self.phase = after(self.phase, Event.COPY_OUT)
        self._out.append(response)

    def copy_done(self, count: int) -> None:
        self.phase = after(self.phase, Event.COPY_DONE)
        self.send(m.CopyDone())
        self._command_complete(f"COPY {count}")

    def discard_all(self) -> None:
        """DISCARD ALL: settings back to their defaults, every statement and portal closed."""
        if self.tx is not TxStatus.IDLE:
            raise PgError("25001", "DISCARD ALL cannot run inside a transaction block")
        self.settings.reset_all()
        self.statements.clear()
        self.portals.close_all()

    # -- errors and ReadyForQuery ----------------------------------------------------------------

    def fail(self, error: PgError) -> None:
        """ErrorResponse. The transaction block, if any, is failed; after an extended-query
        message, everything up to Sync is discarded."""
        if self.phase is Phase.COPY_OUT:
            self.phase = after(self.phase, Event.COPY_DONE)
        if self.tx is TxStatus.IN_TRANSACTION:
            self.tx = TxStatus.FAILED
        if self._handling in EXTENDED:
            self.phase = after(self.phase, Event.EXTENDED_ERROR)
        self._flush_notices()
        self._out.append(codec.error_response(without_sql(error)))  # the last guard: error_text.py
        if self.on_error is not None:
            self.on_error(error.sqlstate)

    def ready(self) -> None:
        """Sync, or the end of a simple Query: the implicit transaction ends, ReadyForQuery."""
        if self.tx is TxStatus.IDLE:
            self.portals.end_implicit_transaction()
        for name, value in self.settings.take_reports().items():
            self._out.append(codec.parameter_status(name, value))
        self._out.append(codec.ready_for_query(self.tx.value))

    # -- helpers -----------------------------------------------------------------------------------

    def _change_transaction(self, effect: TxEffect, portal: str) -> None:
        self.tx = tx_after(self.tx, effect)
        if effect is TxEffect.END:
            self.settings.end_transaction()  # SET LOCAL values end with the block
            self.portals.end_transaction(keep=portal)

    def _command_complete(self, tag: str) -> None:
        self._flush_notices()
        self._out.append(codec.command_complete(tag))

    def _flush_notices(self) -> None:
        for severity, sqlstate, message in self.notices:
            self._out.append(codec.notice_response(severity, sqlstate, message))
        self.notices.clear()


def bind_values(message: m.Bind, oids: Sequence[int]) -> tuple[object | None, ...]:
    """Bind's parameters as values of the statement's parameter types. The count must match:
    PostgreSQL's 08P01 "bind message supplies N parameters, but prepared statement requires M"."""
    if len(message.params) != len(oids):
        raise PgError(
            SqlState.PROTOCOL_VIOLATION,
            f"bind message supplies {len(message.params)} parameters, but "
            f'prepared statement "{message.statement}" requires {len(oids)}',
        )
    return tuple(
        None if raw is None else decode_param(oids[i], message.param_format(i), raw, index=i + 1)
        for i, raw in enumerate(message.params)
    )
