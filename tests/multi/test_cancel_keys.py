"""[cluster] settings, the cancel key's layout, and forwarding to a peer over a real socket.

The end-to-end check (three gateways, a cancel landing on the wrong one) is
test_cancel_across_gateways.py; these are the parts it rests on, each quick.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from pgbridge.config import load_config
from pgbridge.config_base import ConfigError, Section
from pgbridge.ops.metrics import REGISTRY
from pgbridge.server.cancel_keys import new_process_id, new_secret, peer_of
from pgbridge.server.cancel_peers import REPEAT_WINDOW_S, CancelPeers
from pgbridge.server.cluster import ClusterSettings, PeerAddress, cluster_settings_from
from pgbridge.server.multiworker import owner_of

LISTEN = PeerAddress("10.0.0.1", 5433)
CANCEL_CODE = 80877102


def _cluster(table: dict[str, object]) -> ClusterSettings:
    return cluster_settings_from(Section(table, "cluster"), LISTEN)


def test_one_peers_table_serves_every_gateway_its_own_id_skipped():
    peers = {"1": "10.0.0.1:5433", "2": "gw2.internal:6432", "3": "[2001:db8::3]:5433"}
    settings = _cluster({"peer_id": 1, "peers": peers, "forward_timeout_s": 1})
    assert settings.peered and settings.forward_timeout_s == 1.0
    assert settings.peers == {2: PeerAddress("gw2.internal", 6432), 3: PeerAddress("2001:db8::3", 5433)}
    assert str(settings.peers[3]) == "[2001:db8::3]:5433"
    assert not _cluster({}).peered and _cluster({}).peers == {}


@pytest.mark.parametrize(
    ("table", "key", "words"),
    [
        ({"peer_id": 0}, "cluster.peer_id", "between 1 and 255"),
        ({"peer_id": 256}, "cluster.peer_id", "between 1 and 255"),
        ({"peer_id": "1"}, "cluster.peer_id", "expected int"),
        ({"peers": {"2": "gw2:5433"}}, "cluster.peer_id", "required when cluster.peers"),
        ({"peer_id": 1, "peers": {"gw2": "gw2:5433"}}, "cluster.peers.gw2", "peer id"),
        ({"peer_id": 1, "peers": {"300": "gw2:5433"}}, "cluster.peers.300", "from 1 to 255"),
        ({"peer_id": 1, "peers": {"2": "a:1", "02": "b:1"}}, "cluster.peers.02", "listed twice"),
        ({"peer_id": 1, "peers": {"2": "gw2"}}, "cluster.peers.2", '"host:port"'),
        ({"peer_id": 1, "peers": {"2": "gw2:0"}}, "cluster.peers.2", "1 to 65535"),
        ({"peer_id": 1, "peers": {"2": 5433}}, "cluster.peers.2", "got int"),
        ({"peer_id": 1, "peers": {"2": "2001:db8::2:5433"}}, "cluster.peers.2", "brackets"),
        ({"peer_id": 1, "peers": {"2": "10.0.0.1:5433"}}, "cluster.peers.2", "this gateway's own"),
        ({"peer_id": 1, "forward_timeout_s": 0}, "cluster.forward_timeout_s", "more than 0"),
        ({"peer_id": 1, "peer": 2}, "cluster.peer", "unknown key"),
    ],
)
def test_mistakes_name_the_key(table: dict[str, object], key: str, words: str):
    with pytest.raises(ConfigError) as caught:
        _cluster(table)
    assert caught.value.key == key and words in str(caught.value), str(caught.value)


def test_the_config_file_reads_cluster(demo_copy: Callable[[str], Path]):
    folder = demo_copy("cluster-config")
    plain = load_config(folder / "pgbridge.toml")
    text = (folder / "pgbridge.toml").read_text()
    text += '\n[cluster]\npeer_id = 3\npeers = { 1 = "gw1:5433", 2 = "gw2:5433", 3 = "gw3:5433" }\n'
    (folder / "pgbridge.toml").write_text(text)
    cluster = load_config(folder / "pgbridge.toml").cluster
    assert cluster.peer_id == 3 and sorted(cluster.peers) == [1, 2]
    assert not plain.cluster.peered


def test_the_key_names_its_peer_and_worker_and_stays_a_positive_int32():
    for peer in (1, 2, 17, 255):
        for worker in (0, 1, 63):
            ids = {new_process_id(peer, worker) for _ in range(200)}
            assert all(0 < pid < 2**31 for pid in ids)
            assert {peer_of(pid) for pid in ids} == {peer} and {owner_of(pid) for pid in ids} == {worker}
            assert len(ids) > 190  # 17 random bits between them
    unpeered = {new_process_id(0, 1) for _ in range(2000)}
    assert all(0 < pid < 2**31 for pid in unpeered) and {owner_of(pid) for pid in unpeered} == {1}
    assert len({peer_of(pid) for pid in unpeered}) > 100  # without a peer id those bits are random
    secrets_ = [new_secret() for _ in range(2000)]
    assert all(0 <= s < 2**31 for s in secrets_) and max(secrets_) > 2**30  # the full 31 bits


@asynccontextmanager
async def _listening_peer() -> AsyncIterator[tuple[PeerAddress, list[bytes]]]:
    """A TCP listener standing where a peer gateway would: it keeps what each connection sent."""
    received: list[bytes] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.read(100))
        writer.close()

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    try:
        yield PeerAddress("127.0.0.1", server.sockets[0].getsockname()[1]), received
    finally:
        server.close()


def _forwarded(outcome: str) -> float:
    value = REGISTRY.get_sample_value("pgbridge_cancel_requests_forwarded_total", {"outcome": outcome})
    return value or 0.0


async def _until(condition: object, seconds: float = 5) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        await asyncio.sleep(0.02)


async def test_a_peers_key_goes_to_that_peer_as_the_same_16_bytes(caplog: pytest.LogCaptureFixture):
    async with _listening_peer() as (address, received):
        peers = CancelPeers(ClusterSettings(1, {2: address}))
        pid, secret = new_process_id(2, 5), new_secret()
        before = _forwarded("forwarded"), _forwarded("repeated")
        assert peers.owns(new_process_id(1, 0)) and not peers.owns(pid)
        with caplog.at_level(logging.INFO, "pgbridge.gateway"):
            await peers.forward(pid, secret)
            await peers.forward(pid, secret)  # at once again: not forwarded twice (a loop guard)
            await _until(lambda: received)
            await asyncio.sleep(0.2)
        assert received == [struct.pack("!iiii", 16, CANCEL_CODE, pid, secret)]
        assert "forwarded to peer 2" in caplog.text and "not forwarded to peer 2" in caplog.text
        assert (_forwarded("forwarded"), _forwarded("repeated")) == (before[0] + 1, before[1] + 1)
        await asyncio.sleep(REPEAT_WINDOW_S)
        await peers.forward(pid, secret)  # after the window it goes again (a second Ctrl-C)
        await _until(lambda: len(received) == 2)
        assert len(received) == 2
    assert str(secret) not in caplog.text


async def test_unknown_and_unreachable_peers_drop_the_request_and_say_so(caplog: pytest.LogCaptureFixture):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead = PeerAddress("127.0.0.1", closed.getsockname()[1])  # bound, not listening: refused
    peers = CancelPeers(ClusterSettings(1, {2: dead}, forward_timeout_s=1))
    secret = new_secret()
    with caplog.at_level(logging.INFO, "pgbridge.gateway"):
        started = time.monotonic()
        await peers.forward(new_process_id(2, 0), secret)
        await peers.forward(new_process_id(9, 0), secret)
        assert time.monotonic() - started < 3
    assert "could not forward a cancel request" in caplog.text and "to peer 2" in caplog.text
    assert "names peer 9, which is not in [cluster] peers" in caplog.text
    assert str(secret) not in caplog.text
