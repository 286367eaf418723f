"""A minimal PostgreSQL frontend over TLS that keeps every byte the gateway sends.

Built on pgbridge's own codec (as tests/clients/test_protocol.py does): the bytes are
recorded after TLS decryption and before any decoding, so a value hidden in a field no
decoder looks at (a notice, an error's detail, a RowDescription name) is still searched.
Statements run through the extended protocol with the result format asked for: 0 text,
1 binary.
"""

from __future__ import annotations

import socket
import ssl
from pathlib import Path
from typing import Any

from pgbridge.wire import codec
from pgbridge.wire import messages as m
from tests.masking_wire.outcome import Outcome, approve, pending_request


class RecordingClient:
    def __init__(self, gateway: Any, user: str, roles: tuple[str, ...]) -> None:
        raw = socket.create_connection((gateway.host, gateway.port), timeout=60)
        raw.sendall(codec.encode_frontend(m.SSLRequest()))
        if raw.recv(1) != b"S":
            raise ConnectionError("the gateway refused TLS")
        context = ssl.create_default_context(cafile=str(gateway.cert))
        self.sock = context.wrap_socket(raw, server_hostname=gateway.host)
        self.data_dir: Path = gateway.data_dir
        self.decoder = codec.BackendDecoder()
        self.received = bytearray()
        self.send(m.StartupMessage(196608, {"user": user, "database": "pgbridge"}))
        if not isinstance(self.next(), m.AuthenticationCleartextPassword):
            raise ConnectionError("expected a password request")
        self.send(m.PasswordMessage(gateway.token(user, roles)))
        self._expect_ok(self.until_ready())

    def send(self, *messages: object) -> None:
        self.sock.sendall(b"".join(codec.encode_frontend(msg) for msg in messages))  # type: ignore[arg-type]

    def next(self) -> object:
        while True:
            message = self.decoder.next_message()
            if message is not None:
                return message
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("gateway closed the connection")
            self.received += data
            self.decoder.feed(data)

    def until_ready(self) -> list[object]:
        seen = []
        while True:
            message = self.next()
            seen.append(message)
            if isinstance(message, m.ReadyForQuery):
                return seen

    def simple(self, sql: str) -> list[object]:
        self.send(m.Query(sql))
        return self.until_ready()

    def run(self, sql: str, result_format: int) -> Outcome:
        """Run one statement; approve and re-run it once when it waits for an approval."""
        outcome = self._once(sql, result_format)
        request = pending_request(outcome.message) if outcome.sqlstate == "42501" else None
        if request is None:
            return outcome
        approve(self.data_dir, request)
        again = self._once(sql, result_format)
        again.received = outcome.received + again.received
        again.approved = True
        return again

    def _once(self, sql: str, result_format: int) -> Outcome:
        start = len(self.received)
        self.send(
            m.Parse("", sql, ()),
            m.Bind("", "", (), (), (result_format,)),
            m.Describe("P", ""),
            m.Execute("", 0),
            m.Sync(),
        )
        seen = self.until_ready()
        errors = [msg for msg in seen if isinstance(msg, m.ErrorResponse)]
        rows = sum(isinstance(msg, m.DataRow) for msg in seen)
        received = bytes(self.received[start:])
        if errors:
            return Outcome(received, errors[0].fields.get("C"), errors[0].fields.get("M", ""), rows)
        return Outcome(received, None, "", rows)

    def _expect_ok(self, seen: list[object]) -> None:
        errors = [msg for msg in seen if isinstance(msg, m.ErrorResponse)]
        if errors:
            raise ConnectionError(f"gateway refused the session: {errors[0].fields}")

    def close(self) -> None:
        self.send(m.Terminate())
        self.sock.close()
