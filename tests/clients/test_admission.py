"""Connections before authentication, over real sockets to a real gateway (issue 10, item 5).

A socket that says nothing, stops after its SSLRequest or never sends its password is closed
after [server] authentication_timeout_s; sockets that have not authenticated count against
max_unauthenticated_connections and stop counting once closed; the password message is
bounded before authentication while the startup packet keeps PostgreSQL's 10,000 bytes.
The gateway here runs the demo config with a 1.5 s timeout and room for 3 strangers.
"""

from __future__ import annotations

import socket
import ssl
import struct
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import pytest

from pgbridge.demo.setup import demo_config
from pgbridge.wire import codec
from pgbridge.wire import messages as m
from tests.audit_wire.support import of_type, read_records
from tests.support.clients import asyncpg_connect
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.rawclient import RawClient

pytestmark = pytest.mark.slow  # a gateway of its own; waits out its authentication timeouts

TIMEOUT_S = 1.5
STRANGERS = 3


def _config(timeout_s: float = TIMEOUT_S) -> str:
    text = demo_config("127.0.0.1", 0).replace("\nport = 0\n", "\nport = {port}\n", 1)
    extra = f"authentication_timeout_s = {timeout_s}\nmax_unauthenticated_connections = {STRANGERS}\n"
    return text.replace("[server]\n", "[server]\n" + extra, 1)


@pytest.fixture(scope="module")
def strict(demo_copy: Callable[[str], Path]) -> Iterator[RunningGateway]:
    with running_gateway(demo_copy("admission"), _config()) as gateway:
        yield gateway


@pytest.fixture(scope="module")
def patient(demo_copy: Callable[[str], Path]) -> Iterator[RunningGateway]:
    """The same limits with a long authentication timeout: strangers held for a count must not
    time out (and free their slots) while a loaded machine is slow to accept the next one."""
    with running_gateway(demo_copy("admission-patient"), _config(30)) as gateway:
        yield gateway


def _raw(gateway: RunningGateway) -> socket.socket:
    return socket.create_connection((gateway.host, gateway.port), timeout=30)


def _tls(gateway: RunningGateway) -> socket.socket:
    return RawClient.tls(gateway, timeout=30).sock


def _until_closed(sock: socket.socket) -> tuple[list[object], float]:
    """Every message the gateway sends until it closes, and how long that took."""
    started, decoder, seen = time.monotonic(), codec.BackendDecoder(), []
    while True:
        try:
            data = sock.recv(65536)
        except (ConnectionResetError, ssl.SSLEOFError):
            data = b""
        if not data:
            return seen, time.monotonic() - started
        decoder.feed(data)
        while (message := decoder.next_message()) is not None:
            seen.append(message)


def _fatal(seen: list[object]) -> dict[str, str]:
    errors = [msg.fields for msg in seen if isinstance(msg, m.ErrorResponse)]
    assert errors, f"no ErrorResponse before the close: {seen}"
    assert errors[-1]["S"] == "FATAL"
    return errors[-1]


def _startup(sock: socket.socket, user: str = "alice", **params: str) -> None:
    startup = m.StartupMessage(196608, {"user": user, "database": "pgbridge", **params})
    sock.sendall(codec.encode_frontend(startup))


async def _login(gateway: RunningGateway) -> asyncpg.Connection:
    return await asyncpg_connect(gateway, "alice", ("analyst",))


def test_a_socket_that_sends_nothing_is_closed_with_a_fatal_after_the_timeout(strict):
    with _raw(strict) as sock:
        seen, waited = _until_closed(sock)
    error = _fatal(seen)
    assert (error["C"], error["M"]) == ("57014", "canceling authentication due to timeout")
    assert TIMEOUT_S - 0.2 <= waited <= TIMEOUT_S + 5


def test_a_socket_stopped_after_its_ssl_request_is_closed(strict):
    with _raw(strict) as sock:
        sock.sendall(codec.encode_frontend(m.SSLRequest()))
        assert sock.recv(1) == b"S"
        seen, waited = _until_closed(sock)
    # Mid-handshake nothing can be written: plaintext would be garbage to the TLS client.
    assert seen == [] and TIMEOUT_S - 0.2 <= waited <= TIMEOUT_S + 5


def test_a_client_that_never_sends_its_password_gets_a_fatal_and_a_closed_record(strict):
    with _tls(strict) as sock:
        _startup(sock, application_name="never-sends-password")
        seen, waited = _until_closed(sock)
    assert isinstance(seen[0], m.AuthenticationCleartextPassword)
    assert _fatal(seen)["C"] == "57014" and waited <= TIMEOUT_S + 5
    records = read_records(strict.data_dir / "audit")
    [opened] = [r["data"] for r in records if r["type"] == "connection_opened"
                and r["data"].get("application_name") == "never-sends-password"]
    [closed] = of_type(records, "connection_closed", session_id=opened["session_id"])
    assert "authentication" in closed["reason"]


async def test_unauthenticated_sockets_count_against_their_limit_until_they_close(patient):
    strict = patient
    silent = [_raw(strict) for _ in range(STRANGERS)]
    try:
        time.sleep(1.0)  # the gateway has accepted them all
        with _raw(strict) as extra:
            seen, waited = _until_closed(extra)
        assert _fatal(seen)["C"] == "53300" and waited < 1, "a fourth stranger was let in"
    finally:
        for sock in silent:
            sock.close()
    # Closed sockets count nowhere any more: a client logs in and works.
    deadline = time.monotonic() + 10
    while True:
        try:
            conn = await _login(strict)
            break
        except (asyncpg.TooManyConnectionsError, ConnectionError):  # 53300, as the SSL answer
            assert time.monotonic() < deadline, "closed strangers still hold their slots"
            time.sleep(0.1)
    try:
        assert await conn.fetchval("SELECT 1") == 1
    finally:
        await conn.close()


async def test_authenticated_sessions_do_not_count_as_strangers(strict):
    sessions = [await _login(strict) for _ in range(STRANGERS + 2)]
    try:
        for conn in sessions:
            assert await conn.fetchval("SELECT 1") == 1
    finally:
        for conn in sessions:
            await conn.close()


def test_timed_out_strangers_give_their_slots_back(strict):
    silent = [_raw(strict) for _ in range(STRANGERS)]
    try:
        for sock in silent:
            _fatal(_until_closed(sock)[0])  # closed by the gateway, not by us
        with _tls(strict) as sock:
            _startup(sock)
            decoder = codec.BackendDecoder()
            decoder.feed(sock.recv(65536))
            assert isinstance(decoder.next_message(), m.AuthenticationCleartextPassword)
    finally:
        for sock in silent:
            sock.close()


def test_a_password_message_over_the_limit_is_refused_from_its_header(strict):
    with _tls(strict) as sock:
        _startup(sock)
        sock.recv(65536)
        # Only the header of a 1 MiB message: the gateway must not wait for the rest.
        sock.sendall(b"p" + struct.pack("!i", 1024 * 1024))
        seen, waited = _until_closed(sock)
    error = _fatal(seen)
    assert error["C"] == "08P01" and "8192" in error["M"] and waited < 1


async def test_a_large_token_within_the_limit_still_logs_in(strict):
    token = strict.token("alice", ("analyst",), padding="x" * 5000)
    assert 5000 < len(token) < 8000
    conn = await asyncpg_connect(strict, password=token)
    try:
        assert await conn.fetchval("SELECT 1") == 1
    finally:
        await conn.close()


def test_the_startup_packet_keeps_postgresqls_10000_bytes(strict):
    def packet_of(size: int) -> bytes:
        fixed = len(codec.encode_frontend(m.StartupMessage(196608, {"user": "alice", "database": "pgbridge",
                                                                     "application_name": ""})))
        return codec.encode_frontend(m.StartupMessage(196608, {
            "user": "alice", "database": "pgbridge", "application_name": "a" * (size - fixed)}))

    with _tls(strict) as sock:
        sock.sendall(packet_of(10000))
        decoder = codec.BackendDecoder()
        decoder.feed(sock.recv(65536))
        assert isinstance(decoder.next_message(), m.AuthenticationCleartextPassword)
    with _tls(strict) as sock:
        sock.sendall(packet_of(10001))
        seen, _ = _until_closed(sock)
    assert _fatal(seen)["C"] == "08P01"
