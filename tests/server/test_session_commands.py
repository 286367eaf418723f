"""What the session answers itself, checked in memory (memory_client.py): settings and
ParameterStatus, SET LOCAL, DEALLOCATE, DISCARD, cursors and COPY."""

from __future__ import annotations

from pgbridge.server.settings import SETTINGS
from pgbridge.wire import messages as m
from tests.server.memory_client import MemoryClient, error, names, rows, status, tags
from tests.server.memory_pipeline import INSERT, NUMBERS


def _reports(messages: list[object]) -> dict[str, str]:
    return {msg.name: msg.value for msg in messages if isinstance(msg, m.ParameterStatus)}


async def test_the_greeting_reports_settings_then_ready():
    client = MemoryClient()
    seen = await client.connect()
    assert names(seen)[0] == "AuthenticationOk" and names(seen)[-2:] == ["BackendKeyData", "ReadyForQuery"]
    assert _reports(seen)["TimeZone"] == "UTC" and _reports(seen)["server_version"] == "15.8"
    assert (seen[-2].process_id, seen[-2].secret_key) == (7, 42)


async def test_a_changed_reported_setting_is_sent_before_ready_for_query(client: MemoryClient):
    seen = await client.exchange(m.Query("SET TimeZone = 'Europe/Berlin'"))
    assert names(seen) == ["CommandComplete", "ParameterStatus", "ReadyForQuery"]
    assert _reports(seen) == {"TimeZone": "Europe/Berlin"}
    assert _reports(await client.exchange(m.Query("SET TimeZone = 'Europe/Berlin'"))) == {}  # unchanged
    seen = await client.exchange(m.Query("SHOW timezone"))
    assert [f.name for f in seen[0].fields] == ["TimeZone"] and rows(seen) == [(b"Europe/Berlin",)]


async def test_set_local_ends_with_the_block_and_says_so(client: MemoryClient):
    await client.exchange(m.Query("BEGIN"))
    seen = await client.exchange(m.Query("SET LOCAL TimeZone = 'Asia/Tokyo'; SET LOCAL myapp.mode = 'x'"))
    assert _reports(seen) == {"TimeZone": "Asia/Tokyo"}
    assert rows(await client.exchange(m.Query("SHOW myapp.mode"))) == [(b"x",)]
    seen = await client.exchange(m.Query("COMMIT"))
    assert tags(seen) == ["COMMIT"] and _reports(seen) == {"TimeZone": "UTC"}  # back, and reported
    assert error(await client.exchange(m.Query("SHOW myapp.mode")))["C"] == "42704"
    seen = await client.exchange(m.Query("SET LOCAL TimeZone = 'Asia/Tokyo'"))  # outside a block
    assert seen[0].fields["C"] == "25P01" and _reports(seen) == {}


async def test_deallocate(client: MemoryClient):
    await client.exchange(
        m.Parse("a", NUMBERS, ()), m.Parse("b", NUMBERS, ()), m.Parse("", NUMBERS, ()), m.Sync()
    )
    assert tags(await client.exchange(m.Query("DEALLOCATE a"))) == ["DEALLOCATE"]
    assert error(await client.exchange(m.Bind("", "a", (), (), ()), m.Sync()))["C"] == "26000"
    assert error(await client.exchange(m.Query("DEALLOCATE a")))["C"] == "26000"
    assert tags(await client.exchange(m.Query("DEALLOCATE ALL"))) == ["DEALLOCATE ALL"]
    assert error(await client.exchange(m.Bind("", "b", (), (), ()), m.Sync()))["C"] == "26000"
    assert (
        names(await client.exchange(m.Bind("", "", (), (), ()), m.Sync()))[0] == "BindComplete"
    )  # unnamed kept


async def test_discard_all_resets_the_session_but_not_in_a_block(client: MemoryClient):
    await client.exchange(m.Query("SET TimeZone = 'Europe/Berlin'; BEGIN"))
    assert error(await client.exchange(m.Query("DISCARD ALL")))["C"] == "25001"
    await client.exchange(m.Query("ROLLBACK"))
    await client.exchange(m.Parse("s", NUMBERS, ()), m.Bind("p", "s", (), (), ()), m.Sync())
    seen = await client.exchange(m.Query("DISCARD ALL"))
    assert tags(seen) == ["DISCARD ALL"] and _reports(seen) == {"TimeZone": "UTC"}
    assert error(await client.exchange(m.Bind("", "s", (), (), ()), m.Sync()))["C"] == "26000"


async def test_discard_plans_keeps_statements_and_settings(client: MemoryClient):
    await client.exchange(m.Query("SET TimeZone = 'Europe/Berlin'"), m.Parse("s", NUMBERS, ()), m.Sync())
    seen = await client.exchange(m.Query("DISCARD PLANS"))
    assert tags(seen) == ["DISCARD PLANS"] and _reports(seen) == {}
    assert names(await client.exchange(m.Bind("", "s", (), (), ()), m.Sync()))[0] == "BindComplete"


async def test_cursors_in_a_block(client: MemoryClient):
    assert error(await client.exchange(m.Query(f"DECLARE c CURSOR FOR {NUMBERS}")))["C"] == "25P01"
    await client.exchange(m.Query(f"BEGIN; DECLARE c CURSOR FOR {NUMBERS}"))
    seen = await client.exchange(m.Query("FETCH 2 FROM c"))
    assert rows(seen) == [(b"1",), (b"2",)] and tags(seen) == ["FETCH 2"]
    assert tags(await client.exchange(m.Query("MOVE 1 IN c"))) == ["MOVE 1"]
    seen = await client.exchange(m.Query("FETCH ALL FROM c"))
    assert rows(seen) == [(b"4",), (b"5",)] and tags(seen) == ["FETCH 2"]
    assert error(await client.exchange(m.Query(f"DECLARE c CURSOR FOR {NUMBERS}")))["C"] == "42P03"
    await client.exchange(m.Query("ROLLBACK; BEGIN"))
    assert error(await client.exchange(m.Query("FETCH 1 FROM c")))["C"] == "34000"  # gone with its block


async def test_describe_of_fetch_and_move(client: MemoryClient):
    await client.exchange(m.Query(f"BEGIN; DECLARE c CURSOR FOR {NUMBERS}"))
    seen = await client.exchange(
        m.Parse("f", "FETCH 1 FROM c", ()), m.Describe("S", "f"),
        m.Parse("mv", "MOVE 1 IN c", ()), m.Describe("S", "mv"), m.Sync(),
    )  # fmt: skip
    assert names(seen) == [
        "ParseComplete", "ParameterDescription", "RowDescription",
        "ParseComplete", "ParameterDescription", "NoData", "ReadyForQuery",
    ]  # fmt: skip


async def test_copy_to_stdout(client: MemoryClient):
    seen = await client.exchange(m.Query(f"COPY ({NUMBERS}) TO STDOUT WITH (FORMAT csv, HEADER)"))
    assert names(seen) == ["CopyOutResponse"] + ["CopyData"] * 6 + [
        "CopyDone",
        "CommandComplete",
        "ReadyForQuery",
    ]
    assert [msg.data for msg in seen if isinstance(msg, m.CopyData)] == [
        b"n\n",
        b"1\n",
        b"2\n",
        b"3\n",
        b"4\n",
        b"5\n",
    ]
    assert tags(seen) == ["COPY 5"]
    seen = await client.exchange(
        m.Parse("", f"COPY ({NUMBERS}) TO STDOUT", ()), m.Bind("", "", (), (), ()), m.Execute("", 0), m.Sync()
    )
    assert tags(seen) == ["COPY 5"] and status(seen) == "I"


async def test_copy_and_cursors_refuse_dml_before_it_runs(client: MemoryClient):
    for sql in (f"COPY ({INSERT}) TO STDOUT", f"BEGIN; DECLARE c CURSOR FOR {INSERT}"):
        seen = await client.exchange(m.Query(sql))
        assert error(seen)["C"] == "0A000" and "returns rows" in error(seen)["M"]
        await client.exchange(m.Query("ROLLBACK"))
    assert INSERT not in client.pipeline.executed


async def test_copy_options_are_checked_before_anything_runs(client: MemoryClient):
    for sql in (
        f"COPY ({NUMBERS}) TO STDOUT WITH (DELIMITER '||')",
        f"COPY ({NUMBERS}) TO STDOUT WITH (FORCE_QUOTE *)",
        "COPY t.numbers FROM STDIN",
    ):
        assert error(await client.exchange(m.Query(sql)))["C"] == "0A000", sql
    assert client.pipeline.executed == []


async def test_dml_in_a_block_is_refused_and_outside_runs(client: MemoryClient):
    await client.exchange(m.Query("BEGIN"))
    seen = await client.exchange(m.Query(INSERT))
    assert error(seen)["C"] == "0A000" and status(seen) == "E"
    await client.exchange(m.Query("ROLLBACK"))
    assert tags(await client.exchange(m.Query(INSERT))) == ["INSERT 0 1"]
    assert client.pipeline.executed == [INSERT]
    assert client.pipeline.prepared == [INSERT, INSERT]  # a refused execution kept no plan


async def test_listen_unlisten_and_unclassified_statements(client: MemoryClient):
    assert error(await client.exchange(m.Query("LISTEN events")))["C"] == "0A000"
    assert tags(await client.exchange(m.Query("UNLISTEN *"))) == ["UNLISTEN"]
    seen = await client.exchange(m.Query("FROBNICATE everything"))
    assert error(seen)["C"] == "42601"  # no statement starts so: a syntax error, as in PostgreSQL
    assert error(seen)["M"] == 'syntax error at or near "FROBNICATE"'


async def test_explain_and_its_description(client: MemoryClient):
    seen = await client.exchange(m.Query(f"EXPLAIN {NUMBERS}"))
    assert rows(seen) == [(b"memory plan",)] and tags(seen) == ["EXPLAIN"]
    seen = await client.exchange(m.Parse("e", f"EXPLAIN {NUMBERS}", ()), m.Describe("S", "e"), m.Sync())
    assert [f.name for f in seen[2].fields] == ["QUERY PLAN"]


async def test_show_all_lists_every_setting_with_its_description(client: MemoryClient):
    seen = await client.exchange(m.Query("SHOW ALL"))
    listed = {row[0].decode(): (row[1], row[2]) for row in rows(seen)}
    assert set(listed) == {setting.name for setting in SETTINGS} and tags(seen) == ["SHOW"]
    assert listed["TimeZone"] == (b"UTC", b"Sets the time zone for displaying and interpreting time stamps.")
    assert all(description for _, description in listed.values())


async def test_pg_dump_settings_and_read_lock(client: MemoryClient):
    # pg_dump's setup_connection sets these, then locks what it dumps IN ACCESS SHARE MODE.
    seen = await client.exchange(m.Query("SET synchronize_seqscans TO off; SET quote_all_identifiers = on"))
    assert tags(seen) == ["SET", "SET"]
    assert rows(await client.exchange(m.Query("SHOW synchronize_seqscans"))) == [(b"off",)]
    lock = "LOCK TABLE public.customers, ONLY shop.orders * IN ACCESS SHARE MODE NOWAIT"
    assert error(await client.exchange(m.Query(lock)))["C"] == "25P01"  # as PostgreSQL: blocks only
    await client.exchange(m.Query("BEGIN"))
    assert tags(await client.exchange(m.Query(lock))) == ["LOCK TABLE"]
    # A write lock would promise an exclusion nothing enforces: refused, the block fails.
    assert error(await client.exchange(m.Query("LOCK customers")))["C"] == "0A000"
    await client.exchange(m.Query("ROLLBACK"))
    assert error(await client.exchange(m.Query("BEGIN; LOCK t IN SHARE WRITE MODE")))["C"] == "42601"
