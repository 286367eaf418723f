"""The serving process's signals: SIGTERM drains and exits, SIGINT does the same without a
grace period, SIGHUP reloads the configuration (pgbridge.ops.lifecycle, pgbridge.ops.reload)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from pgbridge.server.listener import Listener

log = logging.getLogger("pgbridge.lifecycle")


async def serve_until_stopped(listener: Listener) -> None:
    """Serve until SIGTERM or SIGINT, then drain and close (the audit log last)."""
    loop = asyncio.get_running_loop()
    stopped: asyncio.Future[float] = loop.create_future()

    def stop(grace_s: float) -> None:
        if not stopped.done():
            stopped.set_result(grace_s)

    handlers = {
        signal.SIGTERM: lambda: stop(listener.gateway.config.server.shutdown_grace_s),
        signal.SIGINT: lambda: stop(0.0),
        signal.SIGHUP: listener.operations.reload,
    }
    for sig, handler in handlers.items():
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, handler)
    serving = asyncio.ensure_future(listener.serve_forever())
    grace_s = await stopped
    try:
        await listener.operations.drain(grace_s)
    finally:
        serving.cancel()
        await listener.close()
        log.info("pgbridge stopped", extra={"fields": {"event": "stopped"}})
