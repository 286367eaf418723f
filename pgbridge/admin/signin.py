"""Signing in to the console with a JWT from the configured issuer, and signing out.

The sign-in page takes a bearer token (what `pgbridge token`, or an identity provider, hands
an approver), verifies it like a database login, and requires the approver role. The token
is used once and never stored or echoed: the session keeps the verified principal only.

Extension point, OIDC authorization-code login: add two routes here, `GET /console/oidc/start`
(redirect to the provider's authorization endpoint with state and PKCE, state kept in a
short-lived cookie like LOGIN_COOKIE) and `GET /console/oidc/callback` (check state, exchange
the code at the token endpoint, verify the ID token with the same AdminAuth, whose JWKS
verifier already accepts the provider's keys), then call `_open_session` exactly as the
token form does. Nothing else in the console changes: it only ever sees a ConsoleSession.
"""

from __future__ import annotations

import secrets
import time

from aiohttp import web

from pgbridge.admin.auth import AuthError
from pgbridge.admin.pages import AUTH, DEPS, SESSION, SESSIONS, render, require_csrf
from pgbridge.admin.sessions import LOGIN_COOKIE, LOGIN_COOKIE_SECONDS, SESSION_COOKIE, tokens_match
from pgbridge.auth.principal import Principal


def add_routes(app: web.Application) -> None:
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)


async def login_page(request: web.Request, error: str | None = None, status: int = 200) -> web.Response:
    login_csrf = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html.j2",
        status,
        login_csrf=login_csrf,
        error=error,
        approver_role=request.app[DEPS].approver_role,
    )
    _set_cookie(response, LOGIN_COOKIE, login_csrf, LOGIN_COOKIE_SECONDS)
    return response


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    if not tokens_match(request.cookies.get(LOGIN_COOKIE), str(form.get("csrf") or "")):
        return await login_page(request, "the sign-in form expired or was not ours: try again", 403)
    try:
        principal = await request.app[AUTH].approver(str(form.get("token") or ""))
    except AuthError as exc:
        await _record(request, None, exc.message)
        message = "the token is not valid here" if exc.status == 401 else exc.message
        return await login_page(request, message, exc.status)
    return await _open_session(request, principal)


async def _open_session(request: web.Request, principal: Principal) -> web.StreamResponse:
    session = request.app[SESSIONS].start(principal)
    await _record(request, principal, None)
    response = _see_other("/console/")
    _set_cookie(response, SESSION_COOKIE, session.id, max(1, int(session.expires_at - time.time())))
    _clear_cookie(response, LOGIN_COOKIE)
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    session = request.get(SESSION)
    if session is not None:
        require_csrf(request, session, await request.post())
        request.app[SESSIONS].end(session.id)
    response = _see_other("/console/login")
    _clear_cookie(response, SESSION_COOKIE)
    return response


def _see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


# Every console cookie: host-only (__Host- prefix), Secure, out of scripts' reach, same-site only.
def _set_cookie(response: web.StreamResponse, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", secure=True, httponly=True, samesite="Strict")


def _clear_cookie(response: web.StreamResponse, name: str) -> None:
    response.del_cookie(name, path="/", secure=True, httponly=True, samesite="Strict")


async def _record(request: web.Request, principal: Principal | None, failure: str | None) -> None:
    """Console sign-ins are evidence of who could decide: recorded like database logins."""
    from pgbridge.audit import events

    record = request.app[DEPS].record
    if record is None:
        return
    fields: dict[str, object] = {"peer": request.remote or "", "via": "console"}
    if principal is not None:
        fields["principal"] = events.principal_fields(principal)
    else:
        fields["reason"] = failure
    await record("console_sign_in" if principal is not None else "console_sign_in_failed", fields)
