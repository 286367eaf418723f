"""The approvals JSON API over a real socket, with real Ed25519 JWTs and urllib.

Since the admin listener moved to aiohttp (pgbridge.admin), the listener is started with
start_admin and closed with AdminServer.close; every request and answer is as before."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pgbridge.admin.app import AdminServer, start_admin
from pgbridge.admin.deps import AdminDeps
from pgbridge.auth.principal import Principal
from pgbridge.policy.approvals import ApprovalRequest, SqliteApprovalStore

KEY = Ed25519PrivateKey.generate()
OTHER_KEY = Ed25519PrivateKey.generate()
SQL = "DELETE FROM `shop.orders` WHERE id = 1"


def token(subject: str, roles: list[str], key: Ed25519PrivateKey = KEY, ttl: float = 300) -> str:
    claims = {"sub": subject, "roles": roles, "exp": int(time.time() + ttl), "aud": "pgbridge-admin"}
    return jwt.encode(claims, key, algorithm="EdDSA")


def verify(raw: str) -> Principal:
    """What the gateway's auth package would pass in: raises on any bad token."""
    claims = jwt.decode(raw, KEY.public_key(), algorithms=["EdDSA"], audience="pgbridge-admin")
    return Principal(subject=claims["sub"], roles=tuple(claims["roles"]), claims=claims)


async def start_admin_http(store: SqliteApprovalStore) -> AdminServer:
    return await start_admin("127.0.0.1", 0, AdminDeps(store, verify, "approver"))


@pytest.fixture
async def admin(tmp_path: Path) -> AsyncIterator[tuple[str, SqliteApprovalStore]]:
    store = SqliteApprovalStore(tmp_path / "approvals.sqlite")
    server = await start_admin_http(store)
    yield f"http://127.0.0.1:{server.port}", store
    await server.close()


def _call(url: str, method: str, bearer: str | None, body: object | None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if bearer is not None:
        request.add_header("Authorization", f"Bearer {bearer}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


async def call(
    url: str, method: str = "GET", bearer: str | None = None, body: object = None
) -> tuple[int, Any]:
    return await asyncio.to_thread(_call, url, method, bearer, body)


async def test_list_get_approve(admin: tuple[str, SqliteApprovalStore]) -> None:
    base, store = admin
    request = store.request("alice", SQL, "d", "roles.admin.approve_statements")
    bob = token("bob", ["approver"])
    status, body = await call(f"{base}/approvals?status=pending", bearer=bob)
    assert status == 200 and [r["id"] for r in body["approvals"]] == [request.id]
    status, body = await call(f"{base}/approvals/{request.id}", bearer=bob)
    assert status == 200 and body["sql"] == SQL and body["requester"] == "alice"
    status, body = await call(f"{base}/approvals/{request.id}/approve", "POST", bob, {"reason": "fine"})
    assert status == 200 and (body["status"], body["approver"], body["reason"]) == ("approved", "bob", "fine")
    status, body = await call(f"{base}/approvals/{request.id}/approve", "POST", bob, {})
    assert status == 409 and "not pending" in body["error"]


async def test_deny_without_body(admin: tuple[str, SqliteApprovalStore]) -> None:
    base, store = admin
    request = store.request("alice", SQL, "d", "rule")
    status, body = await call(f"{base}/approvals/{request.id}/deny", "POST", token("bob", ["approver"]))
    assert status == 200 and body["status"] == "denied" and body["reason"] is None


async def test_authentication_and_authorization(admin: tuple[str, SqliteApprovalStore]) -> None:
    base, store = admin
    request = store.request("alice", SQL, "d", "rule")
    url = f"{base}/approvals/{request.id}/approve"
    assert (await call(url, "POST", None, {}))[0] == 401
    assert (await call(url, "POST", "not-a-jwt", {}))[0] == 401
    assert (await call(url, "POST", token("bob", ["approver"], key=OTHER_KEY), {}))[0] == 401
    assert (await call(url, "POST", token("bob", ["approver"], ttl=-60), {}))[0] == 401
    status, body = await call(url, "POST", token("bob", ["analyst"]), {})
    assert status == 403 and "approver" in body["error"]
    status, body = await call(url, "POST", token("alice", ["approver"]), {})
    assert status == 403 and "may not decide" in body["error"]
    got = store.get(request.id)
    assert got is not None and got.status == "pending"


async def test_approver_is_the_token_subject(admin: tuple[str, SqliteApprovalStore]) -> None:
    base, store = admin
    request = store.request("alice", SQL, "d", "rule")
    url = f"{base}/approvals/{request.id}/approve"
    status, body = await call(url, "POST", token("dave", ["approver"]), {"reason": "ok", "approver": "eve"})
    assert status == 200 and body["approver"] == "dave"


async def test_not_found_and_bad_requests(admin: tuple[str, SqliteApprovalStore]) -> None:
    base, _ = admin
    bob = token("bob", ["approver"])
    assert (await call(f"{base}/approvals/apr_missing", bearer=bob))[0] == 404
    assert (await call(f"{base}/approvals/apr_missing/approve", "POST", bob, {}))[0] == 404
    assert (await call(f"{base}/other", bearer=bob))[0] == 404
    assert (await call(f"{base}/approvals?status=bogus", bearer=bob))[0] == 400
    assert (await call(f"{base}/approvals", "POST", bob, {}))[0] == 405
    assert (await call(f"{base}/approvals/x/approve", "POST", bob, ["not", "an", "object"]))[0] == 404
    status, body = await call(f"{base}/approvals/x/approve", "POST", bob, {"reason": 5})
    assert status == 400 and "reason" in body["error"]


async def test_garbage_on_the_socket_gets_400(admin: tuple[str, SqliteApprovalStore]) -> None:
    base, _ = admin
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"NONSENSE\r\n\r\n")
    await writer.drain()
    reply = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    # aiohttp answers a request line it cannot parse as HTTP/1.0 (it never learnt the version)
    assert reply.split(b"\r\n", 1)[0] in (b"HTTP/1.0 400 Bad Request", b"HTTP/1.1 400 Bad Request")


class BrokenStore(SqliteApprovalStore):
    def list(self, status: str | None = None) -> list[ApprovalRequest]:
        raise RuntimeError("disk on fire")


async def test_store_failure_is_a_500(tmp_path: Path) -> None:
    server = await start_admin_http(BrokenStore(tmp_path / "a.sqlite"))
    try:
        url = f"http://127.0.0.1:{server.port}/approvals"
        status, body = await call(url, bearer=token("bob", ["approver"]))
    finally:
        await server.close()
    assert status == 500 and "disk" not in body["error"]


async def test_decisions_are_audited_with_the_verified_approver(tmp_path: Path) -> None:
    store = SqliteApprovalStore(tmp_path / "approvals.sqlite")
    recorded: list[tuple[str, dict[str, Any]]] = []

    async def record(kind: str, fields: dict[str, Any]) -> None:
        recorded.append((kind, fields))

    server = await start_admin("127.0.0.1", 0, AdminDeps(store, verify, "approver", record=record))
    try:
        request = store.request("alice", SQL, "d", "roles.admin.approve_statements")
        url = f"http://127.0.0.1:{server.port}/approvals/{request.id}/approve"
        status, _ = await call(url, "POST", token("dave", ["approver"]), {"reason": "ok", "approver": "eve"})
    finally:
        await server.close()
    assert status == 200
    [(kind, fields)] = recorded
    assert kind == "approval_decided" and fields["via"] == "admin_api"
    assert (fields["approver"]["subject"], fields["requester"], fields["decision"]) == (
        "dave",
        "alice",
        "approved",
    )
    assert fields["decided_at"] >= fields["requested_at"]


async def test_a_decision_whose_record_fails_is_reported(tmp_path: Path) -> None:
    store = SqliteApprovalStore(tmp_path / "approvals.sqlite")

    async def record(kind: str, fields: dict[str, Any]) -> None:
        raise OSError("audit disk full")

    server = await start_admin("127.0.0.1", 0, AdminDeps(store, verify, "approver", record=record))
    try:
        request = store.request("alice", SQL, "d", "rule")
        url = f"http://127.0.0.1:{server.port}/approvals/{request.id}/deny"
        status, body = await call(url, "POST", token("dave", ["approver"]), {"reason": "no"})
    finally:
        await server.close()
    assert status == 500 and "audit record failed" in body["error"] and "disk" not in body["error"]
