"""Worker thread pools: one per kind of blocking work, so one kind cannot starve another.

asyncio's default executor has min(32, cores + 4) threads (6 on a 2-core machine). When token
verification, catalog queries, warehouse queries and approval-store reads all shared it, one
principal's long catalog queries held every thread and another principal's login waited for
them (issue 10: 11-22 s for a login and `SELECT 1`). Each stage now owns a `WorkerPool` sized
for its own work; what a single principal may hold of the catalog and backend pools is capped
per role (pgbridge.policy.concurrency), and waiting for that cap happens on the event loop.

A pool never waits for a lock while holding its thread: locks and slots are awaited on the
event loop before the work is handed to a thread.

Query work is also second in line for the CPU. On two cores, a few DuckDB queries keep every
core busy, and the event loop that answers logins and protocol messages would get a third of
a core, paying a scheduling delay at each of a login's round trips. Threads of the query pools
(and the engine threads DuckDB starts from them, which inherit it) run at a lower priority
(nice +10): they still use every idle cycle, but the event loop runs first when it has work.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

# Sizes: verification is a few milliseconds of CPU (or a JWKS fetch, rate limited), approval
# reads are SQLite point queries, catalog queries are bounded by [catalog] statement_timeout_ms
# and per-principal caps; backend threads block for a whole query (DuckDB) or job (BigQuery).
AUTH_THREADS = 4
APPROVAL_THREADS = 2
CATALOG_THREADS = 8
BACKEND_THREADS = 32
BACKGROUND_NICE = 10


def lower_priority() -> None:
    """Lower the calling thread's CPU priority (Linux: nice is per thread, and threads it
    starts inherit it). Best effort: where it is not possible, the thread keeps its priority."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)


def in_background_thread(work: Callable[[], T]) -> T:
    """work() in a fresh low-priority thread, waited for: opening a DuckDB database there
    makes the engine's own worker threads low priority too."""
    outcome: list[T] = []
    failure: list[BaseException] = []

    def body() -> None:
        lower_priority()
        try:
            outcome.append(work())
        except BaseException as error:  # re-raised in the caller
            failure.append(error)

    thread = threading.Thread(target=body, name="pgbridge-open")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return outcome[0]


class WorkerPool:
    """A named thread pool whose `run` awaits a blocking call on the event loop; `background`
    pools (query work) run at a lower CPU priority than the event loop."""

    def __init__(self, name: str, threads: int, *, background: bool = False) -> None:
        self.name = name
        self.threads = threads
        self._executor = ThreadPoolExecutor(
            max_workers=threads,
            thread_name_prefix=f"pgbridge-{name}",
            initializer=lower_priority if background else None,
        )

    async def run(self, work: Callable[..., T], *args: object) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(work, *args))

    def shutdown(self) -> None:
        """Stop taking work; threads still running finish on their own (DuckDB is interrupted
        by its owner first)."""
        self._executor.shutdown(wait=False, cancel_futures=True)
