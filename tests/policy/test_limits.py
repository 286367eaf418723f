"""Per-principal limits: connections (53300), queries per minute (53400), bytes per day (54000)."""

from __future__ import annotations

import pytest

from pgbridge.policy.limits import LimitTracker
from pgbridge.wire.errors import PgError
from tests.policy.support import principal, settings_from_toml

POLICY = """
[policy.roles.small]
datasets = ["shop"]
max_connections = 2
queries_per_minute = 3
bytes_per_day = 1000
[policy.roles.big]
datasets = ["shop"]
max_connections = 5
[policy.roles.free]
datasets = ["shop"]
"""


class Clock:
    def __init__(self) -> None:
        self.now = 86400.0 * 20000 + 3600  # 01:00 UTC on some day

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tracker(clock: Clock) -> LimitTracker:
    return LimitTracker(settings_from_toml(POLICY), clock=clock)


def test_connections(tracker: LimitTracker) -> None:
    alice = principal("small", subject="alice")
    with tracker.connection(alice), tracker.connection(alice):
        with pytest.raises(PgError) as caught, tracker.connection(alice):
            pass
        assert caught.value.sqlstate == "53300" and "limit is 2" in caught.value.message
        with tracker.connection(principal("small", subject="bob")):
            pass  # limits are per principal
    with tracker.connection(alice):
        pass  # released slots are free again


def test_most_generous_role_applies(tracker: LimitTracker) -> None:
    assert tracker.limits_for(principal("small", "big")).max_connections == 5
    assert tracker.limits_for(principal("small", "free")).queries_per_minute is None
    assert tracker.limits_for(principal("intern")).max_connections == 0


def test_queries_per_minute(tracker: LimitTracker, clock: Clock) -> None:
    alice = principal("small")
    for _ in range(3):
        tracker.start_query(alice)
        clock.now += 10
    with pytest.raises(PgError) as caught:
        tracker.start_query(alice)
    assert caught.value.sqlstate == "53400" and "3 queries per minute" in caught.value.message
    assert caught.value.hint == "try again in 30 s"
    clock.now += 31
    tracker.start_query(alice)


def test_bytes_per_day(tracker: LimitTracker, clock: Clock) -> None:
    alice = principal("small")
    tracker.check_bytes(alice, 600)
    tracker.record_bytes(alice, 600)
    with pytest.raises(PgError) as caught:
        tracker.check_bytes(alice, 500)
    assert caught.value.sqlstate == "54000" and "600 of 1,000" in caught.value.message
    tracker.check_bytes(alice, 400)
    clock.now += 86400  # next UTC day
    assert tracker.bytes_today(alice) == 0
    tracker.check_bytes(alice, 1000)


def test_unlimited_role(tracker: LimitTracker) -> None:
    free = principal("free")
    for _ in range(100):
        tracker.start_query(free)
    tracker.check_bytes(free, 10**15)
