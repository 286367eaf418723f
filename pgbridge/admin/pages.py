"""What every console page shares: the application's keys, the security headers, rendering a
template, the signed-in check and the CSRF check. console.py, signin.py and live.py import it.
"""

from __future__ import annotations

from typing import Any

import jinja2
from aiohttp import web

from pgbridge.admin.auth import AdminAuth
from pgbridge.admin.deps import AdminDeps
from pgbridge.admin.sessions import ConsoleSession, SessionStore, tokens_match

DEPS = web.AppKey("deps", AdminDeps)
AUTH = web.AppKey("auth", AdminAuth)
SESSIONS = web.AppKey("sessions", SessionStore)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
STATIC = web.AppKey("static", dict)
SESSION = web.RequestKey("console_session", ConsoleSession)  # absent when not signed in
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",  # "no-referrer" makes browsers send Origin: null on our own forms
    "Cache-Control": "no-store",
}


def secure(headers: Any) -> None:
    for name, value in _HEADERS.items():
        headers.setdefault(name, value)


def render(request: web.Request, name: str, status: int = 200, **values: Any) -> web.Response:
    session: ConsoleSession | None = request.get(SESSION)
    flash = list(session.flash) if session is not None else []
    if session is not None:
        session.flash.clear()
    text = request.app[TEMPLATES].get_template(name).render(session=session, flash=flash, **values)
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


def signed_in(request: web.Request) -> ConsoleSession:
    """The session, or a redirect to the sign-in page."""
    session: ConsoleSession | None = request.get(SESSION)
    if session is None:
        raise web.HTTPSeeOther("/console/login")
    return session


def require_csrf(request: web.Request, session: ConsoleSession, form: Any) -> None:
    if not tokens_match(session.csrf, form.get("csrf")):
        raise web.HTTPForbidden(text="missing or wrong CSRF token: reload the page and try again")
