"""Sending a result's rows: pulled from their producer as the client can take them.

Each batch is encoded and sent before the next is pulled, and every send first waits for the
socket to drain (Connection.send), so a slow client stops the producer rather than filling
the gateway's memory. An Execute with a row limit (asyncpg reads cursors 50 rows at a time)
renders a batch once and sends it a slice at a time (Portal.next_encoded).

Whatever ends the rows (their end, an error, a cancel) finishes the portal with it, once:
that is the audit's completion record. A portal suspended by a row limit is not finished; it
goes on at the next Execute, or ends when it is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from pgbridge.server.context import Prepared
from pgbridge.server.encoders import copy_encoder
from pgbridge.server.error_text import stream_failure
from pgbridge.server.outcomes import CopyOut
from pgbridge.server.portals import Portal
from pgbridge.server.protocol.core import ProtocolCore
from pgbridge.server.settings import SessionSettings
from pgbridge.wire.errors import PgError


class Delivery:
    def __init__(
        self,
        core: ProtocolCore[Prepared, Portal],
        flush: Callable[[], Awaitable[None]],
        cancel_error: Callable[[], PgError],
    ) -> None:
        self.core = core
        self.flush = flush  # send what the core wrote, once the socket has drained
        self.cancel_error = cancel_error  # why the running statement was cancelled

    async def rows(self, portal: Portal, max_rows: int) -> None:
        """Up to max_rows rows (0: all) of a started portal, then its tag or PortalSuspended."""
        async with self._finishing(portal, always=False):
            if not max_rows:
                await self._all(portal)
            elif await self._suspended_after(portal, max_rows):
                self.core.rows_suspended()
                return
        self.core.rows_done(portal.stream.verb if portal.stream else "SELECT", portal.rows_sent)

    async def _all(self, portal: Portal) -> None:
        while (batch := await portal.next_rows(0)) is not None:
            self.core.send_bytes(portal.rows_encoder.encode(batch))
            await self.flush()

    async def _suspended_after(self, portal: Portal, max_rows: int) -> bool:
        """Send up to max_rows rows; True when the limit was reached before their end
        ("If the Execute [row limit] is reached before the portal is exhausted,
        PortalSuspended")."""
        remaining = max_rows
        while (sliced := await portal.next_encoded(remaining)) is not None:
            data, count = sliced
            self.core.send_bytes(data)
            await self.flush()
            remaining -= count
            if remaining <= 0:
                return True
        return False

    async def copy(self, copy: CopyOut, settings: SessionSettings) -> None:
        """COPY TO STDOUT: CopyOutResponse, a CopyData per row, CopyDone, COPY n."""
        portal = Portal("", None, (), ())
        portal.attach(copy.rows, None)
        async with self._finishing(portal, always=True):
            encoder = copy_encoder(copy.rows.columns, copy.format, settings)
            self.core.copy_started(encoder.copy_out_response())
            while (batch := await portal.next_rows(0)) is not None:
                self.core.send_bytes(encoder.encode(batch))
                await self.flush()
            self.core.send_bytes(encoder.finish())
        self.core.copy_done(portal.rows_sent)

    @contextlib.asynccontextmanager
    async def _finishing(self, portal: Portal, always: bool) -> AsyncIterator[None]:
        """Finish the portal with what ended its rows (the audit's completion record): always,
        or only when they ended or failed (a suspended portal goes on later)."""
        error: PgError | None = None
        try:
            yield
        except PgError as failure:
            error = failure
            raise
        except asyncio.CancelledError:
            error = self.cancel_error()
            raise
        except Exception as failure:
            error = stream_failure(failure)
            if isinstance(failure, ConnectionError):
                raise
            raise error from None
        finally:
            if always or error is not None or portal.done:
                await portal.finish(error)
