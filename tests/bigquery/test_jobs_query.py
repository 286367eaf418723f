"""jobs.query with jobCreationMode=JOB_CREATION_OPTIONAL (pgbridge.backends.bigquery_query),
counted and read at the HTTP boundary: the real google-cloud-bigquery client against the local
fake of BigQuery's REST API (http_boundary.py), which records every request.

A small query is one request carrying the labels, the byte cap and the job timeout; a repeated
one is one request again; a result larger than the first page gets a job and its further pages
(or a Storage Read session); a query over the cap is refused by BigQuery before it is billed;
cancel reaches the job BigQuery made.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from pgbridge.backends.base import QueryParam
from pgbridge.wire.errors import PgError
from tests.bigquery.helpers import options, run
from tests.bigquery.http_boundary import Captured, FakeBigQuery, error, fake_bigquery
from tests.bigquery.test_http_boundary import make_backend as make_insert_backend
from tests.support.bqemulator import BIG_ROWS, Emulator


@pytest.fixture
def fake() -> Iterator[FakeBigQuery]:
    with fake_bigquery() as server:
        yield server


def make_backend(fake: FakeBigQuery, **overrides: Any) -> Any:
    return make_insert_backend(fake, query_api="query", **overrides)


def bigquery_requests(fake: FakeBigQuery) -> list[Captured]:
    """The requests to BigQuery's API (not the OAuth token endpoint)."""
    return [r for r in fake.requests if r.path.startswith("/bigquery/")]


async def test_a_small_query_is_one_request_with_labels_cap_and_timeout(fake: FakeBigQuery) -> None:
    backend = make_backend(fake)
    table = await run(backend, "SELECT x FROM t WHERE x = @p1", [QueryParam("p1", "INT64", 1)],
                      labels={"principal": "Alice", "session": "s1"}, maximum_bytes_billed=12345,
                      timeout_seconds=20)  # fmt: skip
    assert table.column("x").to_pylist() == [1]
    (query,) = bigquery_requests(fake)
    assert query.method == "POST" and query.path == "/bigquery/v2/projects/demo-proj/queries"
    body = query.body
    assert body["jobCreationMode"] == "JOB_CREATION_OPTIONAL"
    assert body["labels"]["principal"] == "alice" and body["labels"]["session"] == "s1"
    assert body["maximumBytesBilled"] == "12345" and body["jobTimeoutMs"] == "20000"
    assert body["queryParameters"][0]["parameterValue"] == {"value": "1"}
    assert body["useLegacySql"] is False
    await backend.close()


async def test_a_repeated_query_is_one_request_each_time(fake: FakeBigQuery) -> None:
    backend = make_backend(fake)
    for value in (1, 2, 3):
        before = len(bigquery_requests(fake))
        await run(backend, "SELECT x FROM t WHERE x = @p1", [QueryParam("p1", "INT64", value)])
        assert len(bigquery_requests(fake)) - before == 1
    await backend.close()


async def test_the_insert_api_is_four_requests_for_the_same_query(fake: FakeBigQuery) -> None:
    """What jobs.query saves: jobs.insert, then getQueryResults to wait, then the rows."""
    backend = make_insert_backend(fake)
    await run(backend, "SELECT x FROM t WHERE x = @p1", [QueryParam("p1", "INT64", 1)])
    assert len(bigquery_requests(fake)) >= 3
    await backend.close()


async def test_a_result_beyond_the_first_page_gets_a_job_and_its_pages(fake: FakeBigQuery) -> None:
    fake.rows = [{"f": [{"v": str(i)}]} for i in range(25)]
    backend = make_backend(fake, page_rows=10, storage_read="never")
    table = await run(backend, "SELECT x FROM t")
    sent = bigquery_requests(fake)
    assert table.column("x").to_pylist() == list(range(25))
    assert sent[0].path.endswith("/queries") and sent[0].body["maxResults"] == 10
    # The first page came inline; the others are the job's pages from where it ended.
    pages = [r.query["pageToken"] for r in sent if "/queries/job_" in r.path]
    assert pages == [["10"], ["20"]]
    assert len(sent) == 1 + 1 + 2  # jobs.query, jobs.get (the client's), two pages
    await backend.close()


async def test_a_query_over_the_cap_is_refused_with_the_bytes_named(fake: FakeBigQuery) -> None:
    message = "Query exceeded limit for bytes billed: 1000. 20971520 or higher required."

    def over_cap(request: Captured) -> tuple[int, dict[str, Any]] | None:
        if request.method == "POST" and request.path.endswith("/queries"):
            return 400, error(400, "bytesBilledLimitExceeded", message)
        return None

    fake.override = over_cap
    backend = make_backend(fake)
    with pytest.raises(PgError) as refused:
        await run(backend, "SELECT x FROM big", maximum_bytes_billed=1000)
    assert "20971520" in refused.value.message
    assert len(bigquery_requests(fake)) == 1  # no retry of a refusal
    await backend.close()


async def test_cancel_reaches_the_job_bigquery_made(fake: FakeBigQuery) -> None:
    released = threading.Event()

    def slow(request: Captured) -> tuple[int, dict[str, Any]] | None:
        if request.method == "POST" and request.path.endswith("/queries"):
            # Past its timeoutMs BigQuery answers with a job still running.
            job = fake._insert({"jobReference": {"jobId": "job_slow"}, "configuration": {"query": {}}})
            job["status"] = {"state": "RUNNING"}
            reference = job["jobReference"]
            return 200, {"kind": "bigquery#queryResponse", "jobReference": reference, "jobComplete": False}
        if "/queries/job_slow" in request.path and not released.is_set():
            reference = {"projectId": "demo-proj", "jobId": "job_slow", "location": "US"}
            released.wait(0.2)
            return 200, {"kind": "bigquery#getQueryResultsResponse", "jobReference": reference,
                         "jobComplete": False}  # fmt: skip
        if request.path.endswith("/jobs/job_slow") and not released.is_set():
            return 200, {**fake.jobs["job_slow"], "status": {"state": "RUNNING"}}
        if request.path.endswith("/cancel"):
            released.set()
        return None

    fake.override = slow
    backend = make_backend(fake)
    job = options(timeout_seconds=30)
    running = asyncio.ensure_future(backend.execute("SELECT slow", (), job))
    for _ in range(100):
        if backend._job_ids.get(job.job_id):
            break
        await asyncio.sleep(0.05)
    await backend.cancel(job.job_id)
    assert fake.find("POST", "/jobs/job_slow/cancel")  # BigQuery's job id, not the statement's
    running.cancel()
    with pytest.raises((asyncio.CancelledError, PgError)):
        await running
    await backend.close()


def _stream_threads() -> int:
    return sum(1 for thread in threading.enumerate() if thread.name == "pgbridge-bq-stream")


@pytest.mark.parametrize("ordered", [True, False])
async def test_a_large_result_reads_its_table_in_parallel_streams_unless_ordered(
    fake: FakeBigQuery, bq_emulator: Emulator, ordered: bool
) -> None:
    # jobs.query from the fake (a job for a result beyond the first page, its table named by
    # jobs.get); the table is read over the emulator's real gRPC Storage Read server.
    fake.schema = [
        {"name": "id", "type": "INTEGER"}, {"name": "name", "type": "STRING"},
        {"name": "score", "type": "FLOAT"}, {"name": "ts", "type": "TIMESTAMP"},
    ]  # fmt: skip
    fake.total_rows = BIG_ROWS
    fake.destination = {"projectId": "demo-proj", "datasetId": "shop", "tableId": "big"}
    backend = make_backend(fake, storage_endpoint=bq_emulator.grpc_url, storage_min_rows=10_000, page_rows=10)
    stream = await backend.execute("SELECT * FROM shop.big", [], options(ordered=ordered))
    ids: list[int] = []
    readers = 0
    async for batch in stream.batches():
        readers = max(readers, _stream_threads())
        ids += batch.column(0).to_pylist()
    await stream.aclose()
    assert sorted(ids) == list(range(1, BIG_ROWS + 1))  # every row once
    if ordered:
        assert ids == sorted(ids) and readers == 0  # one stream, in the table's order
    else:
        assert readers >= 2  # several streams read at once
    sent = bigquery_requests(fake)
    assert sent[0].path.endswith("/queries") and not fake.find("GET", "/queries/job_")  # no REST pages
    await backend.close()


async def test_closing_a_parallel_read_stops_its_readers(fake: FakeBigQuery, bq_emulator: Emulator) -> None:
    fake.schema = [
        {"name": "id", "type": "INTEGER"}, {"name": "name", "type": "STRING"},
        {"name": "score", "type": "FLOAT"}, {"name": "ts", "type": "TIMESTAMP"},
    ]  # fmt: skip
    fake.total_rows = BIG_ROWS
    fake.destination = {"projectId": "demo-proj", "datasetId": "shop", "tableId": "big"}
    backend = make_backend(fake, storage_endpoint=bq_emulator.grpc_url, storage_min_rows=10_000, page_rows=10,
                           queue_batches=1)  # fmt: skip
    stream = await backend.execute("SELECT * FROM shop.big", [], options(ordered=False))
    async for _ in stream.batches():
        break
    await stream.aclose()
    for _ in range(60):
        if _stream_threads() == 0:
            break
        await asyncio.sleep(0.1)
    assert _stream_threads() == 0
    await backend.close()
