"""Console sign-ins: an opaque session id in a cookie, everything else on the server.

The cookie carries only a random id (never the JWT): `__Host-` prefixed, Secure, HttpOnly,
SameSite=Strict, Path=/, so no script reads it, no other site sends it and no subdomain can
plant one. Browsers treat loopback (127.0.0.1, localhost) as a secure origin, so the console
works over plain HTTP there; anywhere else serve the admin listener over TLS
(`[server] admin_http_tls`) or behind a TLS proxy, or the browser drops the cookie.

Each session has its own CSRF token, put in every form and checked on every POST. Signing in
is protected too (login CSRF: someone else's token planted in your browser): the login form's
token is double-submitted, once in a short-lived cookie and once in the form.

A session ends at sign-out, after `session_minutes`, or when the token it was opened with
expires, whichever comes first. Sessions live in this process: several gateways behind one
address need sticky routing for the console, or the approver signs in again.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pgbridge.auth.principal import Principal

SESSION_COOKIE = "__Host-pgbridge-console"
LOGIN_COOKIE = "__Host-pgbridge-login"
LOGIN_COOKIE_SECONDS = 600
_MAX_SESSIONS = 1000  # a cap, so sign-ins cannot grow memory without bound


@dataclass
class ConsoleSession:
    id: str
    csrf: str
    principal: Principal
    expires_at: float
    flash: list[tuple[str, str]] = field(default_factory=list)  # (kind, text) shown once


class SessionStore:
    def __init__(self, max_seconds: float, clock: Callable[[], float] = time.time) -> None:
        self.max_seconds = max_seconds
        self.clock = clock
        self._sessions: dict[str, ConsoleSession] = {}

    def start(self, principal: Principal) -> ConsoleSession:
        now = self.clock()
        self._expire(now)
        if len(self._sessions) >= _MAX_SESSIONS:
            oldest = min(self._sessions.values(), key=lambda s: s.expires_at)
            del self._sessions[oldest.id]
        expires = now + self.max_seconds
        if principal.expires_at is not None:
            expires = min(expires, principal.expires_at)
        session = ConsoleSession(secrets.token_urlsafe(32), secrets.token_urlsafe(32), principal, expires)
        self._sessions[session.id] = session
        return session

    def get(self, session_id: str | None) -> ConsoleSession | None:
        session = self._sessions.get(session_id or "")
        if session is None:
            return None
        if self.clock() >= session.expires_at:
            del self._sessions[session.id]
            return None
        return session

    def end(self, session_id: str | None) -> None:
        self._sessions.pop(session_id or "", None)

    def _expire(self, now: float) -> None:
        for stale in [s.id for s in self._sessions.values() if now >= s.expires_at]:
            del self._sessions[stale]


def tokens_match(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison; a missing value never matches."""
    if not expected or not given:
        return False
    return secrets.compare_digest(expected.encode(), given.encode())
