"""The protocol core alone, without a session: its tables, its phases, its stores. Pure
function calls, as h11 tests its state machine."""

from __future__ import annotations

import pytest

from pgbridge.server.outcomes import CommandDone, TxChange, TxEffect
from pgbridge.server.protocol.core import ProtocolCore
from pgbridge.server.protocol.states import MESSAGES, Action, Event, Phase, TxStatus, after, tx_after
from pgbridge.server.protocol.stores import Portals
from pgbridge.server.routes import ROUTES
from pgbridge.server.settings import SessionSettings
from pgbridge.sql.statements.model import Kind
from pgbridge.wire import codec
from pgbridge.wire import messages as m
from pgbridge.wire.errors import PgError


def _decoded(data: bytes) -> list[object]:
    decoder = codec.BackendDecoder()
    decoder.feed(data)
    seen = []
    while (message := decoder.next_message()) is not None:
        seen.append(message)
    return seen


def _ready_core() -> ProtocolCore[object, Portal]:
    core: ProtocolCore[object, Portal] = ProtocolCore()
    core.receive(m.StartupMessage(m.PROTOCOL_3_0, {"user": "alice"}))
    core.receive(m.PasswordMessage("token"))
    core.authenticated(SessionSettings.initial({}), 1, 2)
    core.data_to_send()
    return core


class Portal:
    def __init__(self, with_hold: bool = False) -> None:
        self.with_hold = with_hold


def test_the_phases_from_startup_to_ready():
    core: ProtocolCore[object, Portal] = ProtocolCore()
    assert core.receive(m.SSLRequest()) is Action.NEGOTIATE_TLS and core.phase is Phase.STARTUP
    assert core.receive(m.GSSENCRequest()) is Action.REFUSE_GSSENC
    assert core.receive(m.StartupMessage(m.PROTOCOL_3_0, {})) is Action.START
    assert core.phase is Phase.AUTHENTICATING
    assert core.receive(m.PasswordMessage("token")) is Action.AUTHENTICATE
    assert core.phase is Phase.AUTHENTICATING  # until the token is verified
    core.authenticated(SessionSettings.initial({}), 1, 2)
    assert core.phase is Phase.READY
    seen = _decoded(core.data_to_send())
    assert isinstance(seen[0], m.AuthenticationOk) and seen[-1] == m.ReadyForQuery("I")


@pytest.mark.parametrize(
    ("phase", "message"),
    [
        (Phase.STARTUP, m.Query("SELECT 1")),
        (Phase.STARTUP, m.PasswordMessage("token")),
        (Phase.AUTHENTICATING, m.Query("SELECT 1")),
        (Phase.AUTHENTICATING, m.StartupMessage(m.PROTOCOL_3_0, {})),
        (Phase.READY, m.PasswordMessage("token")),
        (Phase.READY, m.StartupMessage(m.PROTOCOL_3_0, {})),
        (Phase.FAILED, m.PasswordMessage("token")),
        (Phase.COPY_OUT, m.Query("SELECT 1")),
        (Phase.COPY_OUT, m.Sync()),
    ],
)
def test_an_illegal_message_is_a_fatal_error_naming_the_phase_and_the_message(phase, message):
    core: ProtocolCore[object, Portal] = ProtocolCore()
    core.phase = phase
    with pytest.raises(PgError) as caught:
        core.receive(message)
    error = caught.value
    assert (error.sqlstate, error.severity) == ("08P01", "FATAL")
    assert type(message).__name__ in error.message and phase.value in error.message
    assert core.phase is phase


def test_the_table_says_what_each_phase_expects():
    legal = {phase: {kind for (state, kind) in MESSAGES if state is phase} for phase in Phase}
    assert legal[Phase.STARTUP] == {m.SSLRequest, m.GSSENCRequest, m.CancelRequest, m.StartupMessage}
    assert legal[Phase.AUTHENTICATING] == {m.PasswordMessage}
    assert legal[Phase.COPY_OUT] == set()
    assert legal[Phase.FAILED] == legal[Phase.READY]  # the same messages, most of them discarded
    discarded = {
        kind
        for (state, kind), step in MESSAGES.items()
        if state is Phase.FAILED and step.action is Action.IGNORE
    }
    assert {m.Parse, m.Bind, m.Describe, m.Execute, m.Close} <= discarded


def test_an_impossible_event_names_itself_and_the_phase():
    with pytest.raises(PgError) as caught:
        after(Phase.STARTUP, Event.COPY_DONE)
    assert "COPY TO STDOUT ended" in caught.value.message and "startup" in caught.value.message


def test_the_transaction_status_moves_by_its_table():
    assert tx_after(TxStatus.IDLE, TxEffect.BEGIN) is TxStatus.IN_TRANSACTION
    assert tx_after(TxStatus.FAILED, TxEffect.END) is TxStatus.IDLE
    assert tx_after(TxStatus.FAILED, TxEffect.RECOVER) is TxStatus.IN_TRANSACTION
    with pytest.raises(PgError) as caught:  # a failed block accepts no BEGIN (guards.py says so first)
        tx_after(TxStatus.FAILED, TxEffect.BEGIN)
    assert "block began" in caught.value.message and "status E" in caught.value.message


def test_error_until_sync():
    core = _ready_core()
    core.receive(m.Parse("", "SELECT 1"))
    core.fail(PgError("42601", "syntax error"))
    assert core.phase is Phase.FAILED
    assert core.receive(m.Bind("", "")) is Action.IGNORE
    assert core.receive(m.Execute("")) is Action.IGNORE
    assert core.receive(m.Sync()) is Action.SYNC and core.phase is Phase.READY
    core.ready()
    assert [type(x).__name__ for x in _decoded(core.data_to_send())] == ["ErrorResponse", "ReadyForQuery"]


def test_an_error_in_a_simple_query_does_not_discard_and_fails_a_block():
    core = _ready_core()
    core.receive(m.Query("BEGIN"))
    core.complete(TxChange("BEGIN", TxEffect.BEGIN))
    core.receive(m.Query("SELECT nope"))
    core.fail(PgError("42703", "no such column"))
    assert core.phase is Phase.READY and core.tx is TxStatus.FAILED
    core.ready()
    assert _decoded(core.data_to_send())[-1] == m.ReadyForQuery("E")


def test_an_error_during_copy_out_leaves_the_copy_phase():
    core = _ready_core()
    core.receive(m.Execute(""))
    core.copy_started(b"")
    assert core.phase is Phase.COPY_OUT
    core.fail(PgError("22012", "division by zero"))
    assert core.phase is Phase.FAILED  # an extended-query message: discard until Sync


def test_commit_ends_named_portals_without_hold_but_its_own():
    core = _ready_core()
    core.complete(TxChange("BEGIN", TxEffect.BEGIN))
    plain, held, running = Portal(), Portal(with_hold=True), Portal()
    for name, portal in (("plain", plain), ("held", held), ("running", running)):
        core.portals.add(name, portal)
    core.complete(TxChange("COMMIT", TxEffect.END), portal="running")
    assert core.portals.take_closed() == [plain]
    core.ready()  # the end of the implicit transaction takes the rest without HOLD
    assert core.portals.take_closed() == [running] and "held" in core.portals


def test_notices_go_out_before_the_command_tag():
    core = _ready_core()
    core.notices.append(("NOTICE", "00000", "masked"))
    core.complete(CommandDone("SELECT 1", (("WARNING", "01000", "careful"),)))
    seen = _decoded(core.data_to_send())
    assert [type(x).__name__ for x in seen] == ["NoticeResponse", "NoticeResponse", "CommandComplete"]
    assert core.notices == []


def test_portal_store_names():
    portals: Portals[Portal] = Portals()
    first, second = Portal(), Portal()
    portals.add("", first)
    portals.add("", second)  # the unnamed portal is replaced ...
    assert portals.take_closed() == [first]
    portals.add("p", first)
    with pytest.raises(PgError) as caught:  # ... a named one is not
        portals.add("p", second)
    assert caught.value.sqlstate == "42P03"


def test_every_statement_kind_has_a_route():
    assert set(ROUTES) == set(Kind)
