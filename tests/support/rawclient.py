"""A PostgreSQL frontend on pgbridge's own codec over a blocking socket, keeping every byte.

Tests that check the protocol itself need a client that does no more than they ask: send
exactly these messages, read back exactly what came. This one encodes with
`codec.encode_frontend`, decodes with `codec.BackendDecoder`, and records both every byte
received (after TLS decryption, before any decoding: a value hidden in a field no decoder
looks at is still there to search) and every message decoded.

For results too large to decode in a test (millions of rows), `stream` walks the message
frames without decoding or recording them and can stop reading at a chosen moment, which
is how the backpressure tests leave bytes in the kernel's buffers.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass

from pgbridge.wire import codec
from pgbridge.wire import messages as m
from tests.support.gateway import RunningGateway

PROTOCOL_3 = 196608
_HEADER = struct.Struct("!cI")
READ_SIZE = 256 * 1024


@dataclass
class StreamResult:
    """What `stream` counted: DataRow messages, the CommandComplete tag, bytes, seconds."""

    rows: int
    tag: str
    payload_bytes: int
    seconds: float


class ServerError(Exception):
    """An ErrorResponse met by `stream`; `fields` maps field codes ("C", "M") to values."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__(f"{fields.get('C', '?')}: {fields.get('M', '')}")
        self.fields = fields


class RawClient:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.decoder = codec.BackendDecoder()
        self.received = bytearray()  # every byte read, in order
        self.messages: list[m.BackendMessage] = []  # every message decoded, in order

    @classmethod
    def login(
        cls,
        gateway: RunningGateway,
        user: str = "alice",
        roles: tuple[str, ...] = ("admin",),
        *,
        timeout: float = 60,
        **claims: object,
    ) -> RawClient:
        """TLS, startup and the token as password, up to the first ReadyForQuery;
        ConnectionError when the gateway refuses any of it."""
        client = cls.tls(gateway, timeout)
        client.send(m.StartupMessage(PROTOCOL_3, {"user": user, "database": "pgbridge"}))
        if not isinstance(client.next(), m.AuthenticationCleartextPassword):
            raise ConnectionError("expected a password request")
        client.send(m.PasswordMessage(gateway.token(user, roles, **claims)))
        errors = [msg for msg in client.until_ready() if isinstance(msg, m.ErrorResponse)]
        if errors:
            raise ConnectionError(f"gateway refused the session: {errors[0].fields}")
        return client

    @classmethod
    def tls(cls, gateway: RunningGateway, timeout: float = 60) -> RawClient:
        """SSLRequest and the TLS handshake (verifying the demo certificate), nothing more."""
        raw = socket.create_connection((gateway.host, gateway.port), timeout=timeout)
        raw.sendall(codec.encode_frontend(m.SSLRequest()))
        if raw.recv(1) != b"S":
            raw.close()
            raise ConnectionError("the gateway refused TLS")
        context = ssl.create_default_context(cafile=str(gateway.cert))
        return cls(context.wrap_socket(raw, server_hostname=gateway.host))

    @classmethod
    def plain(cls, host: str, port: int, timeout: float = 10) -> RawClient:
        """A bare TCP connection, nothing sent yet (a PostgreSQL with trust authentication)."""
        return cls(socket.create_connection((host, port), timeout=timeout))

    def send(self, *messages: m.FrontendMessage) -> None:
        self.sock.sendall(b"".join(codec.encode_frontend(msg) for msg in messages))

    def next(self) -> m.BackendMessage:
        while True:
            message = self.decoder.next_message()
            if message is not None:
                self.messages.append(message)
                return message
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("the server closed the connection")
            self.received += data
            self.decoder.feed(data)

    def until(self, stop: type) -> list[m.BackendMessage]:
        """Messages up to and including the first of type `stop`."""
        seen = []
        while True:
            message = self.next()
            seen.append(message)
            if isinstance(message, stop):
                return seen

    def until_ready(self) -> list[m.BackendMessage]:
        return self.until(m.ReadyForQuery)

    def simple(self, sql: str) -> list[m.BackendMessage]:
        self.send(m.Query(sql))
        return self.until_ready()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.send(m.Terminate())
        self.sock.close()

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def stream(self, sql: str, on_bytes: Callable[[int], None] | None = None) -> StreamResult:
        """Run one simple Query, counting DataRows without decoding or recording them.

        `on_bytes(total)` is called after every socket read with the bytes received so far;
        a test sleeps inside it to stop reading while the server keeps sending.
        """
        assert self.decoder.buffered_bytes == 0, "stream() starts between statements"
        self.send(m.Query(sql))
        started = time.perf_counter()
        rows, tag, received, error = 0, "", 0, None
        buffer, pos = bytearray(), 0
        while True:
            if len(buffer) - pos >= 5:
                kind, length = _HEADER.unpack_from(buffer, pos)
                end = pos + 1 + length
                if end <= len(buffer):
                    if kind == b"D":
                        rows += 1
                    elif kind == b"C":
                        tag = bytes(buffer[pos + 5 : end]).rstrip(b"\x00").decode()
                    elif kind == b"E":
                        error = ServerError(_fields(bytes(buffer[pos + 5 : end])))
                    elif kind == b"Z":
                        self.decoder.feed(bytes(buffer[end:]))  # nothing, unless the server ran ahead
                        break
                    pos = end
                    continue
            del buffer[:pos]
            pos = 0
            data = self.sock.recv(READ_SIZE)
            if not data:
                raise ConnectionError("the server closed the connection")
            buffer += data
            received += len(data)
            if on_bytes is not None:
                on_bytes(received)
        if error is not None:
            raise error
        return StreamResult(rows, tag, received, time.perf_counter() - started)


def _fields(payload: bytes) -> dict[str, str]:
    return {part[:1].decode(): part[1:].decode(errors="replace") for part in payload.split(b"\x00") if part}
