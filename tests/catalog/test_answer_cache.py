"""The catalog's remembered answers: shared by every connection that would get the same
answer, and by no other. A new connection of the same principal and settings (psql runs one
per command) finds the last connection's answers; its backend PID only keys answers that can
show it; what decides visibility (the tables can_read admits, the row filters that hide sizes)
keeps principals apart even under the same user name; new metadata answers anew. The same
holds for descriptions (parameter types and columns), which drivers ask for every statement."""

from __future__ import annotations

import dataclasses

import pytest

from pgbridge.backends.base import Field, TableMeta
from pgbridge.catalog.api import CatalogResult, CatalogSession
from pgbridge.catalog.engine import CatalogEngine
from pgbridge.wire.errors import PgError, SqlState
from tests.catalog.conftest import make_session
from tests.catalog.shop import SHOP_TABLES, ShopBackend

SALARIES = "SELECT c.relname FROM pg_class c WHERE c.relname = 'salaries'"


def _rows(result: CatalogResult) -> list[tuple[object, ...]]:
    return [tuple(row.values()) for batch in result.batches for row in batch.to_pylist()]


def _connection(session: CatalogSession, pid: int) -> CatalogSession:
    return dataclasses.replace(session, backend_pid=pid)


def _no_hr(dataset: str, table: str) -> bool:
    return dataset != "hr"


async def test_a_new_connection_finds_the_last_ones_answers(engine: CatalogEngine) -> None:
    sql = "SELECT c.relname, c.reltuples FROM pg_class c WHERE c.relname = 'orders'"
    first = await engine.run(sql, [], _connection(make_session("al"), 101))
    assert await engine.run(sql, [], _connection(make_session("al"), 102)) is first
    with_params = "SELECT c.relname FROM pg_class c WHERE c.relname = $1"
    answer = await engine.run(with_params, ["orders"], _connection(make_session("al"), 103))
    assert await engine.run(with_params, ["orders"], _connection(make_session("al"), 104)) is answer
    # Settings are still part of the key: another search_path is another answer.
    moved = dataclasses.replace(make_session("al"), search_path=("hr",), backend_pid=105)
    assert await engine.run(sql, [], moved) is not first


async def test_the_backend_pid_is_answered_per_connection(engine: CatalogEngine) -> None:
    for sql in (
        "SELECT pg_backend_pid() AS pid, count(*) AS n FROM pg_class",
        "SELECT Pg_Backend_Pid() AS pid FROM pg_namespace WHERE nspname = 'public'",
    ):
        pids = [_rows(await engine.run(sql, [], _connection(make_session("al"), p)))[0][0] for p in (7, 8)]
        assert pids == [7, 8], sql


async def test_the_same_user_with_narrower_visibility_finds_no_wider_answer(engine: CatalogEngine) -> None:
    # Same user name, same settings, another connection: only what can_read admits decides.
    wide = make_session("bob")
    narrow = dataclasses.replace(make_session("bob", can_read=_no_hr), backend_pid=9)
    assert _rows(await engine.run(SALARIES, [], wide)) == [("salaries",)]
    assert _rows(await engine.run(SALARIES, [], narrow)) == []
    columns = "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'hr'"
    assert _rows(await engine.run(columns, [], narrow)) == [(0,)]
    assert _rows(await engine.run(columns, [], wide))[0][0] > 0
    assert _rows(await engine.run(SALARIES, [], narrow)) == []


async def test_a_row_filter_hides_sizes_a_remembered_answer_showed() -> None:
    counted = [dataclasses.replace(t, num_rows=1000, num_bytes=8000) for t in SHOP_TABLES]
    engine = CatalogEngine(ShopBackend(counted))
    sql = "SELECT c.reltuples FROM pg_class c WHERE c.relname = 'orders'"
    plain = make_session("bob")
    filtered = dataclasses.replace(plain, row_filtered=lambda dataset, table: table == "orders")
    assert _rows(await engine.run(sql, [], plain)) == [(1000.0,)]
    assert _rows(await engine.run(sql, [], _connection(filtered, 11))) == [(-1.0,)]


async def test_new_metadata_answers_anew() -> None:
    backend = ShopBackend()
    engine = CatalogEngine(backend)
    sql = "SELECT c.relname FROM pg_class c WHERE c.relname = 'refunds'"
    assert _rows(await engine.run(sql, [], make_session("al"))) == []
    refunds = TableMeta("shop", "refunds", "TABLE", (Field("id", "INT64"),))
    backend._tables = (*SHOP_TABLES, refunds)
    engine.invalidate()
    assert _rows(await engine.run(sql, [], _connection(make_session("al"), 12))) == [("refunds",)]


async def test_a_changed_setting_is_seen_by_the_next_query(engine: CatalogEngine) -> None:
    sql = "SELECT current_setting('application_name') AS a, count(*) FROM pg_class"
    for name in ("psql", "pgcli", "psql"):
        session = make_session("al", settings={"application_name": name})
        assert _rows(await engine.run(sql, [], session))[0][0] == name


async def test_descriptions_are_remembered_per_visibility_and_declared_types(engine: CatalogEngine) -> None:
    # Drivers describe every unnamed statement they send: the engine remembers the answer.
    sql = "SELECT c.relname, c.oid FROM pg_class c WHERE c.relname = $1"
    first = await engine.describe(sql, [], _connection(make_session("al"), 21))
    assert await engine.describe(sql, [], _connection(make_session("al"), 22)) is first
    assert first[0] == (19,)  # name, inferred
    assert (await engine.describe(sql, [25], make_session("al")))[0] == (25,)  # declared text
    hidden = "SELECT 'hr.salaries'::regclass::oid AS o, c.relname FROM pg_class c WHERE c.oid = $1"
    await engine.describe(hidden, [], make_session("bob"))
    with pytest.raises(PgError) as error:
        await engine.describe(hidden, [], make_session("bob", can_read=_no_hr))
    assert error.value.sqlstate == SqlState.UNDEFINED_TABLE
