"""The sans-I/O PostgreSQL v3 codec: bytes in, messages out; messages in, bytes out.

Like h11, nothing here touches a socket: the session feeds whatever bytes arrived with
`feed()` and pulls complete messages with `next_message()` (None means "need more bytes").
The frontend decoder starts in the startup phase (untyped packets: SSLRequest,
GSSENCRequest, CancelRequest, StartupMessage) and switches to typed messages by itself
after the StartupMessage.

Two kinds of failure, two outcomes:
- framing errors (unknown type byte, impossible or oversized length) mean the stream can no
  longer be split into messages; the decoder remembers the error and raises it again on
  every later call, and stops buffering;
- body errors (missing NUL, a count past the end, trailing bytes, bad UTF-8) are found after
  the whole message was consumed, so the framing is still sound and decoding can go on if
  the session chooses to treat them as non-fatal (PostgreSQL reports "invalid message format"
  as ERROR).
Both raise PgError 08P01 with severity FATAL, as the protocol violations they are.

A declared length is checked against the limit as soon as the 5-byte header is in, before
any of the body is buffered, so a client cannot make the gateway hold more than the limit.
"""

from __future__ import annotations

import struct

from pgbridge.wire import messages as m
from pgbridge.wire._reader import protocol_violation
from pgbridge.wire.backend import (
    BACKEND_TYPES,
    command_complete,
    data_row,
    encode,
    error_response,
    field_description,
    notice_response,
    parameter_status,
    parse_backend,
    ready_for_query,
    row_description,
)
from pgbridge.wire.errors import PgError
from pgbridge.wire.frontend import FRONTEND_TYPES, encode_frontend, parse_startup, parse_typed

__all__ = [
    "BackendDecoder",
    "FrontendDecoder",
    "command_complete",
    "data_row",
    "encode",
    "encode_frontend",
    "error_response",
    "field_description",
    "notice_response",
    "parameter_status",
    "ready_for_query",
    "row_description",
]

DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024
# PostgreSQL's MAX_STARTUP_PACKET_LENGTH: nothing legitimate before authentication is larger.
MAX_STARTUP_PACKET = 10000

_I32 = struct.Struct("!i")
_TYPED_HDR = struct.Struct("!xi")


class _TypedFramer:
    """Splits a stream of typed messages (1 type byte, int32 length including itself)."""

    def __init__(self, max_message_size: int, types: frozenset[int], side: str) -> None:
        self._buf = bytearray()
        self._max = max_message_size
        self._types = types
        self._side = side
        self._error: PgError | None = None

    @property
    def buffered_bytes(self) -> int:
        return len(self._buf)

    @property
    def broken(self) -> PgError | None:
        """The framing error that ended this stream, if any (every later call raises it)."""
        return self._error

    @property
    def max_message_size(self) -> int:
        return self._max

    @max_message_size.setter
    def max_message_size(self, limit: int) -> None:
        # The session may lower it until the client has authenticated.
        self._max = limit

    def feed(self, data: bytes) -> None:
        if self._error is None:
            self._buf += data

    def _fail(self, message: str) -> PgError:
        self._error = protocol_violation(message)
        self._buf.clear()
        return self._error

    def _take_typed(self) -> tuple[int, bytes] | None:
        buf = self._buf
        if not buf:
            return None
        type_byte = buf[0]
        if type_byte not in self._types:
            raise self._fail(f"invalid {self._side} message type {type_byte} ({chr(type_byte)!r})")
        if len(buf) < 5:
            return None
        length = _TYPED_HDR.unpack_from(buf)[0]
        if length < 4:
            raise self._fail(f"invalid message length {length} for message type {chr(type_byte)!r}")
        if length > self._max:
            raise self._fail(f"message of {length} bytes exceeds the limit of {self._max}")
        end = length + 1
        if len(buf) < end:
            return None
        body = bytes(buf[5:end])
        del buf[:end]
        return type_byte, body


class FrontendDecoder(_TypedFramer):
    """Decodes what a client sends, from its first byte to Terminate."""

    def __init__(self, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        super().__init__(max_message_size, FRONTEND_TYPES, "frontend")
        self._startup = True

    @property
    def in_startup_phase(self) -> bool:
        """True until a StartupMessage has been decoded."""
        return self._startup

    def next_message(self) -> m.FrontendMessage | None:
        if self._error is not None:
            raise self._error
        if self._startup:
            return self._next_startup()
        frame = self._take_typed()
        if frame is None:
            return None
        return parse_typed(frame[0], frame[1])

    def _next_startup(self) -> m.FrontendMessage | None:
        buf = self._buf
        if len(buf) < 4:
            return None
        length = _I32.unpack_from(buf)[0]
        limit = min(self._max, MAX_STARTUP_PACKET)
        if length < 8:
            raise self._fail(f"invalid length of startup packet: {length}")
        if length > limit:
            raise self._fail(f"startup packet of {length} bytes exceeds the limit of {limit}")
        if len(buf) < length:
            return None
        body = bytes(buf[4:length])
        del buf[:length]
        message = parse_startup(body)
        if isinstance(message, m.StartupMessage):
            self._startup = False
        elif isinstance(message, m.SSLRequest | m.GSSENCRequest) and buf:
            # Bytes sent before the TLS/GSS handshake were not encrypted and may have been
            # injected by a man in the middle (CVE-2021-23214); PostgreSQL refuses them too.
            kind = "SSL" if isinstance(message, m.SSLRequest) else "GSSAPI encryption"
            raise self._fail(f"received unencrypted data after {kind} request")
        return message


class BackendDecoder(_TypedFramer):
    """Decodes what a server sends after startup (for tests and clients)."""

    def __init__(self, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        super().__init__(max_message_size, BACKEND_TYPES, "backend")

    def next_message(self) -> m.BackendMessage | None:
        if self._error is not None:
            raise self._error
        frame = self._take_typed()
        if frame is None:
            return None
        return parse_backend(frame[0], frame[1])
