"""The codec talks to a real PostgreSQL 15 over a real socket.

Our encode_frontend drives the server through startup, simple and extended query, COPY in
and out, notices and errors; BackendDecoder must decode every byte it sends back, and our
`encode` must reproduce those bytes exactly (so what the gateway sends is what Postgres sends).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pgbridge.wire import messages as m
from pgbridge.wire.codec import encode
from tests.support.postgres import PostgresServer
from tests.support.rawclient import RawClient


@pytest.fixture
def client(postgres: PostgresServer) -> Iterator[RawClient]:
    c = RawClient.plain(postgres.host, postgres.port)
    c.send(m.StartupMessage(196608, {"user": postgres.user, "database": postgres.database}))
    startup = c.until(m.ReadyForQuery)
    assert isinstance(startup[0], m.AuthenticationOk)
    assert any(isinstance(x, m.BackendKeyData) for x in startup)
    assert m.ParameterStatus("client_encoding", "UTF8") in startup
    assert b"".join(encode(x) for x in startup) == bytes(c.received)
    c.received.clear()
    c.messages.clear()
    yield c
    c.close()
    # Re-encoding everything we decoded gives back the server's exact bytes.
    assert b"".join(encode(x) for x in c.messages) == bytes(c.received)


def run(client: RawClient, *messages: m.FrontendMessage) -> list[m.BackendMessage]:
    client.send(*messages)
    return client.until(m.ReadyForQuery)


def test_simple_query(client: RawClient) -> None:
    got = run(client, m.Query("SELECT 1::int4 AS a, 'é'::text AS b, NULL::int8 AS c"))
    names = [type(x).__name__ for x in got]
    assert names == ["RowDescription", "DataRow", "CommandComplete", "ReadyForQuery"]
    row_description = got[0]
    assert isinstance(row_description, m.RowDescription)
    assert [(f.name, f.type_oid, f.type_size) for f in row_description.fields] == [
        ("a", 23, 4),
        ("b", 25, -1),
        ("c", 20, 8),
    ]
    assert got[1] == m.DataRow((b"1", "é".encode(), None))
    assert got[2:] == [m.CommandComplete("SELECT 1"), m.ReadyForQuery("I")]
    assert run(client, m.Query("")) == [m.EmptyQueryResponse(), m.ReadyForQuery("I")]


def test_extended_query_with_binary_params_and_suspension(client: RawClient) -> None:
    got = run(
        client,
        m.Parse("s1", "SELECT g, $1::text FROM generate_series(1, $2::int4) g", (25, 23)),
        m.Describe("S", "s1"),
        m.Bind("p1", "s1", (0, 1), (b"hi", b"\x00\x00\x00\x02"), (1,)),
        m.Execute("p1", 1),
        m.Execute("p1", 0),
        m.Close("P", "p1"),
        m.Sync(),
    )
    assert got[0] == m.ParseComplete()
    assert got[1] == m.ParameterDescription((25, 23))
    assert isinstance(got[2], m.RowDescription)
    assert got[3] == m.BindComplete()
    assert got[4] == m.DataRow((b"\x00\x00\x00\x01", b"hi"))
    assert got[5] == m.PortalSuspended()
    assert got[6] == m.DataRow((b"\x00\x00\x00\x02", b"hi"))
    assert got[7:] == [m.CommandComplete("SELECT 1"), m.CloseComplete(), m.ReadyForQuery("I")]
    got = run(client, m.Parse("", "SET application_name = 'x'", ()), m.Describe("S", ""), m.Sync())
    assert got == [m.ParseComplete(), m.ParameterDescription(()), m.NoData(), m.ReadyForQuery("I")]


def test_errors_notices_and_transaction_status(client: RawClient) -> None:
    got = run(client, m.Query("BEGIN; SELECT * FROM missing_table"))
    assert got[0] == m.CommandComplete("BEGIN")
    error = got[1]
    assert isinstance(error, m.ErrorResponse)
    assert (error.fields["S"], error.fields["V"], error.fields["C"]) == ("ERROR", "ERROR", "42P01")
    assert error.fields["P"] == "22"  # counted from the start of the whole query string
    assert got[2] == m.ReadyForQuery("E")
    assert run(client, m.Query("ROLLBACK"))[-1] == m.ReadyForQuery("I")
    got = run(client, m.Query("DO $$BEGIN RAISE NOTICE 'careful'; END$$"))
    notice = got[0]
    assert isinstance(notice, m.NoticeResponse) and notice.fields["M"] == "careful"


def test_copy_out_and_in(client: RawClient) -> None:
    got = run(client, m.Query("COPY (SELECT 1, 'a' UNION ALL SELECT 2, 'b') TO STDOUT"))
    assert got == [
        m.CopyOutResponse(0, (0, 0)),
        m.CopyData(b"1\ta\n"),
        m.CopyData(b"2\tb\n"),
        m.CopyDone(),
        m.CommandComplete("COPY 2"),
        m.ReadyForQuery("I"),
    ]
    run(client, m.Query("CREATE TEMP TABLE t (a int)"))
    client.send(m.Query("COPY t FROM STDIN"))
    assert client.until(m.CopyInResponse) == [m.CopyInResponse(0, (0,))]
    got = run(client, m.CopyData(b"1\n2\n"), m.CopyDone())
    assert got == [m.CommandComplete("COPY 2"), m.ReadyForQuery("I")]
    client.send(m.Query("COPY t FROM STDIN"))
    client.until(m.CopyInResponse)
    got = run(client, m.CopyFail("client gave up"))
    assert isinstance(got[0], m.ErrorResponse) and "client gave up" in got[0].fields["M"]
