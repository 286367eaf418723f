"""The console's rules over a real socket, without a browser: cookies, CSRF, origin, four
eyes, decide-once, session end, live events, history filters, escaping, audit records.

The listener is the real aiohttp application over a real SQLite approvals store, with real
Ed25519 JWTs; an HTTP client plays the browser, carrying cookies by hand so that every
attribute the server sets is checked rather than trusted to a client's jar.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pgbridge.admin.app import AdminServer, start_admin
from pgbridge.admin.deps import AdminDeps, ConsoleSettings
from pgbridge.auth.principal import Principal
from pgbridge.policy.approval_context import contexts_for
from pgbridge.policy.approvals import SqliteApprovalStore

KEY = Ed25519PrivateKey.generate()
SQL = "SELECT count(*) FROM `shop`.`orders` AS `orders`"


def token(subject: str, roles: list[str], ttl: float = 300) -> str:
    return jwt.encode({"sub": subject, "roles": roles, "exp": int(time.time() + ttl)}, KEY, algorithm="EdDSA")


def verify(raw: str) -> Principal:
    claims = jwt.decode(raw, KEY.public_key(), algorithms=["EdDSA"])
    return Principal(claims["sub"], tuple(claims["roles"]), claims, expires_at=float(claims["exp"]))


@dataclass
class Console:
    base: str
    store: SqliteApprovalStore
    records: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[Console]:
    store = SqliteApprovalStore(tmp_path / "approvals.sqlite")
    found = Console("", store)

    async def record(kind: str, fields: dict[str, Any]) -> None:
        found.records.append((kind, fields))

    deps = AdminDeps(store, verify, "approver", record=record, console=ConsoleSettings(poll_interval_s=0.1))
    server: AdminServer = await start_admin("127.0.0.1", 0, deps)
    found.base = f"http://127.0.0.1:{server.port}"
    yield found
    await server.close()


class Browser:
    """Cookies by hand: the server's Set-Cookie headers are parsed and checked, then sent back."""

    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http, self.base = http, base
        self.cookies: dict[str, str] = {}
        self.set_cookie_headers: list[str] = []

    async def request(self, method: str, path: str, data: Any = None, **headers: str) -> tuple[int, str]:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        async with self.http.request(
            method,
            self.base + path,
            data=data,
            allow_redirects=False,
            headers={"Cookie": cookie, **headers} if cookie else headers,
        ) as reply:
            for header in reply.headers.getall("Set-Cookie", []):
                self.set_cookie_headers.append(header)
                for name, morsel in SimpleCookie(header).items():
                    if morsel["max-age"] == "0" or not morsel.value:
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            location = reply.headers.get("Location", "")
            return reply.status, location or await reply.text()

    async def sign_in(self, jwt_text: str) -> int:
        _, page = await self.request("GET", "/console/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf
        status, _ = await self.request("POST", "/console/login", {"csrf": csrf.group(1), "token": jwt_text})
        return status

    async def csrf(self) -> str:
        status, page = await self.request("GET", "/console/")
        assert status == 200, page
        found = re.search(r'name="csrf" value="([^"]+)"', page)
        assert found
        return found.group(1)


@pytest.fixture
async def browser(console: Console) -> AsyncIterator[Browser]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        yield Browser(http, console.base)


async def test_session_cookie_is_host_only_secure_httponly_strict(console: Console, browser: Browser) -> None:
    secret = token("carol", ["approver"])
    assert await browser.sign_in(secret) == 303
    session = [h for h in browser.set_cookie_headers if h.startswith("__Host-pgbridge-console=")]
    assert len(session) == 1
    attributes = {part.strip().split("=")[0].lower() for part in session[0].split(";")[1:]}
    assert {"secure", "httponly", "samesite", "path", "max-age"} <= attributes and "domain" not in attributes
    assert "SameSite=Strict" in session[0] and "Path=/" in session[0]
    assert secret not in "".join(browser.set_cookie_headers)
    status, page = await browser.request("GET", "/console/")
    assert status == 200 and 'id="me">carol<' in page
    assert [kind for kind, _ in console.records] == ["console_sign_in"]


async def test_sign_in_needs_the_forms_own_token(console: Console, browser: Browser) -> None:
    status, _ = await browser.request("POST", "/console/login", {"token": token("carol", ["approver"])})
    assert status == 403 and "__Host-pgbridge-console" not in browser.cookies
    status, page = await browser.request(
        "POST", "/console/login", {"token": token("carol", ["approver"]), "csrf": "x"}
    )
    assert status == 403 and "expired or was not ours" in page


async def test_posts_need_the_session_csrf_and_our_origin(console: Console, browser: Browser) -> None:
    request = console.store.request("alice", SQL, "d", "roles.analyst.max_bytes")
    await browser.sign_in(token("carol", ["approver"]))
    csrf = await browser.csrf()
    path = f"/console/approvals/{request.id}/approve"
    assert (await browser.request("POST", path, {"reason": "r"}))[0] == 403
    wrong = csrf[:-1] + ("B" if csrf.endswith("A") else "A")  # never the real token by chance
    assert (await browser.request("POST", path, {"reason": "r", "csrf": wrong}))[0] == 403
    evil = {"Origin": "http://evil.example"}
    assert (await browser.request("POST", path, {"reason": "r", "csrf": csrf}, **evil))[0] == 403
    assert console.store.get(request.id).status == "pending"  # type: ignore[union-attr]
    assert (await browser.request("POST", "/console/logout", {}))[0] == 403  # logout too
    status, location = await browser.request(
        "POST", path, {"reason": "ok", "csrf": csrf}, Origin=console.base
    )
    assert (status, location) == (303, "/console/")
    assert console.store.get(request.id).status == "approved"  # type: ignore[union-attr]


async def test_without_a_session_nothing_is_shown_or_decided(console: Console, browser: Browser) -> None:
    request = console.store.request("alice", SQL, "d", "rule")
    assert await browser.request("GET", "/console/") == (303, "/console/login")
    assert await browser.request("GET", "/console/history") == (303, "/console/login")
    assert (await browser.request("GET", "/console/pending"))[0] == 401
    assert (await browser.request("GET", "/console/events"))[0] == 401
    assert (await browser.request("POST", f"/console/approvals/{request.id}/approve", {"reason": "x"}))[
        0
    ] == 403
    assert console.store.get(request.id).status == "pending"  # type: ignore[union-attr]


async def test_four_eyes_and_decide_once(console: Console, browser: Browser) -> None:
    request = console.store.request("carol", SQL, "d", "rule")
    await browser.sign_in(token("carol", ["approver", "analyst"]))
    status, page = await browser.request("GET", "/console/")
    assert "You asked for this one" in page and f"/console/approvals/{request.id}/approve" not in page
    csrf = await browser.csrf()
    await browser.request("POST", f"/console/approvals/{request.id}/approve", {"reason": "me", "csrf": csrf})
    _, page = await browser.request("GET", "/console/")
    assert f"carol asked for {request.id} and may not decide it" in page
    assert console.store.get(request.id).status == "pending"  # type: ignore[union-attr]
    dave = Browser(browser.http, browser.base)
    await dave.sign_in(token("dave", ["approver"]))
    for outcome in ("denied", f"request {request.id} is denied, not pending"):
        await dave.request(
            "POST", f"/console/approvals/{request.id}/deny", {"reason": "no", "csrf": await dave.csrf()}
        )
        _, page = await dave.request("GET", "/console/")
        assert outcome in page
    decided = [f for kind, f in console.records if kind == "approval_decided"]
    assert [(f["approver"]["subject"], f["decision"], f["reason"], f["via"]) for f in decided] == [
        ("dave", "denied", "no", "console")
    ]


async def test_a_decision_needs_a_reason(console: Console, browser: Browser) -> None:
    request = console.store.request("alice", SQL, "d", "rule")
    await browser.sign_in(token("carol", ["approver"]))
    await browser.request(
        "POST", f"/console/approvals/{request.id}/approve", {"reason": " ", "csrf": await browser.csrf()}
    )
    _, page = await browser.request("GET", "/console/")
    assert "give a reason" in page and console.store.get(request.id).status == "pending"  # type: ignore[union-attr]


async def test_the_session_ends_with_its_token(console: Console, browser: Browser) -> None:
    await browser.sign_in(token("carol", ["approver"], ttl=2))
    assert (await browser.request("GET", "/console/"))[0] == 200
    await asyncio.sleep(2.5)
    assert await browser.request("GET", "/console/") == (303, "/console/login")


async def test_sign_out_ends_the_session(console: Console, browser: Browser) -> None:
    await browser.sign_in(token("carol", ["approver"]))
    stolen = dict(browser.cookies)
    assert await browser.request("POST", "/console/logout", {"csrf": await browser.csrf()}) == (
        303,
        "/console/login",
    )
    browser.cookies = stolen  # the old cookie is worthless on the server too
    assert await browser.request("GET", "/console/") == (303, "/console/login")


async def test_events_announce_a_new_request(console: Console, browser: Browser) -> None:
    await browser.sign_in(token("carol", ["approver"]))
    cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
    async with browser.http.get(console.base + "/console/events", headers={"Cookie": cookie}) as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        first = await asyncio.wait_for(stream.content.readuntil(b"\n\n"), 5)
        assert first.startswith(b"event: pending\ndata: ") and first.endswith(b" 0\n\n")
        await asyncio.to_thread(console.store.request, "alice", SQL, "d", "rule")
        second = await asyncio.wait_for(stream.content.readuntil(b"\n\n"), 5)
        assert second.startswith(b"event: pending\ndata: ") and second.endswith(b" 1\n\n")


async def test_history_filters(console: Console, browser: Browser) -> None:
    store = console.store
    a = store.request("alice", SQL + " -- a", "d", "rule")
    b = store.request("bob", SQL + " -- b", "d", "rule")
    c = store.request("alice", SQL + " -- c", "d", "rule")
    store.decide(a.id, "carol", True, "fine")
    store.decide(b.id, "dave", False, "too big")
    store.consume(a.id)
    await browser.sign_in(token("carol", ["approver"]))

    async def shown(query: str) -> set[str]:
        status, page = await browser.request("GET", "/console/history?" + query)
        assert status == 200, page
        return set(re.findall(r"<code>(apr_[0-9a-f]+)</code>", page))

    assert await shown("") == {a.id, b.id, c.id}
    assert await shown("requester=ALICE") == {a.id, c.id}
    assert await shown("approver=dave") == {b.id}
    assert await shown("decision=approved") == {a.id}  # consumed approvals were approved
    assert await shown("decision=pending") == {c.id}
    today = time.strftime("%Y-%m-%d", time.gmtime())
    assert await shown(f"since={today}&until={today}") == {a.id, b.id, c.id}
    assert await shown("until=2000-01-01") == set()
    status, page = await browser.request("GET", "/console/history?since=yesterday")
    assert status == 400 and "since must be a date" in page


async def test_sql_and_context_are_escaped(console: Console, browser: Browser) -> None:
    evil = "SELECT '</pre><script>alert(1)</script>' AS x"
    request = console.store.request("alice", evil, "d", "rule<img src=x>")
    contexts = contexts_for(console.store)
    assert contexts is not None
    contexts.add(
        request.id,
        {
            "sql": evil,
            "roles": ["<b>analyst</b>"],
            "mode": "wait",
            "bytes_estimate": 2**40,
            "masked_columns": [{"column": "ssn", "strategy": "partial", "rules": ["r"]}],
            "row_filters": [{"table": "shop.customers", "filter": "country = 'DE'"}],
        },
    )
    await browser.sign_in(token("carol", ["approver"]))
    status, page = await browser.request("GET", "/console/")
    assert status == 200
    assert "<script>alert" not in page and "<b>analyst" not in page and "<img src=x>" not in page
    assert "$6.2500" in page and "1.1 TB" in page and "ssn" in page and "country = &#39;DE&#39;" in page


async def test_pages_forbid_framing_and_foreign_scripts(console: Console, browser: Browser) -> None:
    async with browser.http.get(console.base + "/console/login") as reply:
        csp = reply.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert reply.headers["X-Frame-Options"] == "DENY" and reply.headers["Cache-Control"] == "no-store"


async def test_shutdown_ends_open_event_streams(tmp_path: Path) -> None:
    store = SqliteApprovalStore(tmp_path / "approvals.sqlite")
    deps = AdminDeps(store, verify, "approver", console=ConsoleSettings(poll_interval_s=5.0))
    server = await start_admin("127.0.0.1", 0, deps)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        browser = Browser(http, f"http://127.0.0.1:{server.port}")
        await browser.sign_in(token("carol", ["approver"]))
        cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
        async with http.get(browser.base + "/console/events", headers={"Cookie": cookie}) as stream:
            await asyncio.wait_for(stream.content.readuntil(b"\n\n"), 5)
            started = time.monotonic()
            await asyncio.wait_for(server.close(), 10)
            assert time.monotonic() - started < 1.5  # the stream ended at once, not at its next poll


async def test_another_concern_mounts_beside_the_others(tmp_path: Path) -> None:
    """Room for the operators' routes: a /healthz mounted as one more concern answers without
    a token, and neither loosens nor is caught by the API's or the console's rules."""
    from aiohttp import web

    from pgbridge.admin.app import DEFAULT_CONCERNS

    def health(root: web.Application, _deps: AdminDeps) -> None:
        async def healthz(_request: web.Request) -> web.Response:
            return web.Response(text="ok")

        root.router.add_get("/healthz", healthz)

    deps = AdminDeps(SqliteApprovalStore(tmp_path / "a.sqlite"), verify, "approver")
    server = await start_admin("127.0.0.1", 0, deps, concerns=(*DEFAULT_CONCERNS, health))
    try:
        async with aiohttp.ClientSession() as http:
            base = f"http://127.0.0.1:{server.port}"
            async with http.get(base + "/healthz") as reply:
                assert (reply.status, await reply.text()) == (200, "ok")
            async with http.get(base + "/approvals") as reply:
                assert reply.status == 401
            async with http.get(base + "/console/", allow_redirects=False) as reply:
                assert (reply.status, reply.headers["Location"]) == (303, "/console/login")
    finally:
        await server.close()
