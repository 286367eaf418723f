"""The admin listener: one aiohttp application, one sub-application per concern.

    /approvals   the approvals JSON API (admin/api.py): bearer tokens, JSON errors
    /console     the approver's console (admin/console.py): cookie sessions, CSRF, HTML
    /            redirects to /console/

A concern is a function that mounts itself on the root application: a sub-application under
its own prefix with its own middlewares (authentication, error format), or plain root routes.
Operators' routes join as one more concern, e.g. `root.router.add_get("/healthz", ...)`,
`/readyz`, `/metrics`, without touching the others, so an unauthenticated /healthz cannot
loosen the API's or the console's rules. The listener is off unless `[server] admin_http_port`
is set, binds 127.0.0.1 by default, and speaks TLS with the gateway's certificate when
`[server] admin_http_tls` is true.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Sequence
from typing import Any

from aiohttp import web

from pgbridge.admin.deps import AdminDeps

Concern = Callable[[web.Application, AdminDeps], None]
_SHUTDOWN_S = 2.0  # open console streams end at once; a stuck request gets this long


def approvals_api(root: web.Application, deps: AdminDeps) -> None:
    from pgbridge.admin.api import api_app

    root.add_subapp("/approvals", api_app(deps))


def console(root: web.Application, deps: AdminDeps) -> None:
    from pgbridge.admin.console import console_app

    root.add_subapp("/console", console_app(deps))
    root.router.add_get("/", _to_console)


DEFAULT_CONCERNS: tuple[Concern, ...] = (approvals_api, console)


def build_app(deps: AdminDeps, concerns: Sequence[Concern] = DEFAULT_CONCERNS) -> web.Application:
    app = web.Application(middlewares=[_unknown_path])
    for mount in concerns:
        mount(app, deps)
    return app


@web.middleware
async def _unknown_path(request: web.Request, handler: Any) -> web.StreamResponse:
    """A path no concern owns: a JSON 404, as API clients expect (each concern answers its own)."""
    if request.match_info.http_exception is not None and len(request.match_info.apps) == 1:
        return web.json_response({"error": f"no such resource: {request.path}"}, status=404)
    return await handler(request)


async def _to_console(_request: web.Request) -> web.Response:
    return web.Response(status=303, headers={"Location": "/console/"})


class AdminServer:
    """A started admin listener; `port` is the bound port (useful when 0 was asked)."""

    def __init__(self, runner: web.AppRunner) -> None:
        self._runner = runner

    @property
    def port(self) -> int:
        return int(self._runner.addresses[0][1])

    async def close(self) -> None:
        await self._runner.cleanup()


async def start_admin(
    host: str,
    port: int,
    deps: AdminDeps,
    tls: ssl.SSLContext | None = None,
    concerns: Sequence[Concern] = DEFAULT_CONCERNS,
) -> AdminServer:
    runner = web.AppRunner(build_app(deps, concerns), access_log=None, shutdown_timeout=_SHUTDOWN_S)
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=tls, reuse_address=True)
    await site.start()
    return AdminServer(runner)
