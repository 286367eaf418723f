"""A TCP round-robin proxy: the load balancer in front of several gateways, for tests and benches.

Each accepted connection goes to the next backend in turn and its bytes are copied both ways
unchanged (TLS included: PostgreSQL negotiates it inside the stream). It runs on the caller's
event loop. `counts` says how many connections each backend received.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field


@dataclass
class Proxy:
    host: str
    port: int
    backends: Sequence[tuple[str, int]]
    counts: list[int] = field(default_factory=list)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


@contextlib.asynccontextmanager
async def round_robin_proxy(backends: Sequence[tuple[str, int]]) -> AsyncIterator[Proxy]:
    turn = itertools.cycle(range(len(backends)))
    proxy = Proxy("127.0.0.1", 0, backends, [0] * len(backends))
    tasks: set[asyncio.Task[None]] = set()

    async def accept(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        index = next(turn)
        proxy.counts[index] += 1
        try:
            backend_reader, backend_writer = await asyncio.open_connection(*backends[index])
        except OSError:
            client_writer.close()  # a dead backend: the client sees the connection drop
            return
        both = asyncio.gather(_pipe(client_reader, backend_writer), _pipe(backend_reader, client_writer))
        task = asyncio.ensure_future(both)
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        await task

    server = await asyncio.start_server(accept, proxy.host, 0)
    proxy.port = server.sockets[0].getsockname()[1]
    try:
        yield proxy
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            await server.wait_closed()


async def _serve(port: int, backends: list[tuple[str, int]]) -> None:
    async with round_robin_proxy(backends) as proxy:
        print(proxy.port, flush=True)  # the caller reads the port it got
        await asyncio.Event().wait()


def main(argv: list[str]) -> None:
    """`python -m tests.support.proxy HOST:PORT ...`: serve in a process of its own (benches)."""
    backends = [(item.rsplit(":", 1)[0], int(item.rsplit(":", 1)[1])) for item in argv]
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(0, backends))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
