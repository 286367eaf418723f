"""The gateway's Prometheus metrics, defined once, in their own registry.

Counted where the events happen, and cheaply: per connection, per statement, per result
batch (never per row), per audit group. Gauges whose truth lives elsewhere (connections by
state, worker pools, approvals pending) are read when /metrics is scraped, by the collectors
in pgbridge.ops.collectors, so the hot path does no bookkeeping for them.

One registry per process. With several worker processes (`serve --workers N`) each worker
serves its own /metrics on its own admin port; Prometheus scrapes each and sums with
`sum without (instance)`: no shared files, no cross-process locking.
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
)

disable_created_metrics()  # no `_created` series: a counter's start is the process's start
REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)  # RSS, open file descriptors, CPU: what a load run watches
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

_SECONDS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
_FAST_SECONDS = (0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5)
# Bytes billed: BigQuery bills at least 10 MB a query, so buckets run from 10 MB up to 10 TB.
_BILLED = tuple(float(10**e) for e in range(7, 14)) + (float("inf"),)

CONNECTIONS_ACCEPTED = Counter(
    "pgbridge_connections_accepted", "Client sockets accepted (before authentication)", registry=REGISTRY
)
CONNECTIONS_REFUSED = Counter(
    "pgbridge_connections_refused", "Client sockets turned away at accept (no slot left)", registry=REGISTRY
)
CONNECTIONS_CLOSED = Counter(
    "pgbridge_connections_closed", "Audited connections that ended, by how", ["outcome"], registry=REGISTRY
)
CANCELS_FORWARDED = Counter(
    "pgbridge_cancel_requests_forwarded",
    "CancelRequests for another peer's session ([cluster]), by outcome: forwarded, unreachable, "
    "unknown_peer, repeated",
    ["outcome"],
    registry=REGISTRY,
)
AUTHENTICATIONS = Counter(
    "pgbridge_authentications", "Token checks, by result", ["result"], registry=REGISTRY
)
STATEMENTS = Counter(
    "pgbridge_statements",
    "Statements recorded, by kind (first keyword) and policy decision",
    ["kind", "decision"],
    registry=REGISTRY,
)
STATEMENT_SECONDS = Histogram(
    "pgbridge_statement_duration_seconds",
    "From the write-ahead record to completion (rows sent included), by decision",
    ["decision"],
    buckets=_SECONDS,
    registry=REGISTRY,
)
ERRORS = Counter(
    "pgbridge_errors", "ErrorResponses sent to clients, by SQLSTATE", ["sqlstate"], registry=REGISTRY
)
ROWS_STREAMED = Counter(
    "pgbridge_rows_streamed", "Result rows pulled from the backend for clients", registry=REGISTRY
)
BYTES_STREAMED = Counter(
    "pgbridge_bytes_streamed", "Protocol bytes written to clients", registry=REGISTRY
)
MASKED_VALUES = Counter(
    "pgbridge_masked_values",
    "Values masked in results sent to clients (rows x masked columns), by masking rule",
    ["rule"],
    registry=REGISTRY,
)
BACKEND_SECONDS = Histogram(
    "pgbridge_backend_latency_seconds",
    "Time for the backend to start answering a statement (job done or first results ready), by backend",
    ["backend"],
    buckets=_SECONDS,
    registry=REGISTRY,
)
BYTES_BILLED = Histogram(
    "pgbridge_backend_bytes_billed",
    "Bytes billed per backend job (0 on the embedded warehouse)",
    buckets=(0.0, *_BILLED),
    registry=REGISTRY,
)
BYTES_SCANNED = Counter(
    "pgbridge_backend_bytes_scanned", "Bytes the backend scanned for statements", registry=REGISTRY
)
AUDIT_WRITE_SECONDS = Histogram(
    "pgbridge_audit_write_seconds",
    "Writing one group of audit records, fsync included",
    buckets=_FAST_SECONDS,
    registry=REGISTRY,
)
AUDIT_FSYNC_SECONDS = Histogram(
    "pgbridge_audit_fsync_seconds", "One fsync of an audit file", buckets=_FAST_SECONDS, registry=REGISTRY
)
AUDIT_RECORDS = Counter(
    "pgbridge_audit_records", "Audit records written, by result", ["result"], registry=REGISTRY
)
RELOADS = Counter(
    "pgbridge_config_reloads", "SIGHUP reloads of the configuration, by result", ["result"], registry=REGISTRY
)
RELOAD_TIME = Gauge(
    "pgbridge_config_last_reload_timestamp_seconds",
    "When the configuration in force was loaded (start or successful reload)",
    registry=REGISTRY,
)
DRAINING = Gauge("pgbridge_draining", "1 while the gateway drains after SIGTERM", registry=REGISTRY)


def count_error(sqlstate: str) -> None:
    """One ErrorResponse went to a client."""
    ERRORS.labels(sqlstate).inc()
