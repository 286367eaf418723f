"""Per-principal slots for backend and catalog work: the cap holds across connections, a
waiter holds nothing and can be cancelled, and the most generous role's cap applies."""

from __future__ import annotations

import asyncio

import pytest

from pgbridge.config_base import ConfigError
from pgbridge.policy.concurrency import ConcurrencyLimiter
from tests.policy.support import principal, settings_from_toml

POLICY = """
[policy.roles.narrow]
max_concurrent_statements = 1
max_concurrent_catalog = 1
[policy.roles.wide]
max_concurrent_statements = 3
"""


async def test_cap_holds_and_waiters_take_freed_slots_in_turn() -> None:
    limiter = ConcurrencyLimiter(settings_from_toml(POLICY))
    alice = principal("narrow")
    release = asyncio.Event()
    entered: list[str] = []

    async def work(name: str) -> None:
        async with limiter.slot(alice, "statements"):
            entered.append(name)
            await release.wait()

    first = asyncio.create_task(work("first"))
    second = asyncio.create_task(work("second"))
    await asyncio.sleep(0.05)
    assert entered == ["first"] and limiter.active(alice, "statements") == 1
    # Another principal is not affected by alice's full share.
    async with limiter.slot(principal("narrow", subject="bob"), "statements"):
        pass
    release.set()
    await asyncio.wait_for(asyncio.gather(first, second), 2)
    assert entered == ["first", "second"] and limiter.active(alice, "statements") == 0


async def test_a_cancelled_waiter_leaves_no_slot_behind() -> None:
    limiter = ConcurrencyLimiter(settings_from_toml(POLICY))
    alice = principal("narrow")
    async with limiter.slot(alice, "catalog"):
        waiting = asyncio.create_task(limiter.slot(alice, "catalog").__aenter__())
        await asyncio.sleep(0.05)
        assert not waiting.done()
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
    assert limiter.active(alice, "catalog") == 0
    async with asyncio.timeout(1):
        async with limiter.slot(alice, "catalog"):
            assert limiter.active(alice, "catalog") == 1


def test_limits_come_from_the_most_generous_role_or_the_defaults() -> None:
    limiter = ConcurrencyLimiter(settings_from_toml(POLICY))
    assert limiter.limit_for(principal("narrow"), "statements") == 1
    assert limiter.limit_for(principal("narrow", "wide"), "statements") == 3
    assert limiter.limit_for(principal("wide"), "catalog") == 2  # the default
    assert ConcurrencyLimiter().limit_for(principal("x"), "statements") == 4


@pytest.mark.parametrize("key", ["max_concurrent_statements", "max_concurrent_catalog"])
def test_caps_must_be_positive(key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_toml(f"[policy.roles.a]\n{key} = 0")
    assert caught.value.key == f"policy.roles.a.{key}"
