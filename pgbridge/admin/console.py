"""The approver's console: server-rendered pages under /console (Jinja2, no build step).

    GET  /console/                         pending requests (updated live, see admin/live.py)
    GET  /console/pending                  the pending list alone, for the live update
    GET  /console/events                   server-sent events: "pending" when the list changed
    POST /console/approvals/{id}/approve   form: csrf, reason
    POST /console/approvals/{id}/deny      form: csrf, reason
    GET  /console/history                  decided requests, filtered by requester, approver,
                                           decision, dates
    GET/POST /console/login, POST /console/logout   (admin/signin.py)

Decisions go through the same store call and audit record as the JSON API
(admin/decisions.py): four eyes and decide-once are the store's, so the console cannot differ
from the CLI. Every POST needs the session's CSRF token and, when the browser sends one, an
Origin equal to the console's own. Responses forbid framing, sniffing, caching and any script
not served from here (CSP), so an injected string in SQL cannot run.
"""

from __future__ import annotations

import time
from importlib import resources
from typing import Any

import jinja2
from aiohttp import web

from pgbridge.admin import live, signin, views
from pgbridge.admin.auth import AdminAuth
from pgbridge.admin.decisions import DecisionNotRecorded, decide
from pgbridge.admin.deps import AdminDeps
from pgbridge.admin.pages import (
    AUTH,
    DEPS,
    SESSION,
    SESSIONS,
    STATIC,
    TEMPLATES,
    render,
    require_csrf,
    secure,
    signed_in,
)
from pgbridge.admin.sessions import SESSION_COOKIE, ConsoleSession, SessionStore
from pgbridge.policy.approval_context import contexts_for
from pgbridge.policy.approvals import ApprovalError, in_thread

_MAX_REASON = 2000


def console_app(deps: AdminDeps) -> web.Application:
    app = web.Application(middlewares=[_security_headers, _session, _check_origin])
    app[DEPS] = deps
    app[AUTH] = AdminAuth(deps.verify, deps.approver_role)
    app[SESSIONS] = SessionStore(deps.console.session_minutes * 60)
    app[TEMPLATES] = _templates()
    app[STATIC] = _static_files()
    app.router.add_get("/", pending_page)
    app.router.add_get("/pending", pending_fragment)
    app.router.add_get("/history", history_page)
    app.router.add_post("/approvals/{id}/{action}", decide_form)
    app.router.add_get("/static/{name}", static_file)
    signin.add_routes(app)
    live.add_routes(app)
    return app


def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pgbridge.admin", "templates"),
        autoescape=True,
    )
    env.filters.update(bytes=views.human_bytes, age=views.human_age, utc=views.utc)
    return env


def _static_files() -> dict[str, tuple[bytes, str]]:
    folder = resources.files("pgbridge.admin") / "static"
    css = (folder / "console.css").read_text(encoding="utf-8") + "\n" + views.highlight_css()
    return {
        "console.css": (css.encode(), "text/css"),
        "console.js": ((folder / "console.js").read_bytes(), "text/javascript"),
    }


@web.middleware
async def _security_headers(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        secure(exc.headers)
        raise
    if not response.prepared:  # a stream (live.py) set its own before it started
        secure(response.headers)
    return response


@web.middleware
async def _session(request: web.Request, handler: Any) -> web.StreamResponse:
    found = request.app[SESSIONS].get(request.cookies.get(SESSION_COOKIE))
    if found is not None:
        request[SESSION] = found
    return await handler(request)


@web.middleware
async def _check_origin(request: web.Request, handler: Any) -> web.StreamResponse:
    """A cross-site form post carries the other site's Origin: refused before anything else."""
    origin = request.headers.get("Origin")
    if request.method == "POST" and origin is not None and origin != f"{request.scheme}://{request.host}":
        raise web.HTTPForbidden(text="cross-origin request refused")
    return await handler(request)


async def _pending(request: web.Request) -> list[views.PendingView]:
    deps = request.app[DEPS]
    requests = await in_thread(deps.pool, deps.store.list, "pending")
    contexts = await in_thread(deps.pool, contexts_for, deps.store)
    found = await in_thread(deps.pool, contexts.get_many, [r.id for r in requests]) if contexts else {}
    return views.pending_views(requests, found, time.time(), deps.console.price_per_tib_usd)


async def pending_page(request: web.Request) -> web.Response:
    signed_in(request)
    return render(request, "pending.html.j2", pending=await _pending(request), active="pending")


async def pending_fragment(request: web.Request) -> web.Response:
    if request.get(SESSION) is None:
        raise web.HTTPUnauthorized(text="sign in again")
    return render(request, "_pending.html.j2", pending=await _pending(request))


async def history_page(request: web.Request) -> web.Response:
    signed_in(request)
    deps = request.app[DEPS]
    wanted = views.HistoryFilter.from_query(request.query)
    requests = await in_thread(deps.pool, deps.store.list, None)
    rows = views.history(requests, wanted)
    return render(
        request,
        "history.html.j2",
        rows=rows,
        wanted=wanted,
        decisions=views.DECISIONS,
        active="history",
        status=400 if wanted.errors else 200,
    )


async def decide_form(request: web.Request) -> web.StreamResponse:
    session: ConsoleSession | None = request.get(SESSION)
    if session is None:
        raise web.HTTPForbidden(text="sign in first")
    form = await request.post()
    require_csrf(request, session, form)
    action, request_id = request.match_info["action"], request.match_info["id"]
    if action not in ("approve", "deny"):
        raise web.HTTPNotFound(text=f"no such action: {action}")
    reason = str(form.get("reason") or "").strip()
    if not reason or len(reason) > _MAX_REASON:
        session.flash.append(("error", f"{request_id}: give a reason (up to {_MAX_REASON} characters)"))
        raise web.HTTPSeeOther("/console/")
    try:
        decided = await decide(
            request.app[DEPS], request_id, session.principal, action == "approve", reason, via="console"
        )
        session.flash.append(("ok", f"{decided.id} {decided.status} (requested by {decided.requester})"))
    except ApprovalError as exc:
        session.flash.append(("error", exc.message))
    except DecisionNotRecorded:
        failed = f"{request_id} was decided, but its audit record failed: tell an operator"
        session.flash.append(("error", failed))
    raise web.HTTPSeeOther("/console/")


async def static_file(request: web.Request) -> web.Response:
    found = request.app[STATIC].get(request.match_info["name"])
    if found is None:
        raise web.HTTPNotFound()
    body, content_type = found
    return web.Response(body=body, content_type=content_type, headers={"Cache-Control": "max-age=300"})
