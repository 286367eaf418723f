"""FrontendDecoder reads what real client libraries send.

A small recording proxy sits between a client library and the real PostgreSQL; every chunk
the client sends is fed, chunk by chunk as it arrived, to FrontendDecoder. All of it must
decode, and re-encoding the messages must give back the client's exact bytes.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import pg8000.native
import psycopg
import pytest

from pgbridge.wire import messages as m
from pgbridge.wire.codec import FrontendDecoder, encode_frontend
from tests.support.postgres import PostgresServer


class RecordingProxy:
    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.chunks: list[bytes] = []
        self.threads: list[threading.Thread] = []
        self._start(self._accept)

    def _start(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        thread.start()
        self.threads.append(thread)

    def _accept(self) -> None:
        client, _ = self.listener.accept()
        server = socket.create_connection(self.upstream)
        self._start(self._pump, client, server, True)
        self._start(self._pump, server, client, False)

    def _pump(self, src: socket.socket, dst: socket.socket, record: bool) -> None:
        with contextlib.suppress(OSError):
            while chunk := src.recv(65536):
                if record:
                    self.chunks.append(chunk)
                dst.sendall(chunk)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self.listener.close()
        for thread in self.threads:
            thread.join(timeout=5)


@pytest.fixture
def proxy(postgres: PostgresServer) -> Iterator[RecordingProxy]:
    p = RecordingProxy((postgres.host, postgres.port))
    yield p
    p.close()


def decode_recording(chunks: list[bytes]) -> list[m.FrontendMessage]:
    decoder = FrontendDecoder()
    out: list[m.FrontendMessage] = []
    for chunk in chunks:
        decoder.feed(chunk)
        while (msg := decoder.next_message()) is not None:
            out.append(msg)
    assert decoder.buffered_bytes == 0
    assert b"".join(encode_frontend(x) for x in out) == b"".join(chunks)
    return out


def test_psycopg_libpq_messages(proxy: RecordingProxy, postgres: PostgresServer) -> None:
    dsn = f"host=127.0.0.1 port={proxy.port} user={postgres.user} dbname=postgres sslmode=prefer"
    with psycopg.connect(dsn, application_name="wire-test") as conn:
        conn.execute("SELECT %s::int8, %s::text, %s::bytea", (7, "é", b"\x00\x01"), prepare=True)
        conn.execute("SELECT %b::numeric", (1.5,), binary=True)
        with conn.cursor().copy("COPY (SELECT 1) TO STDOUT") as copy:
            list(copy)
    proxy.close()  # waits until the proxy has seen the client's last byte
    messages = decode_recording(proxy.chunks)
    assert isinstance(messages[0], m.SSLRequest)  # libpq asks first; the test server says no
    startup = messages[1]
    assert isinstance(startup, m.StartupMessage)
    assert startup.parameters["application_name"] == "wire-test"
    assert startup.parameters["user"] == postgres.user
    kinds = {type(x) for x in messages}
    assert {m.Parse, m.Bind, m.Describe, m.Execute, m.Sync, m.Query, m.Terminate} <= kinds
    binds = [x for x in messages if isinstance(x, m.Bind)]
    assert any(b"\x00\x01" in (p or b"") for b in binds for p in b.params)


def test_pg8000_messages(proxy: RecordingProxy, postgres: PostgresServer) -> None:
    conn = pg8000.native.Connection(postgres.user, host="127.0.0.1", port=proxy.port, database="postgres")
    assert conn.run("SELECT :a::int4 + 1", a=41) == [[42]]
    conn.close()
    proxy.close()
    messages = decode_recording(proxy.chunks)
    if isinstance(messages[0], m.SSLRequest):  # pg8000 asks for TLS first unless told not to
        messages = messages[1:]
    assert isinstance(messages[0], m.StartupMessage)
    assert any(isinstance(x, m.Parse) and "$1" in x.sql for x in messages)
    assert isinstance(messages[-1], m.Terminate)
