"""The simple protocol's per-session plan cache: a repeated text is planned once, yet every
execution still goes through the per-execution stages (audit, cost, approval), and a change
of search_path or TimeZone is a different plan."""

from __future__ import annotations

import json

import psycopg


def _statements(gateway, sql: str) -> int:
    count = 0
    for path in sorted((gateway.data_dir / "audit").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            if record["type"] == "statement" and record["data"].get("sql") == sql:
                count += 1
    return count


def _simple(conn: psycopg.Connection, sql: str) -> tuple[str, list[bytes | None]]:
    """Run `sql` over the simple Query protocol (libpq's PQexec): status and first row."""
    result = conn.pgconn.exec_(sql.encode())
    if result.status != psycopg.pq.ExecStatus.TUPLES_OK:
        return (result.error_field(psycopg.pq.DiagnosticField.SQLSTATE) or b"").decode(), []
    return "ok", [result.get_value(0, i) for i in range(result.nfields)]


def test_repeated_simple_queries_are_each_audited_and_follow_settings(gateway):
    sql = "SELECT count(*) FROM orders WHERE id < 100 /* plan-cache test */"
    with psycopg.connect(gateway.dsn(), autocommit=True) as conn:
        conn.pgconn.exec_(b"SET search_path = shop")
        for _ in range(5):
            assert _simple(conn, sql) == ("ok", [b"99"])
        assert _statements(gateway, sql) == 5  # cached plan, but every execution recorded
        conn.pgconn.exec_(b"SET search_path = public")  # public maps to shop's dataset too
        assert _simple(conn, sql) == ("ok", [b"99"])
        conn.pgconn.exec_(b"SET search_path = nowhere")
        # A new search_path is resolved again, not served from the cache.
        assert _simple(conn, sql)[0] == "42P01"
