"""The approvals JSON API for approvers' scripts: JSON in, JSON out, under /approvals.

    GET  /approvals?status=pending     list requests
    GET  /approvals/{id}               one request
    POST /approvals/{id}/approve       {"reason": "..."} (body optional)
    POST /approvals/{id}/deny          {"reason": "..."}

Every request carries `Authorization: Bearer <JWT>`, checked (pgbridge.admin.auth) before the
path is even looked at, and the token must hold the approver role. The approver recorded is
the token's subject, never a name from the body. It is a sub-application of the admin listener
(pgbridge.admin.app) with its own middleware, so every answer, errors included, is JSON.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web

from pgbridge.admin.auth import AdminAuth, AuthError, bearer_token
from pgbridge.admin.decisions import DecisionNotRecorded, decide
from pgbridge.admin.deps import AdminDeps
from pgbridge.auth.principal import Principal
from pgbridge.policy.approvals import STATUSES, ApprovalError, StoreUnavailable, in_thread

logger = logging.getLogger(__name__)
_MAX_BODY = 64 * 1024
_ERROR_STATUS = {"not_found": 404, "conflict": 409, "forbidden": 403}
DEPS = web.AppKey("deps", AdminDeps)
AUTH = web.AppKey("auth", AdminAuth)
APPROVER = web.RequestKey("approver", Principal)  # the verified caller


def api_app(deps: AdminDeps) -> web.Application:
    """The /approvals sub-application."""
    app = web.Application(middlewares=[_json_errors, _authenticate], client_max_size=_MAX_BODY)
    app[DEPS] = deps
    app[AUTH] = AdminAuth(deps.verify, deps.approver_role)
    app.router.add_get("", _list)
    app.router.add_get("/{id}", _get)
    app.router.add_post("/{id}/{action}", _decide)
    return app


def _error(status: int, message: str) -> web.Response:
    response = web.json_response({"error": message}, status=status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="pgbridge-admin"'
    return response


@web.middleware
async def _json_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await handler(request)
    except AuthError as exc:
        return _error(exc.status, exc.message)
    except web.HTTPException as exc:  # routing (404, 405) and size (413) refusals, as JSON
        return _error(exc.status, exc.text or exc.reason)
    except StoreUnavailable as exc:  # the shared approvals store is down: say so, it is not a bug
        return _error(503, exc.message)
    except Exception:  # the store failed: say so without details an attacker could use
        logger.exception("admin endpoint: request failed")
        return _error(500, "internal error; see the gateway log")


@web.middleware
async def _authenticate(request: web.Request, handler: Any) -> web.StreamResponse:
    token = bearer_token(request.headers.get("Authorization", ""))
    request[APPROVER] = await request.app[AUTH].approver(token)
    return await handler(request)


async def _list(request: web.Request) -> web.Response:
    status = request.query.get("status")
    if status is not None and status not in STATUSES:
        return _error(400, f"status must be one of {', '.join(STATUSES)}")
    deps = request.app[DEPS]
    requests = await in_thread(deps.pool, deps.store.list, status)
    return web.json_response({"approvals": [r.to_json() for r in requests]})


async def _get(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    request_id = request.match_info["id"]
    found = await in_thread(deps.pool, deps.store.get, request_id)
    if found is None:
        return _error(404, f"no approval request {request_id!r}")
    return web.json_response(found.to_json())


async def _decide(request: web.Request) -> web.Response:
    action = request.match_info["action"]
    if action not in ("approve", "deny"):
        return _error(404, f"no such action: {action}")
    reason = _reason(await request.read())
    try:
        decided = await decide(
            request.app[DEPS], request.match_info["id"], request[APPROVER], action == "approve", reason,
            via="admin_api",
        )
    except ApprovalError as exc:
        return _error(_ERROR_STATUS.get(exc.code, 409), exc.message)
    except DecisionNotRecorded as exc:
        return _error(500, f"request {exc} was decided, but the audit record failed; see the gateway log")
    return web.json_response(decided.to_json())


def _reason(body: bytes) -> str | None:
    if not body.strip():
        return None
    try:
        data = json.loads(body)
    except ValueError:
        raise web.HTTPBadRequest(text="body must be JSON") from None
    reason = data.get("reason") if isinstance(data, dict) else None
    if reason is not None and not isinstance(reason, str):
        raise web.HTTPBadRequest(text="reason must be a string")
    return reason
