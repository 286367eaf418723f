"""Sending probes as a client would, and keeping only what a client can observe.

A Prober is one asyncpg connection over TLS. For each statement it records the outcome
(`ok` or the SQLSTATE, the number of rows, a digest of the rows as decoded) and the wall
time from sending to the last byte. Error messages are not compared: a refusal quotes the
statement, guess included, so two refusals of different guesses never read the same.

Probers is several such connections, each its own principal, sharing out probes whose
outcome does not depend on when they run: the gateway runs them side by side. Timings
are never shared out (guesses running together would time each other).
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncpg


@dataclass(frozen=True)
class Observation:
    status: str  # "ok", or the SQLSTATE the statement failed with
    rows: int
    digest: str  # of the decoded rows, so a value that differs by guess is seen too
    seconds: float

    @property
    def outcome(self) -> tuple[str, int, str]:
        return (self.status, self.rows, self.digest)

    def brief(self) -> str:
        return self.status if self.status != "ok" else f"ok/{self.rows} rows"


@dataclass(frozen=True)
class Endpoint:
    """Where the gateway listens and how to get an analyst's token."""

    host: str
    port: int
    cafile: Path
    token: Callable[[str], str]  # subject -> a JWT with role analyst


class Prober:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.queries = 0

    @classmethod
    async def connect(cls, endpoint: Endpoint, subject: str, session: tuple[str, ...] = ()) -> Prober:
        context = ssl.create_default_context(cafile=str(endpoint.cafile))
        conn = await asyncpg.connect(
            host=endpoint.host,
            port=endpoint.port,
            user=subject,
            database="pgbridge",
            password=endpoint.token(subject),
            ssl=context,
            statement_cache_size=0,  # every probe is a new text; a cache would only grow
            timeout=30,
        )
        # A probe that needs an approval must fail at once, not wait for a human.
        for statement in ("SET pgbridge.approval = 'ticket'", *session):
            await conn.execute(statement)
        return cls(conn)

    async def observe(self, sql: str) -> Observation:
        self.queries += 1
        start = time.perf_counter()
        try:
            records = await self.conn.fetch(sql)
        except asyncpg.PostgresError as error:
            return Observation(str(error.sqlstate), 0, "", time.perf_counter() - start)
        seconds = time.perf_counter() - start
        digest = hashlib.sha256(repr([tuple(r) for r in records]).encode()).hexdigest()[:16]
        return Observation("ok", len(records), digest, seconds)

    async def observe_all(self, sqls: Sequence[str]) -> list[Observation]:
        """Each statement's observation, in order, one after another."""
        return [await self.observe(sql) for sql in sqls]

    async def close(self) -> None:
        await self.conn.close()


class Probers:
    """`count` Probers of principals `subject-1`..`subject-count` (each with its own rate
    limit); `observe_all` deals the statements out round robin and runs them side by side."""

    def __init__(self, probers: list[Prober]) -> None:
        self.probers = probers

    @classmethod
    async def connect(
        cls, endpoint: Endpoint, subject: str, session: tuple[str, ...] = (), count: int = 3
    ) -> Probers:
        opened = [Prober.connect(endpoint, f"{subject}-{n}", session) for n in range(1, count + 1)]
        return cls(list(await asyncio.gather(*opened)))

    @property
    def queries(self) -> int:
        return sum(p.queries for p in self.probers)

    async def observe(self, sql: str) -> Observation:
        return await self.probers[0].observe(sql)

    async def observe_all(self, sqls: Sequence[str]) -> list[Observation]:
        count = len(self.probers)
        shares = [p.observe_all(sqls[n::count]) for n, p in enumerate(self.probers)]
        dealt = await asyncio.gather(*shares)
        return [dealt[i % count][i // count] for i in range(len(sqls))]

    async def close(self) -> None:
        await asyncio.gather(*(p.close() for p in self.probers))
