"""Both ends of a connection in memory, as h11's tests drive h11: no socket, no subprocess.

A MemoryClient encodes frontend messages to bytes with pgbridge's codec; the gateway's side
decodes them with its own FrontendDecoder and hands them to a real ProtocolCore and Session,
exactly as pgbridge.server.connection does after accept; what the session sends is decoded
again with a BackendDecoder, as a client would. The pipeline behind the session is the
in-memory stand-in of memory_pipeline.py.
"""

from __future__ import annotations

from pgbridge.auth.principal import Principal
from pgbridge.server.context import Prepared, SessionContext
from pgbridge.server.portals import Portal
from pgbridge.server.protocol.core import ProtocolCore
from pgbridge.server.protocol.states import Action
from pgbridge.server.session import Session
from pgbridge.server.settings import SessionSettings
from pgbridge.wire import codec
from pgbridge.wire import messages as m
from tests.server.memory_pipeline import MemoryPipeline


class MemoryClient:
    def __init__(self, pipeline: MemoryPipeline | None = None, *, expires_at: float | None = None) -> None:
        self.pipeline = pipeline or MemoryPipeline()
        self.core: ProtocolCore[Prepared, Portal] = ProtocolCore()
        self.principal = Principal("alice", ("admin",), expires_at=expires_at)
        self._gateway_side = codec.FrontendDecoder()
        self._client_side = codec.BackendDecoder()
        self.session: Session | None = None
        self.actions: list[Action] = []

    async def connect(self) -> list[object]:
        """Startup and authentication as the connection runs them; the greeting received."""
        self._feed(m.StartupMessage(m.PROTOCOL_3_0, {"user": "alice", "database": "pgbridge"}))
        assert self.core.receive(self._next()) is Action.START
        self._feed(m.PasswordMessage("a token"))
        assert self.core.receive(self._next()) is Action.AUTHENTICATE
        settings = SessionSettings.initial(
            {"server_version": "15.8", "session_authorization": "alice", "statement_timeout": "0"}
        )
        ctx = SessionContext("memory", self.principal, "alice", "pgbridge", settings, 7, "memory")
        self.session = Session(ctx, self.pipeline, self.core, self._receive)
        self.core.authenticated(settings, 7, 42)
        self._client_side.feed(self.core.data_to_send())
        return self.received()

    async def send(self, *messages: object) -> None:
        """Each message as bytes through the gateway's decoder and session, in order."""
        assert self.session is not None
        for message in messages:
            self._feed(message)
            self.actions.append(await self.session.handle(self._next()))

    async def exchange(self, *messages: object) -> list[object]:
        await self.send(*messages)
        return self.received()

    def received(self) -> list[object]:
        """Every backend message sent since the last call."""
        seen = []
        while (message := self._client_side.next_message()) is not None:
            seen.append(message)
        return seen

    def _feed(self, message: object) -> None:
        self._gateway_side.feed(codec.encode_frontend(message))  # type: ignore[arg-type]

    def _next(self) -> object:
        message = self._gateway_side.next_message()
        assert message is not None
        return message

    async def _receive(self, data: bytes) -> None:
        self._client_side.feed(data)


def names(messages: list[object]) -> list[str]:
    return [type(message).__name__ for message in messages]


def tags(messages: list[object]) -> list[str]:
    return [message.tag for message in messages if isinstance(message, m.CommandComplete)]


def rows(messages: list[object]) -> list[tuple[bytes | None, ...]]:
    return [message.values for message in messages if isinstance(message, m.DataRow)]


def error(messages: list[object]) -> dict[str, str]:
    [found] = [message for message in messages if isinstance(message, m.ErrorResponse)]
    return found.fields


def status(messages: list[object]) -> str:
    last = messages[-1]
    assert isinstance(last, m.ReadyForQuery), names(messages)
    return last.status
