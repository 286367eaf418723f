"""The admin HTTP endpoint for approvers: JSON in, JSON out, over asyncio streams.

    GET  /approvals?status=pending     list requests
    GET  /approvals/{id}               one request
    POST /approvals/{id}/approve       {"reason": "..."} (body optional)
    POST /approvals/{id}/deny          {"reason": "..."}

Every request carries `Authorization: Bearer <JWT>`; the token is checked by the `verify`
callable the gateway passes in (it raises on a bad token) and must hold the approver role.
The approver recorded is the token's subject, never a name from the body. One request per
connection (Connection: close) keeps the parser small; this is an admin API, not a hot path.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import parse_qs, unquote, urlsplit

from pgbridge.auth.principal import Principal
from pgbridge.policy.approvals import STATUSES, ApprovalError, ApprovalStore, in_thread
from pgbridge.workers import WorkerPool

logger = logging.getLogger(__name__)
_MAX_HEAD = 16 * 1024
_MAX_BODY = 64 * 1024
_READ_TIMEOUT_S = 10.0
_ERROR_STATUS = {"not_found": 404, "conflict": 409, "forbidden": 403}


@dataclass(frozen=True)
class _Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


class _HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def start_admin_http(
    host: str,
    port: int,
    store: ApprovalStore,
    verify: Callable[[str], Principal],
    approver_role: str,
    pool: WorkerPool | None = None,
) -> asyncio.Server:
    """Listen on host:port; the returned server is already serving. Store calls run in `pool`
    (the gateway's approvals pool)."""
    api = _AdminApi(store, verify, approver_role, pool)
    return await asyncio.start_server(api.handle, host, port)


class _AdminApi:
    def __init__(
        self,
        store: ApprovalStore,
        verify: Callable[[str], Principal],
        approver_role: str,
        pool: WorkerPool | None = None,
    ) -> None:
        self.store = store
        self.verify = verify
        self.approver_role = approver_role
        self.pool = pool

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                request = await asyncio.wait_for(_read_request(reader), _READ_TIMEOUT_S)
                status, payload = await self._route(request)
            except _HttpError as exc:
                status, payload = exc.status, {"error": exc.message}
            except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                status, payload = 400, {"error": "incomplete or oversized request"}
            except Exception:  # the store failed: say so without details an attacker could use
                logger.exception("admin endpoint: request failed")
                status, payload = 500, {"error": "internal error; see the gateway log"}
            await _respond(writer, status, payload)
        except (ConnectionError, OSError):
            pass  # the client went away; nothing to tell it
        finally:
            writer.close()

    async def _route(self, request: _Request) -> tuple[int, object]:
        approver = self._authenticate(request)
        parts = [unquote(p) for p in request.path.strip("/").split("/")]
        if parts[0] != "approvals" or len(parts) > 3:
            raise _HttpError(404, f"no such resource: {request.path}")
        if len(parts) == 1:
            _require_method(request, "GET")
            return 200, {"approvals": await self._list(request)}
        if len(parts) == 2:
            _require_method(request, "GET")
            found = await in_thread(self.pool, self.store.get, parts[1])
            if found is None:
                raise _HttpError(404, f"no approval request {parts[1]!r}")
            return 200, found.to_json()
        if parts[2] not in ("approve", "deny"):
            raise _HttpError(404, f"no such action: {parts[2]}")
        _require_method(request, "POST")
        return 200, await self._decide(parts[1], approver, parts[2] == "approve", _reason(request.body))

    def _authenticate(self, request: _Request) -> str:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _HttpError(401, "missing Authorization: Bearer <token>")
        try:
            principal = self.verify(token.strip())
        except Exception:  # any failure to verify is a bad token; never echo it
            raise _HttpError(401, "invalid token") from None
        if not principal.has_role(self.approver_role):
            raise _HttpError(403, f"the token's subject does not hold the {self.approver_role!r} role")
        return principal.subject

    async def _list(self, request: _Request) -> list[object]:
        status = request.query.get("status", [None])[0]
        if status is not None and status not in STATUSES:
            raise _HttpError(400, f"status must be one of {', '.join(STATUSES)}")
        requests = await in_thread(self.pool, self.store.list, status)
        return [r.to_json() for r in requests]

    async def _decide(self, request_id: str, approver: str, approve: bool, reason: str | None) -> object:
        try:
            decided = await in_thread(self.pool, self.store.decide, request_id, approver, approve, reason)
        except ApprovalError as exc:
            raise _HttpError(_ERROR_STATUS.get(exc.code, 409), exc.message) from None
        return decided.to_json()


def _require_method(request: _Request, method: str) -> None:
    if request.method != method:
        raise _HttpError(405, f"use {method} here")


def _reason(body: bytes) -> str | None:
    if not body.strip():
        return None
    try:
        data = json.loads(body)
    except ValueError:
        raise _HttpError(400, "body must be JSON") from None
    reason = data.get("reason") if isinstance(data, dict) else None
    if reason is not None and not isinstance(reason, str):
        raise _HttpError(400, "reason must be a string")
    return reason


async def _read_request(reader: asyncio.StreamReader) -> _Request:
    head = await reader.readuntil(b"\r\n\r\n")
    if len(head) > _MAX_HEAD:
        raise _HttpError(431, "request head too large")
    lines = head.decode("latin-1").split("\r\n")
    try:
        method, target, _version = lines[0].split(" ")
    except ValueError:
        raise _HttpError(400, "malformed request line") from None
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = await _read_body(reader, headers)
    url = urlsplit(target)
    return _Request(method.upper(), url.path, parse_qs(url.query), headers, body)


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if "transfer-encoding" in headers:
        raise _HttpError(411, "send a Content-Length body, not chunked")
    try:
        length = int(headers.get("content-length", "0"))
    except ValueError:
        raise _HttpError(400, "bad Content-Length") from None
    if length < 0 or length > _MAX_BODY:
        raise _HttpError(413, "body too large")
    return await reader.readexactly(length) if length else b""


async def _respond(writer: asyncio.StreamWriter, status: int, payload: object) -> None:
    body = json.dumps(payload).encode()
    reason = HTTPStatus(status).phrase
    head = [f"HTTP/1.1 {status} {reason}", "Content-Type: application/json",
            f"Content-Length: {len(body)}", "Connection: close"]
    if status == 401:
        head.append('WWW-Authenticate: Bearer realm="pgbridge-admin"')
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    await writer.drain()
