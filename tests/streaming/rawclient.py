"""A minimal PostgreSQL v3 client over a blocking TLS socket, for backpressure tests.

Real drivers read as fast as they can; to prove the gateway holds back when a client does
not read, the client must be able to stop reading at a chosen moment and leave the bytes in
the kernel's buffers. This one speaks just enough of the protocol for that: SSLRequest,
startup with a cleartext password (the gateway's JWT), a simple Query, and a reader that
walks message frames without decoding rows, so it costs the client little CPU per row.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass

_SSL_REQUEST = struct.pack("!ii", 8, 80877103)
_PROTOCOL_3 = 196608
_HEADER = struct.Struct("!cI")
READ_SIZE = 256 * 1024


class ServerError(Exception):
    """An ErrorResponse from the server; `fields` maps field codes (b'C', b'M') to values."""

    def __init__(self, fields: dict[bytes, str]) -> None:
        super().__init__(f"{fields.get(b'C', '?')}: {fields.get(b'M', '')}")
        self.fields = fields


@dataclass
class QueryResult:
    rows: int  # DataRow messages seen
    tag: str  # the CommandComplete tag
    payload_bytes: int  # bytes received for the whole result
    seconds: float


class RawClient:
    def __init__(
        self,
        host: str,
        port: int,
        user: str,
        password: str,
        database: str = "pgbridge",
        timeout: float = 60.0,
    ) -> None:
        plain = socket.create_connection((host, port), timeout=timeout)
        plain.sendall(_SSL_REQUEST)
        if plain.recv(1) != b"S":
            plain.close()
            raise ConnectionError("server refused TLS")
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # the demo's self-signed certificate; the test is about flow
        self.sock = context.wrap_socket(plain)
        self._buffer = bytearray()
        self._startup(user, password, database)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.sendall(b"X" + struct.pack("!i", 4))
        self.sock.close()

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- protocol ------------------------------------------------------------------------

    def _startup(self, user: str, password: str, database: str) -> None:
        body = (
            struct.pack("!i", _PROTOCOL_3)
            + b"".join(
                key.encode() + b"\x00" + value.encode() + b"\x00"
                for key, value in (("user", user), ("database", database))
            )
            + b"\x00"
        )
        self.sock.sendall(struct.pack("!i", len(body) + 4) + body)
        kind, payload = self._message()
        if kind != b"R" or struct.unpack("!i", payload[:4])[0] != 3:
            raise ConnectionError(f"expected a cleartext password request, got {kind!r}")
        secret = password.encode() + b"\x00"
        self.sock.sendall(b"p" + struct.pack("!i", len(secret) + 4) + secret)
        self._until_ready()

    def query(self, sql: str, on_bytes: Callable[[int], None] | None = None) -> QueryResult:
        """Run one simple-protocol statement; count its rows without decoding them.

        `on_bytes(total)` is called after every socket read with the bytes received so far;
        a test sleeps inside it to stop reading while the server keeps sending.
        """
        text = sql.encode() + b"\x00"
        self.sock.sendall(b"Q" + struct.pack("!i", len(text) + 4) + text)
        started = time.perf_counter()
        rows, tag, received, error = 0, "", 0, None
        buffer = self._buffer
        pos = 0
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
                        del buffer[:end]
                        break
                    pos = end
                    continue
            del buffer[:pos]
            pos = 0
            received += self._fill(buffer)
            if on_bytes is not None:
                on_bytes(received)
        if error is not None:
            raise error
        return QueryResult(rows, tag, received, time.perf_counter() - started)

    def _fill(self, buffer: bytearray) -> int:
        data = self.sock.recv(READ_SIZE)
        if not data:
            raise ConnectionError("server closed the connection")
        buffer += data
        return len(data)

    def _message(self) -> tuple[bytes, bytes]:
        while len(self._buffer) < 5 or len(self._buffer) < 1 + _HEADER.unpack_from(self._buffer)[1]:
            self._fill(self._buffer)
        kind, length = _HEADER.unpack_from(self._buffer)
        payload = bytes(self._buffer[5 : 1 + length])
        del self._buffer[: 1 + length]
        if kind == b"E":
            raise ServerError(_fields(payload))
        return kind, payload

    def _until_ready(self) -> None:
        while self._message()[0] != b"Z":
            pass


def _fields(payload: bytes) -> dict[bytes, str]:
    fields = {}
    for part in payload.split(b"\x00"):
        if part:
            fields[part[:1]] = part[1:].decode(errors="replace")
    return fields
