"""HTTP requests per statement on the BigQuery backend, counted at the HTTP boundary (issue 14).

A real asyncpg client against the gateway over the emulator behind the recording proxy
(boundary.py), as the admin (no role of it limits bytes, so no separate dry run is needed):

- a small query over the simple protocol: one request (jobs.query);
- a prepared statement: its Describe asks a dry run for the row description once, then every
  execution is one request;
- a large result (after its Describe's dry run): jobs.query, the jobs.get the client makes
  for the result table, then a Storage Read session on it (gRPC, not REST; the emulator
  refuses it, see the test).
"""

from __future__ import annotations

from tests.e2e.boundary import Boundary
from tests.support.clients import asyncpg_connect


def _sent(boundary: Boundary, start: int) -> list[tuple[str, str]]:
    """The statement requests since `start` (not the metadata cache's periodic dataset and
    table listings, which no statement waits for once warm)."""
    with boundary.proxy.lock:
        sent = [(m, p.rsplit("/projects/", 1)[-1]) for m, p in boundary.proxy.requests[start:]]
    return [(m, p) for m, p in sent if "/jobs" in p or "/queries" in p]


async def test_one_request_per_small_statement(boundary: Boundary) -> None:
    conn = await asyncpg_connect(boundary.gateway, "rita", ("admin",), timeout=60)
    try:
        start = len(boundary.proxy.requests)
        # asyncpg's execute() is a simple Query (every fetch is Parse/Describe/Bind/Execute)
        assert await conn.execute("SELECT id FROM shop.products WHERE id = 5 AND name <> 'rt'") == "SELECT 1"
        assert _sent(boundary, start) == [("POST", "demo-proj/queries")]

        text = "SELECT id, name FROM shop.products WHERE id = $1 AND name <> 'rt'"
        start = len(boundary.proxy.requests)
        assert (await conn.fetchrow(text, 3))["id"] == 3
        # Describe: one dry run (jobs.insert with dryRun) for the row description; then the query.
        assert _sent(boundary, start) == [("POST", "demo-proj/jobs"), ("POST", "demo-proj/queries")]
        for value in (4, 6, 7):
            start = len(boundary.proxy.requests)
            assert (await conn.fetchrow(text, value))["id"] == value
            assert _sent(boundary, start) == [("POST", "demo-proj/queries")]
    finally:
        await conn.close()


async def test_a_large_result_is_one_query_then_the_result_table(boundary: Boundary) -> None:
    conn = await asyncpg_connect(boundary.gateway, "rita", ("admin",), timeout=60)
    try:
        start = len(boundary.proxy.requests)
        count = 0
        async with conn.transaction():
            async for _ in conn.cursor("SELECT id, amount FROM shop.orders WHERE id > 0", prefetch=10_000):
                count += 1
        sent = _sent(boundary, start)
    finally:
        await conn.close()
    assert count == 1_000_000
    assert sent[0] == ("POST", "demo-proj/jobs")  # the cursor's Describe: a dry run (row description)
    (query, job), pages = sent[1:3], sent[3:]
    assert query == ("POST", "demo-proj/queries")
    assert job[0] == "GET" and job[1].startswith("demo-proj/jobs/")  # the result table's name
    # Then a Storage Read session on that table. The emulator keeps no table for a jobs.query
    # result and refuses the session (BigQuery does not), so here the rows follow as pages.
    assert "storage read unavailable" in boundary.gateway.log()
    job_id = job[1].rsplit("/", 1)[1]
    assert all(m == "GET" and p.endswith(job_id) for m, p in pages)  # only that job's pages
