"""The protocol's states and the tables that move between them.

Everything that decides what a frontend message may do lives here, as data (h11's
`_state.py`): the connection's phase, the transaction status ReadyForQuery reports, and three
tables. MESSAGES says, for each phase, which messages are legal and what they do: the action
the driver takes and the phase that follows. EVENTS says how the core's own happenings
(authentication succeeded, an extended-query message failed, COPY began or ended) move the
phase. TRANSACTIONS says how what a transaction command did moves the transaction status (an
error moves it from T to E). A message with no entry for the phase is a protocol violation
whose error names both; an event or effect with no entry is a bug in the caller and says the
same.

From the protocol docs ("Extended Query"), the rule that shapes the FAILED phase: "When an
error is detected while processing any extended-query message, the backend issues
ErrorResponse, then reads and discards messages until a Sync is reached."
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from pgbridge.server.outcomes import TxEffect
from pgbridge.wire import messages as m
from pgbridge.wire.errors import PgError, SqlState


class Phase(enum.Enum):
    STARTUP = "startup"  # before the StartupMessage: SSL / GSS negotiation, cancel requests
    AUTHENTICATING = "authenticating"  # the password is asked for and checked
    READY = "ready"  # the query phase
    FAILED = "failed until Sync"  # an extended-query message failed: discard until Sync
    COPY_OUT = "copy-out"  # COPY TO STDOUT is sending CopyData; nothing is read meanwhile


class TxStatus(enum.Enum):
    """The transaction status byte of ReadyForQuery."""

    IDLE = "I"
    IN_TRANSACTION = "T"
    FAILED = "E"  # in a failed transaction block: only ROLLBACK (or COMMIT) is accepted


class Action(enum.Enum):
    """What the driver does with a legal message."""

    NEGOTIATE_TLS = "answer S and start TLS, or N"
    REFUSE_GSSENC = "answer N"
    CANCEL = "cancel the named session's statement, then close"
    START = "check the startup parameters, ask for the password"
    AUTHENTICATE = "verify the token"
    QUERY = "run a simple Query"
    PARSE = "prepare a statement"
    BIND = "bind a portal"
    DESCRIBE = "describe a statement or portal"
    EXECUTE = "run a portal"
    CLOSE = "close a statement or portal"
    FLUSH = "send what is buffered"
    SYNC = "end the implicit transaction, ReadyForQuery"
    REFUSE_FUNCTION_CALL = "refuse the fast-path interface, ReadyForQuery"
    IGNORE = "discard the message"
    TERMINATE = "close the connection"


# The actions of extended-query messages: an error in one of them starts the FAILED phase.
EXTENDED = frozenset({Action.PARSE, Action.BIND, Action.DESCRIBE, Action.EXECUTE, Action.CLOSE})


@dataclass(frozen=True, slots=True)
class Step:
    action: Action
    then: Phase


class Event(enum.Enum):
    AUTHENTICATED = "authentication succeeded"
    EXTENDED_ERROR = "an extended-query message failed"
    COPY_OUT = "COPY TO STDOUT began"
    COPY_DONE = "COPY TO STDOUT ended"


_S, _A, _R, _F = Phase.STARTUP, Phase.AUTHENTICATING, Phase.READY, Phase.FAILED

# (phase, message type) -> (action, next phase). What is not here is illegal.
MESSAGES: Mapping[tuple[Phase, type], Step] = {
    (_S, m.SSLRequest): Step(Action.NEGOTIATE_TLS, _S),
    (_S, m.GSSENCRequest): Step(Action.REFUSE_GSSENC, _S),
    (_S, m.CancelRequest): Step(Action.CANCEL, _S),
    (_S, m.StartupMessage): Step(Action.START, _A),
    (_A, m.PasswordMessage): Step(Action.AUTHENTICATE, _A),  # READY once the token is verified
    (_R, m.Query): Step(Action.QUERY, _R),
    (_R, m.Parse): Step(Action.PARSE, _R),
    (_R, m.Bind): Step(Action.BIND, _R),
    (_R, m.Describe): Step(Action.DESCRIBE, _R),
    (_R, m.Execute): Step(Action.EXECUTE, _R),
    (_R, m.Close): Step(Action.CLOSE, _R),
    (_R, m.Flush): Step(Action.FLUSH, _R),
    (_R, m.Sync): Step(Action.SYNC, _R),
    (_R, m.FunctionCall): Step(Action.REFUSE_FUNCTION_CALL, _R),
    # Stray COPY messages outside COPY FROM: PostgreSQL ignores them too.
    (_R, m.CopyData): Step(Action.IGNORE, _R),
    (_R, m.CopyDone): Step(Action.IGNORE, _R),
    (_R, m.CopyFail): Step(Action.IGNORE, _R),
    (_R, m.Terminate): Step(Action.TERMINATE, _R),
    # A simple Query ends the discarding and runs (PostgreSQL would discard it too; pgbridge
    # has always run it, and clients that send one here expect an answer).
    (_F, m.Query): Step(Action.QUERY, _R),
    (_F, m.Parse): Step(Action.IGNORE, _F),
    (_F, m.Bind): Step(Action.IGNORE, _F),
    (_F, m.Describe): Step(Action.IGNORE, _F),
    (_F, m.Execute): Step(Action.IGNORE, _F),
    (_F, m.Close): Step(Action.IGNORE, _F),
    (_F, m.FunctionCall): Step(Action.IGNORE, _F),
    (_F, m.CopyData): Step(Action.IGNORE, _F),
    (_F, m.CopyDone): Step(Action.IGNORE, _F),
    (_F, m.CopyFail): Step(Action.IGNORE, _F),
    (_F, m.Flush): Step(Action.FLUSH, _F),
    (_F, m.Sync): Step(Action.SYNC, _R),
    (_F, m.Terminate): Step(Action.TERMINATE, _F),
    # COPY_OUT has no entry: the driver reads nothing while it sends CopyData.
}

# (phase, event) -> next phase.
EVENTS: Mapping[tuple[Phase, Event], Phase] = {
    (_A, Event.AUTHENTICATED): _R,
    (_R, Event.EXTENDED_ERROR): _F,
    (_R, Event.COPY_OUT): Phase.COPY_OUT,
    (Phase.COPY_OUT, Event.COPY_DONE): _R,
}


_I, _T, _E = TxStatus.IDLE, TxStatus.IN_TRANSACTION, TxStatus.FAILED

# (status, what a transaction command did) -> status. BEGIN inside a block and SAVEPOINT change
# nothing and are no TxChange; a savepoint outside a block is an error before it gets here.
TRANSACTIONS: Mapping[tuple[TxStatus, TxEffect], TxStatus] = {
    (_I, TxEffect.BEGIN): _T,
    (_I, TxEffect.END): _I,  # COMMIT outside a block: a warning, and nothing to end
    (_T, TxEffect.END): _I,
    (_E, TxEffect.END): _I,  # COMMIT of a failed block rolls it back
    (_T, TxEffect.RECOVER): _T,
    (_E, TxEffect.RECOVER): _T,
}


def step(phase: Phase, message: object) -> Step:
    """MESSAGES' entry for `message` in `phase`; a FATAL protocol violation when there is none."""
    found = MESSAGES.get((phase, type(message)))
    if found is None:
        legal = [kind.__name__ for (state, kind) in MESSAGES if state is phase]
        raise PgError(
            SqlState.PROTOCOL_VIOLATION,
            f"unexpected message {type(message).__name__} in the {phase.value} phase",
            severity="FATAL",
            detail=f"expected one of: {', '.join(legal)}" if legal else "no message is expected now",
        )
    return found


def after(phase: Phase, event: Event) -> Phase:
    """EVENTS' entry for `event` in `phase`; an internal error when there is none."""
    found = EVENTS.get((phase, event))
    if found is None:
        # A bug in the driver: the protocol state is no longer known, so the connection ends.
        raise PgError(
            SqlState.INTERNAL_ERROR, f"{event.value} cannot happen in the {phase.value} phase", "FATAL"
        )
    return found


def tx_after(status: TxStatus, effect: TxEffect) -> TxStatus:
    """TRANSACTIONS' entry for `effect` in `status`; an internal error when there is none."""
    found = TRANSACTIONS.get((status, effect))
    if found is None:
        raise PgError(
            SqlState.INTERNAL_ERROR, f"{effect.value} cannot happen in transaction status {status.value}"
        )
    return found
