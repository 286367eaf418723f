"""Extended-query rules clients are fussy about, checked in memory (memory_client.py):
error-until-Sync, the implicit transaction's end, row limits, Close/Flush/Sync, names and
lifetimes of statements and portals, Bind's parameter count, Describe of a statement vs a
portal."""

from __future__ import annotations

import struct

from pgbridge.wire import messages as m
from tests.server.memory_client import MemoryClient, error, names, rows, status, tags
from tests.server.memory_pipeline import DIVIDE, INSERT, NUMBERS, NUMBERS_UP_TO


def _int8(value: int) -> bytes:
    return struct.pack("!q", value)


async def test_an_error_discards_messages_until_sync_and_the_session_goes_on(client: MemoryClient):
    seen = await client.exchange(
        m.Parse("", "SELECT nope FROM t.missing", ()),
        m.Bind("", "", (), (), ()),
        m.Describe("P", ""),
        m.Execute("", 0),
        m.Parse("s1", NUMBERS, ()),  # discarded too: s1 is never made
        m.Sync(),
    )
    assert names(seen) == ["ErrorResponse", "ReadyForQuery"]
    assert error(seen)["C"] == "42P01" and status(seen) == "I"
    seen = await client.exchange(m.Bind("", "s1", (), (), ()), m.Sync())
    assert error(seen)["C"] == "26000"  # the Parse after the error was discarded
    seen = await client.exchange(
        m.Parse("", NUMBERS, ()), m.Bind("", "", (), (), ()), m.Execute("", 0), m.Sync()
    )
    assert names(seen) == ["ParseComplete", "BindComplete"] + ["DataRow"] * 5 + [
        "CommandComplete",
        "ReadyForQuery",
    ]


async def test_an_error_in_a_block_fails_it_until_rollback(client: MemoryClient):
    assert status(await client.exchange(m.Query("BEGIN"))) == "T"
    seen = await client.exchange(m.Parse("", "SELECT nope FROM t.missing", ()), m.Sync())
    assert status(seen) == "E"
    seen = await client.exchange(
        m.Parse("", NUMBERS, ()), m.Bind("", "", (), (), ()), m.Execute("", 0), m.Sync()
    )
    assert error(seen)["C"] == "25P02" and status(seen) == "E"
    seen = await client.exchange(
        m.Parse("", "ROLLBACK", ()), m.Bind("", "", (), (), ()), m.Execute("", 0), m.Sync()
    )
    assert tags(seen) == ["ROLLBACK"] and status(seen) == "I"


async def test_execute_with_a_row_limit_suspends_and_resumes(client: MemoryClient):
    seen = await client.exchange(
        m.Parse("", NUMBERS_UP_TO, (20,)),
        m.Bind("p", "", (1,), (_int8(5),), ()),
        m.Execute("p", 2),
        m.Execute("p", 2),
        m.Execute("p", 2),
        m.Sync(),
    )
    assert names(seen) == [
        "ParseComplete", "BindComplete",
        "DataRow", "DataRow", "PortalSuspended",
        "DataRow", "DataRow", "PortalSuspended",
        "DataRow", "CommandComplete",
        "ReadyForQuery",
    ]  # fmt: skip
    assert rows(seen) == [(b"1",), (b"2",), (b"3",), (b"4",), (b"5",)]
    assert tags(seen) == ["SELECT 5"]
    assert client.pipeline.finished == [(NUMBERS_UP_TO, 5, None)]


async def test_sync_outside_a_block_closes_a_suspended_portal(client: MemoryClient):
    seen = await client.exchange(
        m.Parse("", NUMBERS, ()), m.Bind("p", "", (), (), ()), m.Execute("p", 2), m.Sync()
    )
    assert names(seen)[-2:] == ["PortalSuspended", "ReadyForQuery"]
    seen = await client.exchange(m.Execute("p", 2), m.Sync())
    assert error(seen)["C"] == "34000"  # the implicit transaction ended, and the portal with it
    await client.session.close()  # the background finish has run by now, or runs here
    assert client.pipeline.finished == [(NUMBERS, 2, None)]  # what the client received


async def test_inside_a_block_a_portal_outlives_sync_until_commit(client: MemoryClient):
    await client.exchange(m.Query("BEGIN"))
    seen = await client.exchange(
        m.Parse("", NUMBERS, ()), m.Bind("p", "", (), (), ()), m.Execute("p", 2), m.Sync()
    )
    assert status(seen) == "T"
    seen = await client.exchange(m.Execute("p", 2), m.Sync())
    assert rows(seen) == [(b"3",), (b"4",)]
    assert tags(await client.exchange(m.Query("COMMIT"))) == ["COMMIT"]
    seen = await client.exchange(m.Execute("p", 2), m.Sync())
    assert error(seen)["C"] == "34000"
    assert client.pipeline.finished == [(NUMBERS, 4, None)]


async def test_flush_sends_what_is_buffered_without_ready_for_query(client: MemoryClient):
    await client.send(m.Parse("s", NUMBERS, ()), m.Bind("", "s", (), (), ()))
    assert client.received() == []  # buffered until Flush or Sync
    assert names(await client.exchange(m.Flush())) == ["ParseComplete", "BindComplete"]
    assert names(await client.exchange(m.Execute("", 1), m.Flush())) == ["DataRow", "PortalSuspended"]
    assert names(await client.exchange(m.Sync())) == ["ReadyForQuery"]


async def test_close_statement_and_portal(client: MemoryClient):
    seen = await client.exchange(
        m.Parse("s", NUMBERS, ()),
        m.Bind("p", "s", (), (), ()),
        m.Close("P", "p"),
        m.Close("S", "s"),
        m.Close("S", "never-made"),  # "not an error to issue Close against a nonexistent ... name"
        m.Sync(),
    )
    assert names(seen) == ["ParseComplete", "BindComplete"] + ["CloseComplete"] * 3 + ["ReadyForQuery"]
    assert error(await client.exchange(m.Execute("p", 0), m.Sync()))["C"] == "34000"
    assert error(await client.exchange(m.Bind("", "s", (), (), ()), m.Sync()))["C"] == "26000"


async def test_statement_and_portal_names(client: MemoryClient):
    # The unnamed statement and portal are replaced; named ones must be closed first.
    seen = await client.exchange(
        m.Parse("", NUMBERS, ()), m.Parse("", "SELECT 1 AS n", ()), m.Bind("", "", (), (), ()),
        m.Execute("", 0), m.Sync(),
    )  # fmt: skip
    assert rows(seen) == [(b"1",)]
    seen = await client.exchange(m.Parse("s", NUMBERS, ()), m.Parse("s", NUMBERS, ()), m.Sync())
    assert error(seen)["C"] == "42P05" and '"s" already exists' in error(seen)["M"]
    await client.exchange(m.Query("BEGIN"))
    seen = await client.exchange(m.Bind("p", "s", (), (), ()), m.Bind("p", "s", (), (), ()), m.Sync())
    assert error(seen)["C"] == "42P03" and status(seen) == "E"
    await client.exchange(m.Query("ROLLBACK"))
    seen = await client.exchange(
        m.Bind("", "s", (), (), ()), m.Execute("", 1), m.Bind("", "s", (), (), ()), m.Execute("", 1), m.Sync()
    )
    assert rows(seen) == [(b"1",), (b"1",)]  # the second Bind replaced the first portal
    assert (NUMBERS, 1, None) in client.pipeline.finished  # and the first was finished


async def test_bind_must_supply_every_parameter(client: MemoryClient):
    seen = await client.exchange(m.Parse("s", NUMBERS_UP_TO, ()), m.Bind("", "s", (), (), ()), m.Sync())
    assert error(seen)["C"] == "08P01"
    assert error(seen)["M"] == 'bind message supplies 0 parameters, but prepared statement "s" requires 1'
    assert status(seen) == "I"  # an ERROR: the session goes on


async def test_describe_statement_and_portal(client: MemoryClient):
    seen = await client.exchange(m.Parse("s", NUMBERS_UP_TO, (0,)), m.Describe("S", "s"), m.Sync())
    assert names(seen) == ["ParseComplete", "ParameterDescription", "RowDescription", "ReadyForQuery"]
    assert seen[1].oids == (20,)  # inferred where the client sent 0
    assert [(f.name, f.type_oid, f.format) for f in seen[2].fields] == [("n", 20, 0)]
    # A portal has no ParameterDescription, and its columns carry the formats Bind asked for.
    seen = await client.exchange(m.Bind("p", "s", (1,), (_int8(3),), (1,)), m.Describe("P", "p"), m.Sync())
    assert names(seen) == ["BindComplete", "RowDescription", "ReadyForQuery"]
    assert [f.format for f in seen[1].fields] == [1]
    seen = await client.exchange(m.Parse("i", INSERT, ()), m.Describe("S", "i"), m.Sync())
    assert names(seen) == ["ParseComplete", "ParameterDescription", "NoData", "ReadyForQuery"]
    seen = await client.exchange(m.Parse("show", "SHOW timezone", ()), m.Describe("S", "show"), m.Sync())
    assert [f.name for f in seen[2].fields] == ["TimeZone"]
    assert client.pipeline.executed == []  # Describe runs nothing


async def test_an_empty_statement(client: MemoryClient):
    seen = await client.exchange(m.Parse("", "", ()), m.Bind("", "", (), (), ()), m.Execute("", 0), m.Sync())
    assert names(seen) == ["ParseComplete", "BindComplete", "EmptyQueryResponse", "ReadyForQuery"]


async def test_an_error_in_the_middle_of_the_rows_ends_the_portal(client: MemoryClient):
    seen = await client.exchange(
        m.Parse("", DIVIDE, ()), m.Bind("", "", (), (), ()), m.Execute("", 0), m.Sync()
    )
    assert names(seen)[-4:] == ["DataRow", "DataRow", "ErrorResponse", "ReadyForQuery"]
    assert error(seen)["C"] == "22012"
    assert client.pipeline.finished == [(DIVIDE, 2, "22012")]


async def test_the_fast_path_interface_is_refused_with_ready_for_query(client: MemoryClient):
    # FunctionCall is not an extended-query message: PostgreSQL answers it, error or not,
    # with ReadyForQuery, and a client waits for that before it sends anything else.
    seen = await client.exchange(m.FunctionCall(1234, (), (), 0))
    assert names(seen) == ["ErrorResponse", "ReadyForQuery"] and error(seen)["C"] == "0A000"


async def test_stray_copy_messages_are_ignored_and_terminate_ends(client: MemoryClient):
    assert await client.exchange(m.CopyData(b"x"), m.CopyDone(), m.CopyFail("no")) == []
    await client.send(m.Terminate())
    assert str(client.actions[-1]) == "Action.TERMINATE"
