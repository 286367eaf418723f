"""The pipeline's stages through their seams, in this process: what the result filter lets
through, that it records a statement's completion exactly once with the SQLSTATE that ended
it, and that a statement refused at admission is recorded and never started.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pytest

from pgbridge.audit.reader import expand, iter_records
from pgbridge.server.context import SessionContext
from pgbridge.server.gateway import Gateway
from pgbridge.server.outcomes import RowStream
from pgbridge.sql.statements.classify import parse_statement
from pgbridge.wire.errors import PgError
from tests.pipeline.conftest import audit_dir, session


async def _stream(gateway: Gateway, ctx: SessionContext, sql: str) -> RowStream:
    pipeline = gateway.pipeline
    prepared = await pipeline.prepare(ctx, parse_statement(sql), ())
    outcome = await pipeline.execute(ctx, prepared, ())
    assert isinstance(outcome, RowStream)
    return outcome


async def _rows(stream: RowStream) -> pa.Table:
    batches = [batch async for batch in stream.batches]
    return pa.Table.from_batches(batches) if batches else pa.table({})


async def _records(gateway: Gateway, ctx: SessionContext, event: str) -> Sequence[dict[str, object]]:
    assert gateway.stages.audit is not None
    await gateway.stages.audit.flush()  # completion records are written off the statement's path
    found = iter_records(expand([audit_dir(gateway)]))
    return [
        r["data"] for _, r in found if r["type"] == event and r["data"].get("session_id") == ctx.session_id
    ]


async def test_masks_reach_the_client_and_a_masked_json_column_arrives_as_null(gateway: Gateway) -> None:
    ctx = session("analyst")
    stream = await _stream(gateway, ctx, "SELECT id, phone, profile FROM shop.customers ORDER BY id")
    rows = (await _rows(stream)).to_pydict()
    await stream.finish(5, None)
    assert rows["id"] == [1, 2, 3, 4, 5]
    assert not any(phone.startswith("+1-555") for phone in rows["phone"])  # hashed, not clear
    assert rows["profile"] == [None] * 5  # a hash is no JSON: the client's decoder gets NULL


async def test_the_completion_is_recorded_once_with_the_rows_the_client_received(gateway: Gateway) -> None:
    ctx = session("analyst")
    stream = await _stream(gateway, ctx, "SELECT id FROM shop.customers")
    assert (await _rows(stream)).num_rows == 5
    await stream.finish(3, None)  # the client took three before its portal closed
    await stream.finish(5, None)  # a second caller changes nothing
    [statement] = await _records(gateway, ctx, "statement")
    [done] = await _records(gateway, ctx, "statement_completed")
    assert done["statement_id"] == statement["statement_id"]
    assert (done["rows"], done["sqlstate"]) == (3, None)
    assert ctx.running is None


async def test_max_rows_ends_the_stream_with_54000_and_the_record_says_so(gateway: Gateway) -> None:
    ctx = session("reader")  # max_rows = 2
    stream = await _stream(gateway, ctx, "SELECT id FROM shop.customers")
    with pytest.raises(PgError) as refused:
        await _rows(stream)
    assert refused.value.sqlstate == "54000" and "2 rows your role may read" in refused.value.message
    with pytest.raises(StopAsyncIteration):  # a filter that ended stays ended
        await anext(stream.batches)
    await stream.finish(0, refused.value)
    [done] = await _records(gateway, ctx, "statement_completed")
    assert (done["rows"], done["sqlstate"]) == (0, "54000")


async def test_a_cost_refusal_is_recorded_and_nothing_starts(gateway: Gateway) -> None:
    ctx = session("frugal")  # max_bytes = 1, over it: deny
    with pytest.raises(PgError) as refused:
        await _stream(gateway, ctx, "SELECT name FROM shop.customers")
    assert refused.value.sqlstate == "54000"
    assert "roles.frugal.max_bytes" in refused.value.message
    [statement] = await _records(gateway, ctx, "statement")
    assert statement["decision"] == "deny" and "job_id" not in statement
    [done] = await _records(gateway, ctx, "statement_completed")
    assert done["sqlstate"] == "54000"
    assert ctx.running is None


async def test_explain_is_described_as_one_text_column(gateway: Gateway) -> None:
    ctx = session("analyst")
    explain = parse_statement("EXPLAIN SELECT id FROM shop.customers")
    prepared = await gateway.pipeline.prepare(ctx, explain, ())
    oids, columns = await gateway.pipeline.describe(ctx, prepared)
    assert oids == () and columns is not None
    assert [(c.name, c.type.name) for c in columns] == [("QUERY PLAN", "text")]
