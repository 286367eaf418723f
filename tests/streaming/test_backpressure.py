"""A 10,000,000-row result streams through the gateway with bounded memory (issue 2, item 6).

A raw client (tests/support/rawclient.py) asks a dedicated gateway for shop.orders crossed with ten rows,
reads the first few megabytes, then stops reading for several seconds, so the kernel's socket
buffers fill and the gateway's writes stop draining. A gateway that streams with backpressure
parks in `drain()` and burns no CPU while parked; one that buffers would keep rendering rows
into memory. The gateway's RSS is sampled from /proc the whole time.

Why the bound: one 65,536-row batch of these six columns is ~5.6 MB of DataRows (86 bytes a
row), and while it is in flight the gateway holds the Arrow batch (~3.4 MB), the rendered
columns (~5 MB), the joined DataRows and their copy as bytes (2 x 5.6 MB) and the TLS layer's
plaintext and ciphertext (up to 2 x 5.6 MB): about 30 MB for one batch. Two batches in flight
(one draining, one being rendered) plus DuckDB's operator state and allocator slack measured
30-75 MB here. The bound, 100 MB (about three batches in flight), is an eighth of the 863 MB
result and far under what buffering through a 6-second stall would cost (the gateway renders
80-150 MB of rows a second). The CPU check is the direct proof: while parked, it idles.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.streaming.memory import RssSampler
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.rawclient import RawClient, StreamResult

pytestmark = pytest.mark.slow  # 10,000,000 rows through a gateway of its own

ROWS = 10_000_000


def orders_times(copies: int) -> str:
    """shop.orders crossed with `copies` one-column rows: copies x 1,000,000 rows."""
    values = ", ".join(f"({i})" for i in range(1, copies + 1))
    return f"SELECT o.* FROM shop.orders o CROSS JOIN (VALUES {values}) AS x(k)"


QUERY = orders_times(10)
RESULT_BYTES = 863_000_000  # measured: 863,297,543 bytes for the whole text-format reply
STALL_AFTER = 4_000_000  # bytes read before the client stops reading
STALL_SECONDS = 6.0
MAX_RSS_GROWTH = 100_000_000
MAX_CPU_WHILE_STALLED = 0.75  # seconds of gateway CPU during the stall; producing would use ~6


@pytest.fixture(scope="module")
def own_gateway(demo_copy: Callable[[str], Path]):
    """A gateway of its own, so its RSS reflects this test's query and nothing else's.

    It first serves the same query over one copy of the orders (1,000,000 rows), so what is
    paid once — DuckDB reading the table's blocks into its buffer pool, modules imported,
    Arrow's memory pool growing to a batch's size — is not counted as the long result's cost.
    """
    with running_gateway(demo_copy("streaming")) as running:
        with RawClient.login(running) as client:
            warm = client.stream(orders_times(1))
        assert warm.rows == ROWS // 10
        yield running


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Staller:
    """The client's read hook: after STALL_AFTER bytes, stop reading and watch the gateway."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.cpu_during_stall: float | None = None
        self.received_at_stall = 0

    def __call__(self, received: int) -> None:
        if self.cpu_during_stall is not None or received < STALL_AFTER:
            return
        self.received_at_stall = received
        time.sleep(0.5)  # let the socket buffers fill; the gateway works until they are full
        before = cpu_seconds(self.pid)
        time.sleep(STALL_SECONDS - 0.5)
        self.cpu_during_stall = cpu_seconds(self.pid) - before


def stream(gateway: RunningGateway) -> tuple[StreamResult, RssSampler, Staller]:
    staller = Staller(gateway.process.pid)
    client = RawClient.login(gateway, timeout=120)
    with client, RssSampler(gateway.process.pid) as sampler:
        result = client.stream(QUERY, staller)
        after = client.stream("SELECT count(*) FROM shop.products")
    assert (after.rows, after.tag) == (1, "SELECT 1"), "the session is not usable after the stalled stream"
    return result, sampler, staller


def test_ten_million_rows_stream_with_bounded_memory(own_gateway):
    result, sampler, staller = stream(own_gateway)
    assert result.tag == f"SELECT {ROWS}"
    assert result.rows == ROWS
    assert result.payload_bytes >= RESULT_BYTES
    assert staller.cpu_during_stall is not None, "the client never stalled"
    assert staller.cpu_during_stall < MAX_CPU_WHILE_STALLED, (
        f"the gateway used {staller.cpu_during_stall:.2f} s of CPU while the client was not reading: "
        "it kept producing rows instead of waiting for the socket to drain"
    )
    assert sampler.samples > 100
    assert sampler.growth < MAX_RSS_GROWTH, (
        f"gateway RSS grew {sampler.growth / 1e6:.0f} MB while streaming {ROWS:,} rows "
        f"(bound {MAX_RSS_GROWTH / 1e6:.0f} MB): results are being buffered"
    )


class _HangUp(Exception):
    pass


def test_a_client_that_hangs_up_mid_stream_stops_the_query(own_gateway):
    """Closing the socket mid-result must stop DuckDB and the encoder, not leave them running."""

    def hang_up(received: int) -> None:
        if received > 20_000_000:
            raise _HangUp

    client = RawClient.login(own_gateway)
    with pytest.raises(_HangUp):
        client.stream(QUERY, hang_up)
    client.sock.close()
    time.sleep(1.0)
    before = cpu_seconds(own_gateway.process.pid)
    time.sleep(2.0)
    assert cpu_seconds(own_gateway.process.pid) - before < 0.3
    with RawClient.login(own_gateway) as again:
        result = again.stream("SELECT id FROM shop.orders WHERE id <= 3")
    assert (result.rows, result.tag) == (3, "SELECT 3")
