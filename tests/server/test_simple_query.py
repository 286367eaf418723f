"""Simple-query rules, checked in memory (memory_client.py): ReadyForQuery's transaction
status after BEGIN, an error, COMMIT and ROLLBACK; empty queries; several statements in one
Query; an error in the middle of the rows; statement_timeout; an expired token."""

from __future__ import annotations

import time

import pytest

from pgbridge.wire import messages as m
from pgbridge.wire.errors import PgError
from tests.server.memory_client import MemoryClient, error, names, rows, status, tags
from tests.server.memory_pipeline import DIVIDE, NUMBERS, SLOW


async def test_ready_for_query_reports_the_transaction_status(client: MemoryClient):
    assert status(await client.exchange(m.Query("BEGIN"))) == "T"
    assert status(await client.exchange(m.Query(NUMBERS))) == "T"
    seen = await client.exchange(m.Query("SELECT nope FROM t.missing"))
    assert error(seen)["C"] == "42P01" and status(seen) == "E"
    seen = await client.exchange(m.Query(NUMBERS))
    assert error(seen)["C"] == "25P02" and status(seen) == "E"
    seen = await client.exchange(m.Query("COMMIT"))  # COMMIT of a failed block rolls it back
    assert tags(seen) == ["ROLLBACK"] and status(seen) == "I"
    assert status(await client.exchange(m.Query("BEGIN"))) == "T"
    seen = await client.exchange(m.Query("COMMIT"))
    assert tags(seen) == ["COMMIT"] and status(seen) == "I"
    await client.exchange(m.Query("BEGIN"))
    seen = await client.exchange(m.Query("ROLLBACK"))
    assert tags(seen) == ["ROLLBACK"] and status(seen) == "I"


async def test_transaction_commands_outside_and_inside_a_block_warn(client: MemoryClient):
    seen = await client.exchange(m.Query("COMMIT"))
    assert names(seen) == ["NoticeResponse", "CommandComplete", "ReadyForQuery"]
    assert seen[0].fields["C"] == "25P01" and status(seen) == "I"
    await client.exchange(m.Query("BEGIN"))
    seen = await client.exchange(m.Query("BEGIN"))
    assert seen[0].fields["C"] == "25001" and status(seen) == "T"
    seen = await client.exchange(m.Query("SAVEPOINT a; ROLLBACK TO SAVEPOINT a; RELEASE a"))
    assert tags(seen) == ["SAVEPOINT", "ROLLBACK", "RELEASE"] and status(seen) == "T"


async def test_a_savepoint_outside_a_block_is_an_error(client: MemoryClient):
    seen = await client.exchange(m.Query("SAVEPOINT a"))
    assert error(seen)["C"] == "25P01" and status(seen) == "I"


async def test_rollback_to_a_savepoint_recovers_a_failed_block(client: MemoryClient):
    await client.exchange(m.Query("BEGIN; SAVEPOINT a"))
    assert status(await client.exchange(m.Query("SELECT nope FROM t.missing"))) == "E"
    assert status(await client.exchange(m.Query("ROLLBACK TO SAVEPOINT a"))) == "T"
    assert rows(await client.exchange(m.Query("SELECT 1 AS n"))) == [(b"1",)]


async def test_empty_queries(client: MemoryClient):
    assert names(await client.exchange(m.Query(""))) == ["EmptyQueryResponse", "ReadyForQuery"]
    assert names(await client.exchange(m.Query(" ;; "))) == ["EmptyQueryResponse", "ReadyForQuery"]
    assert names(await client.exchange(m.Query("-- nothing"))) == ["EmptyQueryResponse", "ReadyForQuery"]


async def test_several_statements_run_in_order_and_stop_at_the_first_error(client: MemoryClient):
    seen = await client.exchange(m.Query(f"SELECT 1 AS n; {NUMBERS}; SET TimeZone = 'Europe/Berlin'"))
    assert tags(seen) == ["SELECT 1", "SELECT 5", "SET"]
    assert names(seen).count("RowDescription") == 2 and names(seen)[-2:] == [
        "ParameterStatus",
        "ReadyForQuery",
    ]
    seen = await client.exchange(m.Query(f"SELECT 1 AS n; SELECT nope FROM t.missing; {NUMBERS}"))
    assert tags(seen) == ["SELECT 1"] and error(seen)["C"] == "42P01"
    assert names(seen).count("ReadyForQuery") == 1
    assert client.pipeline.executed.count(NUMBERS) == 1  # the statement after the error never ran


async def test_a_statement_that_cannot_be_split_fails_the_block(client: MemoryClient):
    await client.exchange(m.Query("BEGIN"))
    seen = await client.exchange(m.Query("SELECT 'unterminated"))
    assert error(seen)["C"] == "42601" and status(seen) == "E"  # as in PostgreSQL


async def test_an_error_in_the_middle_of_the_rows(client: MemoryClient):
    seen = await client.exchange(m.Query(DIVIDE))
    assert names(seen) == ["RowDescription", "DataRow", "DataRow", "ErrorResponse", "ReadyForQuery"]
    assert client.pipeline.finished == [(DIVIDE, 2, "22012")]


async def test_the_plan_of_a_repeated_text_is_kept_but_every_execution_runs(client: MemoryClient):
    for _ in range(3):
        assert tags(await client.exchange(m.Query(NUMBERS))) == ["SELECT 5"]
    assert client.pipeline.prepared == [NUMBERS] and client.pipeline.executed == [NUMBERS] * 3
    await client.exchange(m.Query("SET search_path = elsewhere"))
    await client.exchange(m.Query(NUMBERS))
    assert client.pipeline.prepared == [NUMBERS] * 2  # another search_path: planned again


async def test_statement_timeout_cancels_and_the_session_goes_on(client: MemoryClient):
    await client.exchange(m.Query("SET statement_timeout = 50"))
    started = time.monotonic()
    seen = await client.exchange(m.Query(SLOW))
    assert error(seen)["C"] == "57014" and "statement timeout" in error(seen)["M"]
    assert time.monotonic() - started < 5
    assert client.pipeline.finished == [(SLOW, 0, "57014")]
    await client.exchange(m.Query("SET statement_timeout = 0"))
    assert rows(await client.exchange(m.Query("SELECT 1 AS n"))) == [(b"1",)]


async def test_an_expired_token_ends_the_session_at_its_next_statement():
    client = MemoryClient(expires_at=time.time() - 1)
    await client.connect()
    with pytest.raises(PgError) as caught:
        await client.send(m.Query("SELECT 1 AS n"))
    assert caught.value.severity == "FATAL" and caught.value.sqlstate == "28P01"
