"""New requests appear without a reload: server-sent events.

`GET /console/events` is an EventSource stream. The store is a file the CLI and other
gateways write too, so the only way to notice a change is to look: each stream reads the
pending list every `poll_interval_s` (a short read in the approvals pool) and sends a
`pending` event when the set of pending ids changed; the page then fetches
/console/pending and swaps the list in (static/console.js). A comment line every 15 s keeps
proxies from closing an idle stream. A stream ends when its session does, and when the
admin listener shuts down.
"""

from __future__ import annotations

import asyncio
import hashlib

from aiohttp import web

from pgbridge.admin.pages import DEPS, SESSION, SESSIONS, secure
from pgbridge.admin.sessions import ConsoleSession
from pgbridge.policy.approvals import in_thread

_KEEPALIVE_S = 15.0
CLOSING = web.AppKey("closing", asyncio.Event)


def add_routes(app: web.Application) -> None:
    app[CLOSING] = asyncio.Event()
    app.on_shutdown.append(_closing)
    app.router.add_get("/events", events)


async def _closing(app: web.Application) -> None:
    app[CLOSING].set()


async def events(request: web.Request) -> web.StreamResponse:
    session: ConsoleSession | None = request.get(SESSION)
    if session is None:
        raise web.HTTPUnauthorized(text="sign in again")
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "X-Accel-Buffering": "no"})
    secure(response.headers)
    await response.prepare(request)
    deps, closing = request.app[DEPS], request.app[CLOSING]
    last, quiet = "", 0.0
    while not closing.is_set() and request.app[SESSIONS].get(session.id) is not None:
        pending = await in_thread(deps.pool, deps.store.list, "pending")
        version = hashlib.sha256(" ".join(sorted(r.id for r in pending)).encode()).hexdigest()[:16]
        if version != last:
            await response.write(f"event: pending\ndata: {version} {len(pending)}\n\n".encode())
            last, quiet = version, 0.0
        elif quiet >= _KEEPALIVE_S:
            await response.write(b": keep-alive\n\n")
            quiet = 0.0
        try:
            await asyncio.wait_for(closing.wait(), deps.console.poll_interval_s)
        except TimeoutError:
            quiet += deps.console.poll_interval_s
    return response
