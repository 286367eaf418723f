"""The corpus through asyncpg (binary results), with every byte it receives kept.

asyncpg decodes what it reads and offers no hook for the raw stream, so after connecting
the test puts a recording protocol between asyncio's TLS layer and asyncpg's protocol:
`SSLProtocol._set_app_protocol` (CPython's asyncio.sslproto) swaps the application protocol
that decrypted bytes are handed to. The tap forwards every call unchanged. This is test-only
use of a private asyncio interface, checked by test_asyncpg_tap_sees_the_result_bytes.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import asyncpg

from tests.masking_wire.outcome import Outcome, approve, pending_request
from tests.support.clients import asyncpg_connect


class _Tap(asyncio.Protocol):
    def __init__(self, inner: Any, sink: bytearray) -> None:
        self.inner = inner
        self.sink = sink

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self.sink += data
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()


class RecordingAsyncpg:
    def __init__(self, conn: asyncpg.Connection, sink: bytearray, data_dir: Any) -> None:
        self.conn = conn
        self.sink = sink
        self.data_dir = data_dir

    @classmethod
    async def connect(cls, gateway: Any, user: str, roles: tuple[str, ...]) -> RecordingAsyncpg:
        context = ssl.create_default_context(cafile=str(gateway.cert))
        conn = await asyncpg_connect(gateway, user, roles, ssl=context, timeout=60)
        sink = bytearray()
        ssl_protocol = conn._transport._ssl_protocol
        ssl_protocol._set_app_protocol(_Tap(conn._protocol, sink))
        await conn.execute("SET pgbridge.approval = 'ticket'")
        return cls(conn, sink, gateway.data_dir)

    async def run(self, sql: str) -> Outcome:
        outcome = await self._once(sql)
        request = pending_request(outcome.message) if outcome.sqlstate == "42501" else None
        if request is None:
            return outcome
        approve(self.data_dir, request)
        again = await self._once(sql)
        again.received = outcome.received + again.received
        again.approved = True
        return again

    async def _once(self, sql: str) -> Outcome:
        start = len(self.sink)
        try:
            records = await self.conn.fetch(sql)
        except asyncpg.PostgresError as error:
            return Outcome(bytes(self.sink[start:]), error.sqlstate, error.args[0] if error.args else "")
        decoded = repr([tuple(r) for r in records]).encode()  # what the program sees, searched as well
        return Outcome(bytes(self.sink[start:]) + decoded, None, "", len(records))

    async def close(self) -> None:
        await self.conn.close()
