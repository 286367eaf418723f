"""The gateway's anchoring task: a signed checkpoint of the durable chain head, every few seconds.

A checkpoint goes out at start (before the gateway accepts a connection: a gateway that cannot
anchor does not start), then every `interval_s` when the head has moved, and at clean shutdown
after `log_closed`. So the records an attacker with root on the host could still cut off
unseen are at most those of the last `interval_s` (plus one sink round trip): see
docs/several-gateways.md. If the sink stays unreachable, the unanchored tail grows; after
`max_unanchored_s` without a current checkpoint the audit log refuses new records (and so
every statement) until the sink answers again, rather than let that window grow without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pgbridge.audit import records
from pgbridge.audit.anchors import AnchorSink, Checkpoint, StoredAnchor, sign
from pgbridge.audit.settings import AnchorSettings
from pgbridge.audit.writer import AuditRef

logger = logging.getLogger("pgbridge.audit")

Head = Callable[[], AuditRef]


class Anchorer:
    def __init__(
        self,
        settings: AnchorSettings,
        gateway: str,
        key: Ed25519PrivateKey,
        head: Head,
        sink: AnchorSink,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.gateway = gateway
        self.key = key
        self.head = head
        self.sink = sink
        self.clock = clock
        self.anchored: AuditRef | None = None
        self.last_error: str | None = None  # why the last checkpoint failed; None once one succeeds
        self._current_at = clock()  # when the sink last held a checkpoint of the current head
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Check the sink and write the first checkpoint; raises OSError if either fails."""
        check = getattr(self.sink, "check", None)
        if check is not None:
            await check()
        await self.anchor("start")
        self._task = asyncio.create_task(self._run(), name="pgbridge-audit-anchors")

    async def anchor(self, reason: str) -> AuditRef:
        """Write a checkpoint of the durable head now; raises OSError when the sink refuses it."""
        async with self._lock:  # one checkpoint at a time, in head order
            head = self.head()
            point = Checkpoint(self.gateway, head.seq, head.hash, records.utc_timestamp(), reason)
            await self.sink.write(sign(self.key, point))
            self.anchored = head
            self._current_at = self.clock()
            self.last_error = None
            return head

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.settings.interval_s)
            if self.head() == self.anchored:
                self._current_at = self.clock()
                continue
            try:
                await self.anchor("periodic")
            except OSError as exc:
                self.last_error = str(exc)
                logger.critical(
                    "AUDIT ANCHOR NOT WRITTEN: %s (records since seq %s are unanchored)",
                    exc,
                    self.anchored.seq if self.anchored else 0,
                )

    def unanchored_for(self) -> float | None:
        """Seconds since the sink last held a current checkpoint, once past the allowed bound."""
        limit = self.settings.max_unanchored_s
        if not limit:
            return None
        age = self.clock() - self._current_at
        return age if age > limit else None

    async def close(self) -> None:
        """Stop the task and write the shutdown checkpoint (after log_closed is durable)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        try:
            await self.anchor("shutdown")
        except OSError as exc:
            logger.critical("AUDIT ANCHOR NOT WRITTEN at shutdown: %s", exc)
        finally:
            await self.sink.close()


async def start_anchoring(
    settings: AnchorSettings, gateway: str, key: Ed25519PrivateKey, head: Head
) -> Anchorer:
    anchorer = Anchorer(settings, gateway, key, head, make_sink(settings.url))
    try:
        await anchorer.start()
    except BaseException:
        await anchorer.sink.close()
        raise
    return anchorer


def make_sink(url: str) -> AnchorSink:
    """The sink a URL names; each driver is imported only when configured."""
    if url.startswith("gs://"):
        from pgbridge.audit.anchor_gcs import GcsAnchorSink

        return GcsAnchorSink(url)
    from pgbridge.audit.anchor_pg import PostgresAnchorSink

    return PostgresAnchorSink(url)


def read_anchors(url: str) -> list[StoredAnchor]:
    """Every checkpoint a sink holds, for verification (blocking)."""
    if url.startswith("gs://"):
        from pgbridge.audit import anchor_gcs

        return anchor_gcs.read_all(url)
    from pgbridge.audit import anchor_pg

    return anchor_pg.read_all(url)
