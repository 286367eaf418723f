"""Protocol behaviour checked with raw bytes over a real TLS socket, using pgbridge's own
codec as the client: extended query with row limits, Describe without running, errors
until Sync, oversized messages, cancel and statement_timeout."""

from __future__ import annotations

import asyncio
import signal
import socket
import struct
import subprocess
import time

import psycopg
import pytest

from pgbridge.wire import codec
from pgbridge.wire import messages as m
from tests.support.clients import asyncpg_connect
from tests.support.psql import commands, psql_argv, psql_env
from tests.support.rawclient import RawClient


def _types(messages: list[object]) -> list[str]:
    return [type(msg).__name__ for msg in messages]


def test_execute_with_row_limit_suspends_and_resumes(gateway):
    client = RawClient.login(gateway, timeout=20)
    client.send(
        m.Parse("", "SELECT id FROM shop.customers WHERE id <= $1 ORDER BY id", (20,)),
        m.Bind("p1", "", (0,), (b"5",), (0,)),
        m.Execute("p1", 2),
        m.Execute("p1", 2),
        m.Execute("p1", 0),
        m.Sync(),
    )
    seen = client.until_ready()
    assert _types(seen) == [
        "ParseComplete",
        "BindComplete",
        "DataRow",
        "DataRow",
        "PortalSuspended",
        "DataRow",
        "DataRow",
        "PortalSuspended",
        "DataRow",
        "CommandComplete",
        "ReadyForQuery",
    ]
    assert [msg.values[0] for msg in seen if isinstance(msg, m.DataRow)] == [b"1", b"2", b"3", b"4", b"5"]
    assert seen[-2].tag == "SELECT 1" or seen[-2].tag == "SELECT 5"
    client.close()


def test_describe_statement_reports_parameters_and_columns_without_running(gateway):
    client = RawClient.login(gateway, timeout=20)
    client.send(
        m.Parse("s1", "SELECT id, name, lifetime_value FROM shop.customers WHERE id = $1", ()),
        m.Describe("S", "s1"),
        m.Sync(),
    )
    seen = client.until_ready()
    assert _types(seen) == ["ParseComplete", "ParameterDescription", "RowDescription", "ReadyForQuery"]
    assert seen[1].oids == (20,)
    assert [(f.name, f.type_oid) for f in seen[2].fields] == [
        ("id", 20),
        ("name", 25),
        ("lifetime_value", 1700),
    ]
    client.close()


def test_error_discards_messages_until_sync_and_session_survives(gateway):
    client = RawClient.login(gateway, timeout=20)
    client.send(
        m.Parse("", "SELECT nope FROM shop.customers", ()),
        m.Bind("", "", (), (), ()),
        m.Execute("", 0),
        m.Sync(),
    )
    seen = client.until_ready()
    assert _types(seen) == ["ErrorResponse", "ReadyForQuery"]
    assert seen[0].fields["C"] == "42703"
    client.send(m.Query("SELECT 1 AS one"))
    assert any(isinstance(msg, m.DataRow) and msg.values == (b"1",) for msg in client.until_ready())
    client.close()


def test_transaction_status_in_ready_for_query(gateway):
    client = RawClient.login(gateway, timeout=20)
    client.send(m.Query("BEGIN"))
    assert client.until_ready()[-1].status == "T"
    client.send(m.Query("SELECT * FROM shop.nothing_here"))
    assert client.until_ready()[-1].status == "E"
    client.send(m.Query("SELECT 1"))
    seen = client.until_ready()
    assert seen[0].fields["C"] == "25P02" and seen[-1].status == "E"
    client.send(m.Query("ROLLBACK"))
    seen = client.until_ready()
    assert seen[0].tag == "ROLLBACK" and seen[-1].status == "I"
    client.close()


def test_oversized_message_is_refused(gateway):
    client = RawClient.login(gateway, timeout=20)
    # Claim a 1 GiB Query: refused from the header alone, before any body is buffered.
    client.sock.sendall(b"Q" + struct.pack("!i", 1 << 30))
    message = client.next()
    assert isinstance(message, m.ErrorResponse) and message.fields["C"] == "08P01"
    assert "exceeds" in message.fields["M"]


def test_plaintext_behind_ssl_request_is_refused(gateway):
    raw = socket.create_connection((gateway.host, gateway.port), timeout=10)
    raw.sendall(
        codec.encode_frontend(m.SSLRequest())
        + codec.encode_frontend(m.StartupMessage(196608, {"user": "alice"}))
    )
    reply = raw.recv(1024)
    raw.close()
    assert reply[:1] != b"S"


def test_gssenc_request_is_answered_n(gateway):
    raw = socket.create_connection((gateway.host, gateway.port), timeout=10)
    raw.sendall(codec.encode_frontend(m.GSSENCRequest()))
    assert raw.recv(1) == b"N"
    raw.close()


# A trillion-row cross product: runs far longer than any test waits.
SLOW_QUERY = "SELECT sum(a.amount * b.amount) FROM shop.orders a CROSS JOIN shop.orders b"


async def test_asyncpg_cancel_stops_a_running_query_and_session_survives(gateway):
    conn = await asyncpg_connect(gateway, timeout=60)
    try:
        task = asyncio.ensure_future(conn.fetchval(SLOW_QUERY))
        await asyncio.sleep(1.0)
        started = time.monotonic()
        task.cancel()  # asyncpg sends a CancelRequest on a new connection
        with pytest.raises(asyncio.CancelledError):
            await task
        assert time.monotonic() - started < 5
        assert await conn.fetchval("SELECT count(*) FROM shop.products") == 1000
    finally:
        await conn.close()


def test_statement_timeout(gateway):
    with psycopg.connect(gateway.dsn()) as conn:
        conn.execute("SET statement_timeout = '500ms'")
        started = time.monotonic()
        with pytest.raises(psycopg.errors.QueryCanceled) as caught:
            conn.execute(SLOW_QUERY)
        assert time.monotonic() - started < 5
        assert "statement timeout" in str(caught.value)
        conn.rollback()  # psycopg opened a transaction; the error failed it, as in PostgreSQL
        conn.execute("SET statement_timeout = 0")
        assert conn.execute("SELECT count(*) FROM shop.products").fetchone() == (1000,)


def test_psql_ctrl_c_cancels(gateway):
    process = subprocess.Popen(
        psql_argv(gateway, *commands([SLOW_QUERY, "SELECT 'still here' AS s"])),
        env=psql_env(gateway),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.5)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert "canceling statement due to user request" in err


def test_set_show_and_parameter_status(gateway):
    with psycopg.connect(gateway.dsn()) as conn:
        conn.execute("SET TimeZone = 'Europe/Berlin'")
        assert conn.info.parameter_status("TimeZone") == "Europe/Berlin"
        assert conn.execute("SHOW timezone").fetchone() == ("Europe/Berlin",)
        assert conn.execute("SHOW transaction isolation level").fetchone() == ("read committed",)
        assert conn.execute("SHOW standard_conforming_strings").fetchone() == ("on",)
        with pytest.raises(psycopg.errors.UndefinedObject):
            conn.execute("SET no_such_setting = 1")
        conn.rollback()
        conn.execute("RESET ALL")
        assert conn.execute("SHOW timezone").fetchone() == ("UTC",)


def test_only_reads_are_allowed_without_a_grant(gateway):
    with (
        psycopg.connect(gateway.dsn(roles=("analyst",), user="bob")) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("DELETE FROM shop.orders WHERE id = 1")


def test_explain_shows_the_gateways_plan_without_running(gateway):
    with psycopg.connect(gateway.dsn(user="bob", roles=("analyst",)), autocommit=True) as conn:
        plan = [row[0] for row in conn.execute("EXPLAIN SELECT ssn, amount FROM shop.customers c "
                                               "JOIN shop.orders o ON o.customer_id = c.id").fetchall()]
        assert plan[0] == "pgbridge plan (nothing was run)"
        assert any(line.startswith("Estimated bytes scanned: ") for line in plan)
        assert any("Masked column ssn: partial" in line for line in plan)
        assert any("Cost rule: approve" in line for line in plan)  # about 25 MB, over analyst's 20 MB
        assert "BigQuery SQL:" in plan
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("EXPLAIN ANALYZE SELECT count(*) FROM shop.orders")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # EXPLAIN passes policy like the query
            conn.execute("EXPLAIN DELETE FROM shop.orders")


def test_explain_format_json_has_postgresqls_shape(gateway):
    # postgres-mcp's explain_query sends `/* crystaldba */ EXPLAIN (FORMAT JSON) ...` and reads
    # the json column as a list of one object with a "Plan" node (Node Type, costs, rows, width).
    with psycopg.connect(gateway.dsn(user="bob", roles=("analyst",)), autocommit=True) as conn:
        cursor = conn.execute("/* tool */ EXPLAIN (FORMAT JSON) SELECT id FROM shop.orders WHERE amount > 1")
        assert cursor.description[0].name == "QUERY PLAN" and cursor.description[0].type_code == 114
        [[document]] = cursor.fetchall()
        [plan] = document  # psycopg parsed it: a json column
        node = plan["Plan"]
        assert node["Node Type"] == "BigQuery Query" and node["Total Cost"] > 0  # the dry run's bytes
        assert {"Startup Cost", "Plan Rows", "Plan Width"} <= set(node)
        assert plan["pgbridge"][0] == "pgbridge plan (nothing was run)"
        with pytest.raises(psycopg.errors.FeatureNotSupported):
            conn.execute("EXPLAIN (FORMAT YAML) SELECT id FROM shop.orders")
