"""CancelRequest between worker processes: a Unix socket per worker (pgbridge.server.multiworker).

A client sends its CancelRequest on a new connection, which the kernel may hand to any worker.
The worker that accepted it forwards the request's process id and secret (8 bytes, as in the
CancelRequest itself) to the socket of the worker that owns the session; the owner checks the
secret exactly as for a request it accepted itself. Nothing is answered, as in PostgreSQL. The
sockets live in the supervisor's private run directory (0700), so only this gateway's own
processes reach them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from collections.abc import Awaitable, Callable
from pathlib import Path

_KEY = struct.Struct("!II")  # process id, secret
log = logging.getLogger("pgbridge.gateway")

Cancel = Callable[[int, int], Awaitable[None]]


async def serve_relay(path: Path, cancel: Cancel) -> asyncio.AbstractServer:
    """Listen on `path` for forwarded cancel requests; each is handed to `cancel`."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            process_id, secret = _KEY.unpack(await asyncio.wait_for(reader.readexactly(_KEY.size), 5))
            await cancel(process_id, secret)
        except (asyncio.IncompleteReadError, TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    return await asyncio.start_unix_server(handle, path=str(path))


async def forward(path: Path, process_id: int, secret: int) -> None:
    """Hand a cancel request to the worker listening on `path` (best effort, like cancel itself)."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_unix_connection(str(path)), 5)
    except (OSError, TimeoutError) as error:
        log.warning("could not forward a cancel request to %s: %s", path, error)
        return
    try:
        writer.write(_KEY.pack(process_id, secret))
        await writer.drain()
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
