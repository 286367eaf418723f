"""A statement whose result broke off mid-way is recorded as failed, with its SQLSTATE and the
rows the client actually received (issue 10, item 7), whichever path pulled the rows.

Real gateway (the session `gateway`, demo config, DuckDB), a raw TLS client that counts every
DataRow it received before the ErrorResponse, and the audit log read back from disk. The
failing row sits at the end of shop.orders, so the first batches (65,536 rows) reach the
client before DuckDB gets there; the analyst's max_rows (100,000) stops the second batch.
"""

from __future__ import annotations

import secrets
from typing import Any

from pgbridge.wire import messages as m
from tests.audit_wire.support import of_type, read_records, wait_until
from tests.support.rawclient import RawClient

DIVIDES_BY_ZERO = "SELECT id, 1 / (id - 999999) AS x FROM shop.orders"
TOO_MANY_ROWS = "SELECT id FROM shop.orders"


def _tagged(sql: str) -> str:
    return f"{sql} /* {secrets.token_hex(4)} */"


def _completion(gateway: Any, sql: str) -> dict[str, Any]:
    def found() -> list[dict[str, Any]]:
        records = read_records(gateway.data_dir / "audit")
        ids = [s["statement_id"] for s in of_type(records, "statement", sql=sql)]
        return [c for c in of_type(records, "statement_completed") if c["statement_id"] in ids]

    wait_until(lambda: bool(found()), what=f"the completion record of {sql!r}")
    [done] = found()
    return done


def _rows_then_error(seen: list[object]) -> tuple[int, dict[str, str]]:
    rows = sum(isinstance(msg, m.DataRow) for msg in seen)
    [error] = [msg.fields for msg in seen if isinstance(msg, m.ErrorResponse)]
    return rows, error


def test_a_simple_query_that_fails_mid_stream_is_recorded_as_failed(gateway):
    client, sql = RawClient.login(gateway, "alice", ("admin",)), _tagged(DIVIDES_BY_ZERO)
    try:
        rows, error = _rows_then_error(client.simple(sql))
    finally:
        client.close()
    done = _completion(gateway, sql)
    assert (done["sqlstate"], done["rows"]) == (error["C"], rows)
    assert error["C"] == "22012" and rows > 0, "the failure was meant to come after some rows"


def test_an_extended_query_that_fails_mid_stream_is_recorded_as_failed(gateway):
    client, sql = RawClient.login(gateway, "alice", ("admin",)), _tagged(DIVIDES_BY_ZERO)
    try:
        client.send(m.Parse("", sql, ()), m.Bind("", "", (), (), ()), m.Execute("", 0), m.Sync())
        rows, error = _rows_then_error(client.until_ready())
    finally:
        client.close()
    done = _completion(gateway, sql)
    assert (done["sqlstate"], done["rows"]) == (error["C"], rows)
    assert error["C"] == "22012" and rows > 0


def test_a_cursor_whose_fetch_fails_is_recorded_as_failed(gateway):
    client, sql = RawClient.login(gateway, "alice", ("admin",)), _tagged(DIVIDES_BY_ZERO)
    try:
        client.simple("BEGIN")
        client.simple(f"DECLARE c CURSOR FOR {sql}")
        fetched = sum(isinstance(msg, m.DataRow) for msg in client.simple("FETCH 1000 FROM c"))
        rows, error = _rows_then_error(client.simple("FETCH ALL FROM c"))
        client.simple("ROLLBACK")  # closes the cursor: must not turn the failure into a success
    finally:
        client.close()
    done = _completion(gateway, sql)
    assert (done["sqlstate"], done["rows"]) == (error["C"], fetched + rows)
    assert fetched == 1000 and error["C"] == "22012"


def test_max_rows_reached_in_a_fetch_is_recorded_with_the_rows_sent(gateway):
    client, sql = RawClient.login(gateway, "alice", ("analyst",)), _tagged(TOO_MANY_ROWS)
    try:
        client.simple("BEGIN")
        client.simple(f"DECLARE c CURSOR FOR {sql}")
        fetched = sum(isinstance(msg, m.DataRow) for msg in client.simple("FETCH 1000 FROM c"))
        # FETCH ALL collects its rows before sending any: the batch it pulled before max_rows
        # stopped it never reached the client, and must not be counted as received.
        rows, error = _rows_then_error(client.simple("FETCH ALL FROM c"))
        client.simple("ROLLBACK")
    finally:
        client.close()
    assert (fetched, rows, error["C"]) == (1000, 0, "54000")
    done = _completion(gateway, sql)
    assert (done["sqlstate"], done["rows"]) == ("54000", 1000)
