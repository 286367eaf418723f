"""One client connection: TLS negotiation, startup, JWT authentication, then the query loop.

This is the I/O half of the startup phase: the protocol core (server/protocol) says what each
startup message may do (its transition table) and writes the greeting; this module reads the
socket, starts TLS, verifies the token and, once authenticated, hands every message to the
session (session.py).

The password is a bearer token, so by default a client that will not use TLS is refused
before it is asked for one. After an SSLRequest the decoder must hold no bytes: plaintext
sent behind the request would otherwise be read as if it came over TLS (CVE-2021-23214).

Until it has authenticated, a connection is a stranger: everything from accept to
AuthenticationOk (TLS handshake, startup packet, password, token verification) must finish
within [server] authentication_timeout_s, PostgreSQL's authentication_timeout (60 s), and the
password message may be at most max_password_message_bytes (8 KiB: a JWT is 1-4 kB, and tokens
that travel as HTTP bearer headers are already held under 8 KiB by common servers); the
startup packet keeps PostgreSQL's 10,000 bytes (wire.codec). On expiry PostgreSQL closes
without a word ("canceling authentication due to timeout" goes to its log only, the protocol
state being unknown); here the client gets that FATAL (57014) whenever the connection is not in
the middle of its TLS handshake, where nothing can be written, so its user learns why.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import shlex
import ssl
from typing import Any, Protocol

from pgbridge.audit import events
from pgbridge.auth.jwt import TokenVerifier
from pgbridge.auth.principal import Principal
from pgbridge.config import Config
from pgbridge.ops.metrics import BYTES_STREAMED, CONNECTIONS_ACCEPTED, count_error
from pgbridge.server.connection_limits import Slot
from pgbridge.server.context import Prepared, SessionContext
from pgbridge.server.error_text import without_sql
from pgbridge.server.handlers.port import PipelinePort
from pgbridge.server.portals import Portal
from pgbridge.server.protocol.core import ProtocolCore
from pgbridge.server.protocol.states import Action
from pgbridge.server.session import Session
from pgbridge.server.settings import SessionSettings
from pgbridge.wire import codec
from pgbridge.wire import messages as m
from pgbridge.wire.errors import PgError, SqlState

log = logging.getLogger("pgbridge.connection")
READ_SIZE = 256 * 1024
# Startup parameters that are not settings.
_STARTUP_ONLY = {"user", "database", "options", "replication"}


class ClientGone(Exception):
    pass


class Hub(Protocol):
    """What a connection needs of the gateway that accepted it (server.gateway.Gateway): the
    configuration, the shared parts, and the registry of sessions for cancel requests."""

    @property
    def config(self) -> Config: ...

    @property
    def pipeline(self) -> PipelinePort: ...

    @property
    def tls_context(self) -> ssl.SSLContext | None: ...

    @property
    def verifier(self) -> TokenVerifier: ...

    def register(self, connection: Connection) -> tuple[int, int]: ...

    def unregister(self, connection: Connection) -> None: ...

    async def cancel(self, process_id: int, secret: int) -> None: ...

    async def audit_event(self, event: str, fields: dict[str, Any]) -> None: ...

    async def limits_connect(self, principal: Principal) -> None: ...

    async def limits_disconnect(self, principal: Principal) -> None: ...


AUTHENTICATION_TIMEOUT = PgError(SqlState.QUERY_CANCELED, "canceling authentication due to timeout", "FATAL")


class Connection:
    def __init__(
        self, gateway: Hub, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, slot: Slot
    ) -> None:
        self.gateway = gateway
        self.slot = slot
        # The authentication deadline runs from accept, like PostgreSQL's from fork.
        self.deadline = asyncio.get_running_loop().time() + gateway.config.server.authentication_timeout_s
        self.handshaking = False  # inside the TLS handshake: nothing can be written
        self.reader = reader
        self.writer = writer
        self.decoder = codec.FrontendDecoder(gateway.config.server.max_message_bytes)
        self.core: ProtocolCore[Prepared, Portal] = ProtocolCore()
        self.core.on_error = count_error
        self.session: Session | None = None
        self.process_id = 0
        self.tls_version: str | None = None
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        self.session_id = secrets.token_hex(6)
        self.close_reason = "client disconnected"
        self.opened_logged = False
        self.idle = False  # authenticated and waiting for the client's next message
        self.terminated = False
        CONNECTIONS_ACCEPTED.inc()

    async def run(self) -> None:
        try:
            ctx = await self._startup_in_time()
            if ctx is None:
                return
            # AuthenticationOk .. ReadyForQuery, sent outside the deadline
            await self.send(self.core.data_to_send())
            await self._query_loop(ctx)
        except PgError as error:
            self.close_reason = f"{error.sqlstate}: {error.message}"
            await self._fatal(error)
        except (ClientGone, ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            await self._cleanup()

    # -- I/O -------------------------------------------------------------------------------

    async def _next_message(self) -> object:
        while True:
            message = self.decoder.next_message()
            if message is not None:
                return message
            data = await self.reader.read(READ_SIZE)
            if not data:
                raise ClientGone
            self.decoder.feed(data)

    async def send(self, data: bytes) -> None:
        # The core buffers a reply's messages, so this is one TLS write per reply. Backpressure,
        # drain first: wait until what the last send() queued has (mostly) left, then queue this
        # reply and return, so the next batch is read and rendered while this one is on the
        # wire. A slow client still stops the producer at the next send().
        await self.writer.drain()
        if data:
            self.writer.write(data)
            BYTES_STREAMED.inc(len(data))

    async def _fatal(self, error: PgError) -> None:
        error = without_sql(error)
        if not error.is_fatal:
            error = PgError(error.sqlstate, error.message, "FATAL", error.detail, error.hint)
        count_error(error.sqlstate)
        with contextlib.suppress(Exception):
            await self.send(self.core.data_to_send() + codec.error_response(error))

    # -- startup ---------------------------------------------------------------------------

    async def _startup_in_time(self) -> SessionContext | None:
        """_startup() under the authentication deadline; None when the connection is to close."""
        deadline = asyncio.timeout_at(self.deadline)
        try:
            async with deadline:
                return await self._startup()
        except TimeoutError:
            if not deadline.expired():
                raise
        self.close_reason = f"{AUTHENTICATION_TIMEOUT.sqlstate}: {AUTHENTICATION_TIMEOUT.message}"
        log.info("closing %s: not authenticated within the authentication timeout", self.peer)
        if not self.handshaking:
            # Written without waiting for the client to read it: it has no time left.
            with contextlib.suppress(Exception):
                self.writer.write(self.core.data_to_send() + codec.error_response(AUTHENTICATION_TIMEOUT))
        return None

    async def _startup(self) -> SessionContext | None:
        params = await self._startup_packet()
        if params is None:
            return None
        user = self._check_startup(params)
        settings = self._initial_settings(params, user)
        opened = events.connection_opened(
            session_id=self.session_id,
            peer=self.peer,
            tls_version=self.tls_version,
            application_name=params.get("application_name", ""),
        )
        await self.gateway.audit_event(
            "connection_opened", {**opened, "user": user, "database": params.get("database", user)}
        )
        self.opened_logged = True
        principal = await self._authenticate(user)
        await self.gateway.limits_connect(principal)
        self.process_id, secret = self.gateway.register(self)
        ctx = SessionContext(
            self.session_id,
            principal,
            user,
            params.get("database") or user,
            settings,
            self.process_id,
            self.peer,
            params.get("application_name", ""),
        )
        self.session = Session(ctx, self.gateway.pipeline, self.core, self.send)
        self.core.authenticated(settings, self.process_id, secret)
        return ctx

    async def _startup_packet(self) -> dict[str, str] | None:
        """The StartupMessage's parameters, after any SSL / GSSENC negotiation; None after a
        CancelRequest (the connection then closes)."""
        while True:
            message = await self._next_message()
            match self.core.receive(message), message:
                case Action.NEGOTIATE_TLS, _:
                    await self._negotiate_tls()
                case Action.REFUSE_GSSENC, _:
                    await self.send(b"N")
                case Action.CANCEL, m.CancelRequest(process_id=process_id, secret_key=secret):
                    await self.gateway.cancel(process_id, secret)
                    return None
                case Action.START, m.StartupMessage(parameters=parameters):
                    return parameters

    def _check_startup(self, params: dict[str, str]) -> str:
        """The startup packet's user, once the packet may go on to authentication."""
        if "replication" in params and params["replication"] not in ("false", "off", "0", "no"):
            raise PgError(
                SqlState.FEATURE_NOT_SUPPORTED, "replication connections are not supported", severity="FATAL"
            )
        if self.gateway.config.server.require_tls and self.tls_version is None:
            raise PgError(
                SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
                "pgbridge requires TLS: the password is a bearer token and must not cross the network in "
                "clear text",
                severity="FATAL",
                hint="connect with sslmode=verify-full (and sslrootcert), or at least sslmode=require",
            )
        user = params.get("user", "")
        if not user:
            raise PgError(
                SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
                "no PostgreSQL user name specified in startup packet",
                severity="FATAL",
            )
        database = params.get("database") or user
        if database != self.gateway.config.names.database:
            raise PgError(
                "3D000",
                f'database "{database}" does not exist',
                severity="FATAL",
                hint=f'connect to database "{self.gateway.config.names.database}"',
            )
        return user

    async def _negotiate_tls(self) -> None:
        context = self.gateway.tls_context
        if context is None or self.tls_version is not None:
            await self.send(b"N")
            return
        if self.decoder.buffered_bytes:
            raise PgError(
                SqlState.PROTOCOL_VIOLATION, "received unencrypted data after SSL request", severity="FATAL"
            )
        await self.send(b"S")
        self.handshaking = True
        await self.writer.start_tls(context)
        self.handshaking = False
        ssl_object = self.writer.get_extra_info("ssl_object")
        self.tls_version = ssl_object.version() if ssl_object is not None else "TLS"

    def _initial_settings(self, params: dict[str, str], user: str) -> SessionSettings:
        server = self.gateway.config.server
        settings = SessionSettings.initial(
            {
                "server_version": server.server_version,
                "session_authorization": user,
                "statement_timeout": str(server.statement_timeout_ms),
            }
        )
        try:
            for name, value in params.items():
                if name not in _STARTUP_ONLY:
                    settings.set(name, value)
            for name, value in _options(params.get("options", "")):
                settings.set(name, value)
        except PgError as error:
            raise PgError(error.sqlstate, error.message, "FATAL", error.detail, error.hint) from None
        return settings

    async def _authenticate(self, user: str) -> Principal:
        server = self.gateway.config.server
        self.decoder.max_message_size = server.max_password_message_bytes  # a stranger's limit
        await self.send(codec.encode(m.AuthenticationCleartextPassword()))
        message = await self._next_message()
        self.core.receive(message)  # only a PasswordMessage is legal now
        assert isinstance(message, m.PasswordMessage)
        try:
            principal: Principal = await self.gateway.verifier.verify(message.password, user)
        except PgError as error:
            await self.gateway.audit_event(
                "auth_failed",
                events.auth_failed(session_id=self.session_id, reason=error.message, subject=user),
            )
            raise
        await self.gateway.audit_event(
            "auth_succeeded", events.auth_succeeded(session_id=self.session_id, principal=principal)
        )
        self.decoder.max_message_size = server.max_message_bytes
        self.slot.authenticate()
        return principal

    # -- query phase -----------------------------------------------------------------------

    async def _query_loop(self, ctx: SessionContext) -> None:
        assert self.session is not None
        while True:
            self.idle = True
            message = await self._next_message()
            self.idle = False
            if await self.session.handle(message) is Action.TERMINATE:
                self.close_reason = "terminate"
                return

    def terminate(self, error: PgError) -> None:
        """End an idle or unauthenticated connection now (the gateway is shutting down): the
        FATAL error goes out, then the socket closes and run() cleans up as after a disconnect."""
        if self.terminated:
            return
        self.terminated = True
        self.close_reason = f"{error.sqlstate}: {error.message}"
        count_error(error.sqlstate)
        with contextlib.suppress(Exception):
            if not self.handshaking:
                self.writer.write(self.core.data_to_send() + codec.error_response(error))
            self.writer.close()

    async def cancel_running(self) -> None:
        if self.session is None:
            return
        running = self.session.ctx.running
        if self.session.cancel("user"):
            statement_id, job_id = running if running else (None, None)
            await self.gateway.audit_event(
                "cancel", events.cancel(session_id=self.session_id, statement_id=statement_id, job_id=job_id)
            )

    async def _cleanup(self) -> None:
        if self.session is not None:
            self.session.cancel("disconnect")
            await self.session.close()
            await self.gateway.limits_disconnect(self.session.ctx.principal)
        if self.opened_logged:
            with contextlib.suppress(Exception):
                await self.gateway.audit_event(
                    "connection_closed",
                    events.connection_closed(session_id=self.session_id, reason=self.close_reason),
                )
        self.gateway.unregister(self)
        with contextlib.suppress(Exception):
            self.writer.close()
            await asyncio.wait_for(self.writer.wait_closed(), 2)


def _options(options: str) -> list[tuple[str, str]]:
    """Startup `options`: '-c name=value' and '--name=value' pairs, as PostgreSQL accepts them."""
    pairs: list[tuple[str, str]] = []
    try:
        words = shlex.split(options.replace("\\ ", "\x00"))
    except ValueError:
        raise PgError(
            SqlState.PROTOCOL_VIOLATION, "invalid command-line options in startup packet", severity="FATAL"
        ) from None
    words = [w.replace("\x00", " ") for w in words]
    index = 0
    while index < len(words):
        word = words[index]
        if word == "-c" and index + 1 < len(words):
            setting, index = words[index + 1], index + 2
        elif word.startswith("-c") or word.startswith("--"):
            setting, index = word[2:], index + 1
        else:
            raise PgError(
                SqlState.PROTOCOL_VIOLATION,
                f"invalid command-line argument for server process: {word}",
                severity="FATAL",
            )
        name, sep, value = setting.partition("=")
        if not sep:
            raise PgError(SqlState.SYNTAX_ERROR, f"-c {setting} requires a value", severity="FATAL")
        pairs.append((name.replace("-", "_"), value))
    return pairs
