"""A result stream fed by a worker thread through a bounded queue (backpressure).

The BigQuery clients block, so one worker thread per result pulls pages (REST) or Arrow
messages (Storage Read) and puts record batches into a queue of `depth` slots. When the
client reads slowly the queue fills and the worker waits, so at most `depth` batches are
held however large the result. The event loop never blocks: the worker wakes it with
call_soon_threadsafe. Closing sets a flag the worker checks between batches and before
every put, so an abandoned result stops reading within one poll interval.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass

import pyarrow as pa

from pgbridge.backends.base import Field, JobStats
from pgbridge.backends.bigquery_errors import to_pg_error

_POLL_SECONDS = 0.05
_CLOSE_WAIT_SECONDS = 2.0  # a worker stuck in a network call is left to exit on its own


@dataclass(frozen=True, slots=True)
class _Done:
    error: BaseException | None = None


class ThreadedResult:
    """ResultStream over a blocking batch iterator, started with `start()`."""

    def __init__(
        self,
        fields: tuple[Field, ...],
        stats: JobStats,
        produce: Callable[[], Iterator[pa.RecordBatch]],
        depth: int,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self.fields = fields
        self.stats = stats
        self._produce = produce
        self._queue: queue.Queue[pa.RecordBatch | _Done] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._ready = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._on_close = on_close
        self._thread = threading.Thread(target=self._work, name="pgbridge-bq-result", daemon=True)
        self._finished = False

    def start(self) -> ThreadedResult:
        self._thread.start()
        return self

    async def batches(self) -> AsyncIterator[pa.RecordBatch]:
        while not self._finished:
            item = await self._next()
            if isinstance(item, _Done):
                self._finished = True
                if item.error is not None:
                    raise to_pg_error(item.error, "reading the BigQuery result")
                return
            yield item

    async def aclose(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        self._finished = True
        deadline = self._loop.time() + _CLOSE_WAIT_SECONDS
        while self._thread.is_alive() and self._loop.time() < deadline:
            self._drain()  # a worker blocked on a full queue sees the flag on its next poll
            await asyncio.sleep(_POLL_SECONDS)
        self._drain()
        if self._on_close is not None:
            await asyncio.to_thread(self._on_close)

    @property
    def worker_alive(self) -> bool:
        return self._thread.is_alive()

    @property
    def queued(self) -> int:
        return self._queue.qsize()

    async def _next(self) -> pa.RecordBatch | _Done:
        while True:
            try:
                return self._queue.get_nowait()
            except queue.Empty:
                self._ready.clear()
            # The worker's wake-up runs on this loop after clear(), so it cannot be lost.
            if self._queue.empty():
                await self._ready.wait()

    def _drain(self) -> None:
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return

    def _work(self) -> None:
        try:
            for batch in self._produce():
                if not self._put(batch):
                    return
            self._put(_Done())
        except BaseException as exc:  # handed to the consumer, which raises it as PgError
            self._put(_Done(exc))

    def _put(self, item: pa.RecordBatch | _Done) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL_SECONDS)
            except queue.Full:
                continue
            self._wake()
            return True
        return False

    def _wake(self) -> None:
        try:
            self._loop.call_soon_threadsafe(self._ready.set)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            self._stop.set()
