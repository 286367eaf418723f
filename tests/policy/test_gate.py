"""The approval step end to end over a real store: ticket and wait modes, single use."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from pgbridge.policy.approvals import ApprovalRequest, SqliteApprovalStore, params_digest
from pgbridge.policy.engine import Decision
from pgbridge.policy.gate import Mode, choose_mode, obtain_approval
from pgbridge.wire.errors import PgError
from tests.policy.support import principal

SQL = "DELETE FROM `shop.orders` WHERE id = @p1"
DIGEST = params_digest([42])
DECISION = Decision("approve", "roles.admin.approve_statements", "DELETE statements need approval", "wait")
ADMIN = principal("admin", subject="alice")


class Notices:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def __call__(self, text: str) -> None:
        self.sent.append(text)


@pytest.fixture
def store(tmp_path: Path) -> SqliteApprovalStore:
    return SqliteApprovalStore(tmp_path / "approvals.sqlite")


async def _ask(
    store: SqliteApprovalStore, mode: Mode, timeout_s: float = 5.0, notices: Notices | None = None
) -> ApprovalRequest:
    notify = notices or Notices()
    return await obtain_approval(
        store, ADMIN, DECISION, SQL, DIGEST, mode, timeout_s, notify, poll_interval=0.05
    )


async def test_ticket_mode_round_trip(store: SqliteApprovalStore) -> None:
    with pytest.raises(PgError) as first:
        await _ask(store, "ticket")
    pending = store.list("pending")
    assert len(pending) == 1 and pending[0].id in first.value.message and first.value.sqlstate == "42501"
    with pytest.raises(PgError) as again:
        await _ask(store, "ticket")
    assert pending[0].id in again.value.message, "re-running before approval names the same request"
    store.decide(pending[0].id, "bob", True, "ok")
    used = await _ask(store, "ticket")
    assert used.id == pending[0].id and used.status == "consumed"
    with pytest.raises(PgError) as third:
        await _ask(store, "ticket")
    assert pending[0].id not in third.value.message, "an approval is used once; a new request is made"


async def test_wait_mode_runs_when_approved(store: SqliteApprovalStore) -> None:
    notices = Notices()

    def approve_when_asked() -> None:
        while not store.list("pending"):
            threading.Event().wait(0.02)
        store.decide(store.list("pending")[0].id, "bob", True, "fine")

    helper = threading.Thread(target=approve_when_asked)
    helper.start()
    used = await _ask(store, "wait", notices=notices)
    helper.join()
    assert used.status == "consumed" and used.approver == "bob"
    assert len(notices.sent) == 1 and used.id in notices.sent[0]


async def test_wait_mode_denied(store: SqliteApprovalStore) -> None:
    def deny_when_asked() -> None:
        while not store.list("pending"):
            threading.Event().wait(0.02)
        store.decide(store.list("pending")[0].id, "bob", False, "wrong WHERE")

    helper = threading.Thread(target=deny_when_asked)
    helper.start()
    with pytest.raises(PgError) as caught:
        await _ask(store, "wait")
    helper.join()
    assert "denied by bob: wrong WHERE" in caught.value.message
    with pytest.raises(PgError) as again:
        await _ask(store, "ticket")
    assert "denied" in again.value.message, "a denied statement stays denied until the request expires"


async def test_wait_mode_times_out(store: SqliteApprovalStore) -> None:
    with pytest.raises(PgError) as caught:
        await _ask(store, "wait", timeout_s=0.2)
    assert caught.value.sqlstate == "57014" and store.list("pending")[0].id in caught.value.message


async def test_wait_mode_is_cancellable(store: SqliteApprovalStore) -> None:
    task = asyncio.create_task(_ask(store, "wait", timeout_s=60))
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_choose_mode() -> None:
    ticket_rule = Decision("approve", "r", "m", "ticket")
    assert choose_mode(ticket_rule, None) == "ticket"
    assert choose_mode(ticket_rule, "wait") == "wait"
    assert choose_mode(DECISION, " TICKET ") == "ticket"
    assert choose_mode(Decision("approve", "r", "m"), None, default="ticket") == "ticket"
    with pytest.raises(PgError) as caught:
        choose_mode(DECISION, "later")
    assert caught.value.sqlstate == "22023"
