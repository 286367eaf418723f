"""/healthz, /readyz and /metrics on the admin listener.

/healthz: the process answers (liveness; a restart is the cure when it does not).
/readyz: new work may be sent here: the backend answers, the audit log can be written, the
token keys are loaded, and the gateway is not draining. 503 with the failing checks named
otherwise, so a load balancer takes the gateway out of rotation before SIGTERM closes it.
/metrics: Prometheus text format (pgbridge.ops.metrics).

They need no credentials and show no data: counts, durations and check names only. The admin
listener binds 127.0.0.1 unless configured otherwise (config.example.toml, [server]).
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest

from pgbridge.admin.app import Concern
from pgbridge.admin.deps import AdminDeps
from pgbridge.audit.log import AuditLog
from pgbridge.auth.jwt import TokenVerifier
from pgbridge.backends.base import Backend
from pgbridge.ops.metrics import REGISTRY

CHECK_TIMEOUT_S = 5.0  # a backend slower than this to list its datasets is not ready
CACHE_S = 1.0  # probes more often than this share one answer (the backend check costs a call)

APPROVALS_PENDING = Gauge(
    "pgbridge_approvals_pending", "Approval requests waiting for a decision", registry=REGISTRY
)


@dataclass
class Readiness:
    """The checks behind /readyz, and the draining flag SIGTERM sets."""

    backend: Backend
    audit: AuditLog | None
    verifier: TokenVerifier
    draining: bool = False
    _last: tuple[float, dict[str, str]] | None = field(default=None, repr=False)

    async def check(self) -> dict[str, str]:
        """Check name -> "ok" or why not."""
        if self._last is not None and time.monotonic() - self._last[0] < CACHE_S:
            checks = dict(self._last[1])
        else:
            checks = {
                "backend": await self._backend(),
                "audit": self._audit(),
                "keys": await self._keys(),
            }
            self._last = (time.monotonic(), checks)
        checks["draining"] = "draining after SIGTERM" if self.draining else "ok"
        return checks

    async def _backend(self) -> str:
        try:
            await asyncio.wait_for(self.backend.datasets(), CHECK_TIMEOUT_S)
        except TimeoutError:
            return f"no answer within {CHECK_TIMEOUT_S:g} s"
        except Exception as error:
            return f"{type(error).__name__}: {str(error)[:200]}"
        return "ok"

    def _audit(self) -> str:
        audit = self.audit
        if audit is None or not audit.enabled:
            return "ok"  # disabled by configuration (benchmarks)
        if audit.last_error is not None:
            return f"last write failed: {audit.last_error}"
        if not os.access(audit.settings.directory, os.W_OK):
            return f"{audit.settings.directory} is not writable"
        if (problem := audit.anchor_problem()) is not None:  # statements are refused soon after
            return f"anchors: {problem}"
        return "ok"

    async def _keys(self) -> str:
        loaded = await asyncio.to_thread(self.verifier.keys_loaded)
        return "ok" if loaded else "no token signing key could be loaded"


def routes(readiness: Readiness) -> Concern:
    """The admin listener concern that mounts the three routes (pgbridge.admin.app.Concern)."""

    def mount(root: web.Application, deps: AdminDeps) -> None:
        async def readyz(_request: web.Request) -> web.Response:
            return await _readyz(readiness)

        async def metrics(_request: web.Request) -> web.Response:
            return await _metrics(deps)

        root.router.add_get("/healthz", _healthz)
        root.router.add_get("/readyz", readyz)
        root.router.add_get("/metrics", metrics)

    return mount


async def _healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _readyz(readiness: Readiness) -> web.Response:
    checks = await readiness.check()
    ready = all(value == "ok" for value in checks.values())
    return web.json_response({"ready": ready, "checks": checks}, status=200 if ready else 503)


async def _metrics(deps: AdminDeps) -> web.Response:
    APPROVALS_PENDING.set(await _pending(deps))
    # On the loop's thread: the collectors read the listener's connections, which only it changes.
    body = generate_latest(REGISTRY)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def _pending(deps: AdminDeps) -> int:
    def count() -> int:
        return len(deps.store.list("pending"))

    if deps.pool is not None:
        return await deps.pool.run(count)
    return await asyncio.to_thread(count)
