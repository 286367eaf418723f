"""The approval store: single use, expiry, four eyes, durability, and two processes at once."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from pgbridge.auth.principal import Principal
from pgbridge.policy.approvals import (
    ApprovalError,
    SqliteApprovalStore,
    outcome_error,
    params_digest,
    pending_notice,
    timeout_error,
    wait_for_decision,
)

SQL = "DELETE FROM `shop.orders` WHERE id = @p1"
REPO = Path(__file__).resolve().parents[2]


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> SqliteApprovalStore:
    path = tmp_path / "approvals.sqlite"
    return SqliteApprovalStore(path, pending_ttl_s=600, approved_ttl_s=60, clock=clock)


def test_same_key_gives_the_same_request(store: SqliteApprovalStore) -> None:
    rule = "roles.admin.approve_statements"
    first = store.request("alice", SQL, params_digest([1]), rule, "DML needs approval")
    again = store.request("alice", SQL, params_digest([1]), "roles.admin.approve_statements")
    other_params = store.request("alice", SQL, params_digest([2]), "roles.admin.approve_statements")
    other_person = store.request("carol", SQL, params_digest([1]), "roles.admin.approve_statements")
    assert first.id == again.id and first.status == "pending"
    assert len({first.id, other_params.id, other_person.id}) == 3
    assert store.find("alice", SQL, params_digest([1])) == first
    alice = Principal("alice", ("admin",))
    assert store.find(alice, SQL, params_digest([1])) == first
    assert store.request(alice, SQL, params_digest([1]), "rule").id == first.id


def test_approve_records_who_and_why_and_is_single_use(store: SqliteApprovalStore) -> None:
    request = store.request("alice", SQL, params_digest([1]), "rule")
    approved = store.decide(request.id, "bob", True, "checked the WHERE clause")
    assert (approved.status, approved.approver) == ("approved", "bob")
    assert approved.reason == "checked the WHERE clause"
    assert approved.decided_at is not None
    consumed = store.consume(request.id)
    assert consumed.status == "consumed" and consumed.consumed_at is not None
    with pytest.raises(ApprovalError) as caught:
        store.consume(request.id)
    assert caught.value.code == "conflict"
    # once used, the same statement needs a new request
    assert store.find("alice", SQL, params_digest([1])) is None
    assert store.request("alice", SQL, params_digest([1]), "rule").id != request.id


def test_four_eyes(store: SqliteApprovalStore) -> None:
    request = store.request("alice", SQL, params_digest([]), "rule")
    for approve in (True, False):
        with pytest.raises(ApprovalError) as caught:
            store.decide(request.id, "alice", approve, "I trust myself")
        assert caught.value.code == "forbidden"
    got = store.get(request.id)
    assert got is not None and got.status == "pending" and got.approver is None


def test_denied_cannot_be_used_or_redecided(store: SqliteApprovalStore) -> None:
    request = store.request("alice", SQL, params_digest([]), "rule")
    denied = store.decide(request.id, "bob", False, "too broad")
    assert denied.status == "denied"
    with pytest.raises(ApprovalError):
        store.consume(request.id)
    with pytest.raises(ApprovalError) as caught:
        store.decide(request.id, "carol", True, None)
    assert caught.value.code == "conflict"
    found = store.find("alice", SQL, params_digest([]))
    assert found is not None and found.status == "denied"
    error = outcome_error(denied)
    assert error is not None and "denied by bob: too broad" in error.message and request.id in error.message


def test_unknown_id(store: SqliteApprovalStore) -> None:
    assert store.get("apr_nope") is None
    with pytest.raises(ApprovalError) as caught:
        store.decide("apr_nope", "bob", True, None)
    assert caught.value.code == "not_found"


def test_pending_request_expires(store: SqliteApprovalStore, clock: Clock) -> None:
    request = store.request("alice", SQL, params_digest([]), "rule")
    clock.now += 601
    got = store.get(request.id)
    assert got is not None and got.status == "expired"
    assert [r.id for r in store.list("expired")] == [request.id] and store.list("pending") == []
    with pytest.raises(ApprovalError) as caught:
        store.decide(request.id, "bob", True, None)
    assert caught.value.code == "conflict"
    assert store.request("alice", SQL, params_digest([]), "rule").id != request.id


def test_approval_expires_if_unused(store: SqliteApprovalStore, clock: Clock) -> None:
    request = store.request("alice", SQL, params_digest([]), "rule")
    store.decide(request.id, "bob", True, None)
    clock.now += 61
    with pytest.raises(ApprovalError):
        store.consume(request.id)
    got = store.get(request.id)
    assert got is not None and got.status == "expired"


def test_durable_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    request = SqliteApprovalStore(path).request("alice", SQL, "d", "rule")
    reopened = SqliteApprovalStore(path)
    assert reopened.get(request.id) == request
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_list_filters_by_status(store: SqliteApprovalStore) -> None:
    a = store.request("alice", "SELECT 1", "d", "rule")
    b = store.request("alice", "SELECT 2", "d", "rule")
    store.decide(b.id, "bob", True, None)
    assert [r.id for r in store.list("pending")] == [a.id]
    assert [r.id for r in store.list("approved")] == [b.id]
    assert [r.id for r in store.list()] == [a.id, b.id]
    with pytest.raises(ApprovalError):
        store.list("bogus")


def test_params_digest_is_stable_and_typed() -> None:
    assert params_digest([1, "x"]) == params_digest([1, "x"])
    assert params_digest([1]) != params_digest(["1"])
    assert params_digest([1]) != params_digest([1.0])
    assert params_digest([]) != params_digest([None])


_WORKER = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from pgbridge.policy.approvals import ApprovalError, SqliteApprovalStore
    store = SqliteApprovalStore(Path(sys.argv[1]))
    ids = json.loads(sys.argv[2])
    sys.stdin.readline()  # start together
    created = [store.request("alice", f"SELECT {i}", "d", "rule").id for i in range(20)]
    used = []
    for request_id in ids:
        try:
            store.consume(request_id)
            used.append(request_id)
        except ApprovalError:
            pass
    print(json.dumps({"created": created, "used": used}))
""")


def test_two_processes_share_the_store_safely(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    store = SqliteApprovalStore(path)
    ids = []
    for i in range(30):
        request = store.request("carol", f"UPDATE t SET x = {i}", "d", "rule")
        store.decide(request.id, "bob", True, None)
        ids.append(request.id)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(path), json.dumps(ids)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO,
        )
        for _ in range(2)
    ]
    results = [json.loads(w.communicate("go\n", timeout=60)[0]) for w in workers]
    used = results[0]["used"] + results[1]["used"]
    assert sorted(used) == sorted(ids), "every approval consumed exactly once across both processes"
    assert results[0]["created"] == results[1]["created"], "concurrent requests for one key share an id"
    assert len(store.list("pending")) == 20


async def test_wait_returns_when_approved(store: SqliteApprovalStore) -> None:
    request = store.request("alice", SQL, "d", "rule")
    timer = threading.Timer(0.3, store.decide, (request.id, "bob", True, "ok"))
    timer.start()
    started = time.monotonic()
    decided = await wait_for_decision(store, request.id, timeout_s=10, poll_interval=0.05)
    assert decided.status == "approved" and time.monotonic() - started < 3
    assert outcome_error(decided) is None


async def test_wait_times_out_pending(store: SqliteApprovalStore) -> None:
    request = store.request("alice", SQL, "d", "rule")
    started = time.monotonic()
    result = await wait_for_decision(store, request.id, timeout_s=0.3, poll_interval=0.05)
    elapsed = time.monotonic() - started
    assert result.status == "pending" and 0.25 <= elapsed < 2
    error = timeout_error(result, 0.3)
    assert error.sqlstate == "57014" and request.id in error.message
    notice = pending_notice(result, 300)
    assert request.id in notice and "pgbridge approvals approve" in notice


async def test_wait_is_cancellable(store: SqliteApprovalStore) -> None:
    request = store.request("alice", SQL, "d", "rule")
    task = asyncio.create_task(wait_for_decision(store, request.id, timeout_s=60, poll_interval=0.05))
    await asyncio.sleep(0.2)
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 1


async def test_ticket_error_names_the_request(store: SqliteApprovalStore) -> None:
    request = store.request("alice", SQL, "d", "roles.admin.approve_statements")
    error = outcome_error(request)
    assert error is not None and error.sqlstate == "42501"
    assert request.id in error.message and request.id in (error.detail or "")


def test_four_eyes_ignores_case_and_spaces(tmp_path) -> None:
    import pytest as _pytest

    from pgbridge.policy.approvals import ApprovalError, SqliteApprovalStore

    store = SqliteApprovalStore(tmp_path / "a.sqlite")
    request = store.request("alice", "DELETE FROM t WHERE TRUE", "d", "roles.admin.approve_statements")
    for spelling in ("Alice", "ALICE", " alice "):
        with _pytest.raises(ApprovalError) as caught:
            store.decide(request.id, spelling, True, None)
        assert caught.value.code == "forbidden"
    assert store.decide(request.id, "carol", True, "ok").status == "approved"
