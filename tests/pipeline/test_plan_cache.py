"""The plan cache shared by the gateway's sessions (pgbridge.server.pipeline.plan_cache).

A second session with the same effective policy gets the plan the first one made (no second
resolve, translation or dry run); a session whose roles, row-filter claims, search_path or
TimeZone differ gets a plan of its own, and sees what its own policy lets it see; a metadata
refresh or a policy reload makes every later statement plan again.
"""

from __future__ import annotations

import dataclasses
import secrets
from typing import Any

import pyarrow as pa
import pytest

from pgbridge.auth.principal import Principal
from pgbridge.server.context import DataPlan, SessionContext
from pgbridge.server.gateway import Gateway
from pgbridge.server.outcomes import RowStream
from pgbridge.server.pipeline.plan_cache import SharedPlans
from pgbridge.server.settings import SessionSettings
from pgbridge.sql.statements.classify import parse_statement
from tests.pipeline.conftest import session

TEXT = "SELECT id, phone FROM shop.customers WHERE id <= $1 ORDER BY id"


def session_of(role: str, **claims: object) -> SessionContext:
    """A new session (new subject, new token) of a principal with one role and these claims."""
    subject = f"{role}-{secrets.token_hex(3)}"
    principal = Principal(subject, (role,), claims, token_id=secrets.token_hex(4), expires_at=2e9)
    settings = SessionSettings.initial({})
    return SessionContext(secrets.token_hex(6), principal, subject, "pgbridge", settings, 1, "t")


async def plan_of(gateway: Gateway, ctx: SessionContext, text: str = TEXT) -> DataPlan:
    prepared = await gateway.pipeline.prepare(ctx, parse_statement(text), (20,))  # $1 int8
    assert prepared.plan is not None
    return prepared.plan


async def rows_of(gateway: Gateway, ctx: SessionContext, text: str = TEXT) -> dict[str, list[object]]:
    pipeline = gateway.pipeline
    prepared = await pipeline.prepare(ctx, parse_statement(text), (20,))
    outcome = await pipeline.execute(ctx, prepared, (10,))
    assert isinstance(outcome, RowStream)
    batches = [batch async for batch in outcome.batches]
    table = pa.Table.from_batches(batches) if batches else pa.table({"id": [], "phone": []})
    await outcome.finish(table.num_rows, None)
    return table.to_pydict()


async def test_sessions_with_the_same_policy_share_one_plan_and_its_dry_run(gateway: Gateway) -> None:
    first = await plan_of(gateway, session("analyst"))
    await rows_of(gateway, session("analyst"))  # the dry run fills the shared plan
    hits = gateway.pipeline.plans.hits
    second = await plan_of(gateway, session("analyst"))
    assert second is first  # not planned again, for another subject with another token
    assert gateway.pipeline.plans.hits == hits + 1
    assert second.fields is not None  # the schema and estimate came with it: no second dry run


async def test_another_role_gets_its_own_plan_and_its_own_masks(gateway: Gateway) -> None:
    analyst = await rows_of(gateway, session("analyst"))
    admin = await rows_of(gateway, session("admin"))
    assert await plan_of(gateway, session("analyst")) is not await plan_of(gateway, session("admin"))
    assert all(str(phone).startswith("+1-555") for phone in admin["phone"])  # admin is exempt
    assert not any(str(phone).startswith("+1-555") for phone in analyst["phone"])  # hashed


async def test_a_row_filter_claim_of_another_value_never_gets_the_cached_plan(gateway: Gateway) -> None:
    text = "SELECT id FROM shop.customers WHERE id <= $1 ORDER BY id"
    germany = await rows_of(gateway, session_of("support", country="DE"), text)
    france = await rows_of(gateway, session_of("support", country="FR"), text)
    again = await rows_of(gateway, session_of("support", country="DE"), text)
    assert germany["id"] == [1, 2, 3, 4, 5] and again == germany
    assert france["id"] == []  # the DE plan (and its filter) was not served to FR
    de = await plan_of(gateway, session_of("support", country="DE"), text)
    fr = await plan_of(gateway, session_of("support", country="FR"), text)
    assert de is not fr
    # A claim of another type with an equal Python value is another key too (True == 1).
    plans = gateway.pipeline.plans
    principals = [session_of("support", country=value).principal for value in (1, True, "1")]
    keys = {plans.key(text, (), principal, (), "UTC", 1) for principal in principals}
    assert len(keys) == 3
    # Claims no row filter reads do not split the cache.
    assert await plan_of(gateway, session_of("support", country="DE", team="x"), text) is de


async def test_search_path_and_timezone_are_part_of_the_key(gateway: Gateway) -> None:
    text = "SELECT id FROM customers WHERE id <= $1"
    base = session("analyst")
    base.settings.set("search_path", "shop")
    other_zone = session("analyst")
    other_zone.settings.set("search_path", "shop")
    other_zone.settings.set("TimeZone", "Europe/Berlin")
    plan = await plan_of(gateway, base, text)
    assert await plan_of(gateway, other_zone, text) is not plan
    same = session("analyst")
    same.settings.set("search_path", "shop")
    assert await plan_of(gateway, same, text) is plan


async def test_a_metadata_refresh_or_a_policy_reload_makes_new_plans(gateway: Gateway) -> None:
    plan = await plan_of(gateway, session("analyst"))
    assert await plan_of(gateway, session("analyst")) is plan
    await gateway.pipeline.metadata.refresh()
    refreshed = await plan_of(gateway, session("analyst"))
    assert refreshed is not plan
    gateway.pipeline.plans.clear()  # what a policy reload does
    assert await plan_of(gateway, session("analyst")) is not refreshed


def test_a_claim_that_cannot_be_keyed_is_not_cached(gateway: Gateway) -> None:
    plans = SharedPlans(gateway.stages.policy)
    principal = Principal("s", ("support",), {"country": object()})
    assert plans.key(TEXT, (), principal, ("shop",), "UTC", 1) is None
    plans.put(None, dataclasses.replace(_any_plan()))  # nothing is stored under no key
    assert len(plans) == 0


def _any_plan() -> DataPlan:
    return DataPlan(parse_statement("SELECT 1").ast, (), "SELECT 1", (), (), (), None, None)  # type: ignore[arg-type]


async def test_the_dry_run_is_made_only_where_the_bytes_decide_something(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = gateway.stages.backend
    made: list[str] = []
    real = backend.dry_run

    async def counted(sql: str, params: Any) -> Any:
        made.append(sql)
        return await real(sql, params)

    monkeypatch.setattr(backend, "dry_run", counted)
    text = "SELECT id FROM shop.customers WHERE id <= $1 AND name <> 'dry'"
    # admin: no role of it limits bytes, so the estimate decides nothing
    assert (await rows_of(gateway, session("admin"), text))["id"] == [1, 2, 3, 4, 5]
    assert (await rows_of(gateway, session("admin"), text))["id"] == [1, 2, 3, 4, 5]
    assert made == []
    # analyst: a scan over 20 MB waits for approval, so the estimate is asked for, once per plan
    await rows_of(gateway, session("analyst"), text)
    await rows_of(gateway, session("analyst"), text)
    assert len(made) == 1


async def test_a_job_may_be_read_unordered_only_without_an_order_by(gateway: Gateway) -> None:
    pipeline = gateway.pipeline
    cases = [
        ("SELECT id FROM shop.customers", False),
        ("SELECT id FROM shop.customers ORDER BY id", True),
        ("SELECT * FROM (SELECT id FROM shop.customers ORDER BY id LIMIT 2) t", True),
    ]
    for sql, ordered in cases:
        ctx = session("admin")
        prepared = await pipeline.prepare(ctx, parse_statement(sql), ())
        assert prepared.plan is not None
        admitted = await pipeline.admit(ctx, prepared.statement, prepared.plan, ())
        job = await pipeline.start.job(ctx, prepared, prepared.plan, admitted)
        assert job.options.ordered is ordered, sql
