"""Gauges read when /metrics is scraped: connections by state and worker-pool saturation.

Their truth already lives in the listener (its admission counts and open connections) and in
each worker pool, so nothing on the hot path keeps a second copy: these collectors ask when
Prometheus asks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from pgbridge import workers
from pgbridge.ops.metrics import REGISTRY

ConnectionStates = Callable[[], Mapping[str, int]]


class _Connections(Collector):
    def __init__(self) -> None:
        self.source: ConnectionStates | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "pgbridge_connections",
            "Open client connections by state: unauthenticated, idle, active (running a statement)",
            labels=["state"],
        )
        states = self.source() if self.source is not None else {}
        for state, count in states.items():
            family.add_metric([state], count)
        yield family


class _Pools(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        busy = GaugeMetricFamily(
            "pgbridge_worker_threads_busy", "Worker threads running a call, by pool", labels=["pool"]
        )
        limit = GaugeMetricFamily(
            "pgbridge_worker_threads_max", "Most threads a pool may run", labels=["pool"]
        )
        queued = GaugeMetricFamily(
            "pgbridge_worker_queue", "Calls waiting for a worker thread, by pool", labels=["pool"]
        )
        totals: dict[str, tuple[int, int, int]] = {}
        for pool in list(workers.POOLS):
            now = pool.saturation()
            before = totals.get(pool.name, (0, 0, 0))
            totals[pool.name] = (before[0] + now[0], before[1] + now[1], before[2] + now[2])
        for name, (running, most, waiting) in sorted(totals.items()):
            busy.add_metric([name], running)
            limit.add_metric([name], most)
            queued.add_metric([name], waiting)
        yield from (busy, limit, queued)


CONNECTIONS = _Connections()
REGISTRY.register(CONNECTIONS)
REGISTRY.register(_Pools())


def watch_connections(source: ConnectionStates | None) -> None:
    """The listener whose connections pgbridge_connections reports (one per process)."""
    CONNECTIONS.source = source
