"""Worker thread pools: one per kind of blocking work, so one kind cannot starve another.

asyncio's default executor has min(32, cores + 4) threads (6 on a 2-core machine). When token
verification, catalog queries, warehouse queries and approval-store reads all shared it, one
principal's long catalog queries held every thread and another principal's login waited for
them (issue 10: 11-22 s for a login and `SELECT 1`). Each stage now owns a `WorkerPool` sized
for its own work; what a single principal may hold of the catalog and backend pools is capped
per role (pgbridge.policy.concurrency), and waiting for that cap happens on the event loop.

A pool never waits for a lock while holding its thread: locks and slots are awaited on the
event loop before the work is handed to a thread.

Long query work is also second in line for the CPU. On two cores a few DuckDB queries keep
every core busy, and the event loop that answers logins and protocol messages, and another
principal's one-millisecond `SELECT 1`, would wait behind them at every step. DuckDB's own
engine threads, and any query call that runs longer than DEMOTE_AFTER_S, run at a lower
priority (nice +10): they still use every idle cycle, but short work runs first.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import queue
import sys
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar, cast

T = TypeVar("T")
# Every pool alive in the process, for the saturation gauges /metrics reads (pgbridge.ops).
POOLS: weakref.WeakSet[WorkerPool] = weakref.WeakSet()

# Sizes: verification is a few milliseconds of CPU (or a JWKS fetch, rate limited), approval
# reads are SQLite point queries, catalog queries are bounded by [catalog] statement_timeout_ms
# and per-principal caps; backend threads block for a whole query (DuckDB) or job (BigQuery).
AUTH_THREADS = 4
APPROVAL_THREADS = 2
CATALOG_THREADS = 8
BACKEND_THREADS = 32
BACKGROUND_NICE = 10
DEMOTE_AFTER_S = 0.05  # query work running longer than this yields the CPU
IDLE_EXIT_S = 60.0  # a thread with nothing to do for this long ends


def _demote_thread(thread_id: int) -> None:
    """Lower one thread's CPU priority to BACKGROUND_NICE above the process's (its main
    thread's). Linux keeps a nice value per thread (a thread id is a valid `who` for
    setpriority, and threads inherit their creator's); elsewhere the id would name a process,
    so nothing is done. Best effort: a refusal leaves the priority as it is."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError):
        target = min(19, os.getpriority(os.PRIO_PROCESS, os.getpid()) + BACKGROUND_NICE)
        if os.getpriority(os.PRIO_PROCESS, thread_id) < target:
            os.setpriority(os.PRIO_PROCESS, thread_id, target)


def lower_priority() -> None:
    """Lower the calling thread's CPU priority (and that of the threads it starts)."""
    _demote_thread(threading.get_native_id())


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


class _Job:
    """One call, and the thread running it (so a long call's thread can be demoted)."""

    def __init__(self, call: Callable[[], object], loop: asyncio.AbstractEventLoop) -> None:
        self.call = call
        self.loop = loop
        self.future: Future[object] = Future()
        self._lock = threading.Lock()
        self._thread_id: int | None = None
        self.demoted = False

    def started(self) -> None:
        with self._lock:
            self._thread_id = threading.get_native_id()

    def finished(self) -> bool:
        """True when the call was demoted while it ran (its thread must not serve again)."""
        with self._lock:
            self._thread_id = None
            return self.demoted

    def demote(self) -> None:
        with self._lock:
            if self._thread_id is not None and not self.demoted:
                self.demoted = True
                _demote_thread(self._thread_id)


class WorkerPool:
    """A named pool of up to `threads` threads whose `run` awaits a blocking call on the loop.

    In a `background` pool (query work) a call still running after DEMOTE_AFTER_S is moved to
    a lower CPU priority, and its thread retires when it ends (an unprivileged process cannot
    raise a priority again): short calls — a login's `SELECT 1`, a catalog lookup — run at
    normal priority, long ones yield the CPU to them and to the event loop.
    """

    def __init__(self, name: str, threads: int, *, background: bool = False) -> None:
        self.name = name
        self.threads = threads
        self._background = background
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = threading.Semaphore(0)
        self._count = 0
        self._stopped = False
        self.busy = 0  # threads running a call now (read by /metrics, written under _lock)
        POOLS.add(self)

    def saturation(self) -> tuple[int, int, int]:
        """(threads running a call, most threads, calls queued for a thread) right now."""
        return self.busy, self.threads, self._jobs.qsize()

    async def run(self, work: Callable[..., T], *args: object) -> T:
        loop = asyncio.get_running_loop()
        job = _Job(functools.partial(work, *args), loop)
        self._submit(job)
        demote = loop.call_later(DEMOTE_AFTER_S, job.demote) if self._background else None
        try:
            return cast(T, await asyncio.wrap_future(job.future))
        finally:
            if demote is not None:
                demote.cancel()

    def shutdown(self) -> None:
        """Stop taking work; calls already running finish on their own (DuckDB is interrupted
        by its owner first), queued ones are cancelled."""
        with self._lock:
            self._stopped = True
            with contextlib.suppress(queue.Empty):
                while True:
                    job = self._jobs.get_nowait()
                    if job is not None:
                        job.future.cancel()
            for _ in range(self._count):
                self._jobs.put(None)

    def _submit(self, job: _Job) -> None:
        with self._lock:
            if self._stopped:
                raise RuntimeError(f"the {self.name} pool is shut down")
            self._jobs.put(job)
            # Non-blocking: acquire(timeout=0) waits on a condition for zero seconds, which hands the
            # GIL to another thread and cost the event loop a switch interval per statement.
            if not self._idle.acquire(blocking=False) and self._count < self.threads:
                self._start_thread()

    def _start_thread(self) -> None:
        self._count += 1
        threading.Thread(target=self._serve, name=f"pgbridge-{self.name}", daemon=True).start()

    def _next_job(self) -> _Job | None:
        """The next job; None when the pool stops or this thread has been idle too long."""
        while True:
            try:
                return self._jobs.get(timeout=IDLE_EXIT_S)
            except queue.Empty:
                with self._lock:
                    if self._idle.acquire(blocking=False):  # no submitter is counting on this thread
                        self._count -= 1
                        return None

    def _serve(self) -> None:
        while (job := self._next_job()) is not None:
            if not job.future.set_running_or_notify_cancel():
                continue
            job.started()
            with self._lock:
                self.busy += 1
            try:
                job.future.set_result(job.call())
            except BaseException as error:  # handed to the awaiting caller
                job.future.set_exception(error)
            finally:
                with self._lock:
                    self.busy -= 1
            if job.finished():
                with self._lock:
                    self._count -= 1
                # A fresh thread takes this one's place, started from the event loop's thread:
                # threads inherit their creator's priority.
                with contextlib.suppress(RuntimeError):  # the loop is closed: nothing waits
                    job.loop.call_soon_threadsafe(self._replace)
                return
            self._idle.release()

    def _replace(self) -> None:
        with self._lock:
            if not self._stopped and self._count < self.threads:
                self._start_thread()
