"""What the emulator cannot show, asserted at the HTTP boundary with the real client.

The real google-cloud-bigquery client and google-auth send their requests over a real
socket to a local server (http_boundary.py) that records them; the tests assert the exact
JSON bodies and headers: job ids, labels, caps, timeouts, typed parameters, cancel,
impersonated identities, retries, BigQuery's error shapes, and real BigQuery's row
encodings. Storage Read of a query result uses this fake for REST and the emulator's real
gRPC Storage Read server for the rows.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from pgbridge.backends.base import QueryParam
from pgbridge.backends.bigquery import BigQueryBackend
from pgbridge.backends.bigquery_config import bigquery_settings_from
from pgbridge.config_base import Section
from pgbridge.wire.errors import PgError, SqlState
from tests.bigquery.helpers import drain, options, run
from tests.bigquery.http_boundary import Captured, FakeBigQuery, error, fake_bigquery, job_with_error
from tests.support.bqemulator import BIG_ROWS, Emulator

UTC = dt.UTC
ANALYST_SA = "analyst@demo-proj.iam.gserviceaccount.com"


@pytest.fixture
def fake() -> Iterator[FakeBigQuery]:
    with fake_bigquery() as server:
        yield server


def make_backend(fake: FakeBigQuery, tmp: Path | None = None, **overrides: Any) -> BigQueryBackend:
    table = {
        "project": "demo-proj",
        "credentials": "anonymous",
        "api_endpoint": fake.url,
        "location": "US",
        "retry_deadline_seconds": 2.0,
        "request_timeout_seconds": 2.0,
        "query_api": "insert",  # these tests hold jobs.insert's contract; test_jobs_query.py jobs.query's
        **overrides,
    }
    return BigQueryBackend(bigquery_settings_from(Section(table, "backend"), tmp or Path(".")))


def inserted(fake: FakeBigQuery) -> dict[str, Any]:
    (insert,) = fake.find("POST", "/projects/demo-proj/jobs")
    body: dict[str, Any] = insert.body
    return body


async def test_http_boundary_job_labels_id_cap_and_timeout(fake: FakeBigQuery) -> None:
    backend = make_backend(fake)
    labels = {"principal": "Alice.Smith@Example.com", "role": "Analyst", "session": "S" * 80, "9th": "x"}
    await run(backend, "SELECT 1", job_id="pgbridge_abc-1", labels=labels, maximum_bytes_billed=12345,
              timeout_seconds=20)  # fmt: skip
    body = inserted(fake)
    assert body["jobReference"]["jobId"] == "pgbridge_abc-1"
    sent = body["configuration"]["labels"]
    assert sent["principal"] == "alice_smith_example_com" and sent["role"] == "analyst"
    assert len(sent["session"]) == 63 and sent["session"].startswith("sss") and "k_9th" in sent
    assert all(len(k) <= 63 and k[0].isalpha() for k in sent)
    assert body["configuration"]["query"]["maximumBytesBilled"] == "12345"
    assert body["configuration"]["jobTimeoutMs"] == "20000"
    assert body["configuration"]["query"]["useLegacySql"] is False
    await backend.close()


async def test_http_boundary_default_bytes_cap_is_always_sent(fake: FakeBigQuery) -> None:
    backend = make_backend(fake, maximum_bytes_billed=5_000_000, labels={"team": "Data Platform"})
    await run(backend, "SELECT 1")
    body = inserted(fake)
    assert body["configuration"]["query"]["maximumBytesBilled"] == "5000000"
    assert body["configuration"]["labels"] == {"team": "data_platform"}
    await backend.close()


async def test_http_boundary_job_id_without_prefix_is_refused(fake: FakeBigQuery) -> None:
    backend = make_backend(fake)
    with pytest.raises(PgError) as info:
        await run(backend, "SELECT 1", job_id="job_1")
    assert info.value.sqlstate == SqlState.INVALID_PARAMETER_VALUE and fake.requests == []
    await backend.close()


async def test_http_boundary_typed_query_parameters(fake: FakeBigQuery) -> None:
    backend = make_backend(fake)
    params = [
        QueryParam("p1", "BIGNUMERIC", Decimal("1.5")),
        QueryParam("p2", "BYTES", b"\x00\xff"),
        QueryParam("p3", "INTERVAL", dt.timedelta(days=1, hours=2, seconds=3.5)),
        QueryParam("p4", "RANGE<DATE>", (dt.date(2024, 1, 1), None)),
        QueryParam("p5", "ARRAY<STRUCT<a INT64, b STRING>>", [{"a": 1, "b": "x"}]),
        QueryParam("p6", "JSON", '{"k": 1}'),
        QueryParam("p7", "TIMESTAMP", dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        QueryParam("p8", "ARRAY<STRUCT<a INT64>>", []),
    ]
    await run(backend, "SELECT @p1", params)
    sent = {p["name"]: p for p in inserted(fake)["configuration"]["query"]["queryParameters"]}
    assert (
        sent["p1"]["parameterType"] == {"type": "BIGNUMERIC"}
        and sent["p1"]["parameterValue"]["value"] == "1.5"
    )
    assert sent["p2"]["parameterValue"]["value"] == "AP8="
    assert sent["p3"]["parameterType"] == {"type": "INTERVAL"}
    assert sent["p3"]["parameterValue"]["value"] == "0-0 1 2:0:03.500000"
    assert sent["p4"]["parameterType"] == {"type": "RANGE", "rangeElementType": {"type": "DATE"}}
    assert sent["p4"]["parameterValue"]["rangeValue"]["start"]["value"] == "2024-01-01"
    assert sent["p5"]["parameterType"]["type"] == "ARRAY"
    assert sent["p5"]["parameterType"]["arrayType"]["structTypes"][0] == {
        "name": "a",
        "type": {"type": "INT64"},
    }
    assert sent["p5"]["parameterValue"]["arrayValues"][0]["structValues"]["b"] == {"value": "x"}
    assert json.loads(sent["p6"]["parameterValue"]["value"]) == {"k": 1}
    assert sent["p7"]["parameterValue"]["value"].startswith("2024-01-02")
    assert sent["p8"]["parameterType"]["arrayType"]["type"] == "STRUCT"
    await backend.close()


async def test_http_boundary_cancel_sends_jobs_cancel(fake: FakeBigQuery) -> None:
    backend = make_backend(fake)
    await backend.cancel("pgbridge_xyz")
    (cancel,) = fake.find("POST", "/jobs/pgbridge_xyz/cancel")
    assert cancel.query["location"] == ["US"]
    await backend.close()


async def test_http_boundary_cancel_stops_a_running_query(fake: FakeBigQuery) -> None:
    cancelled: list[str] = []

    def running_until_cancelled(request: Captured) -> tuple[int, dict[str, Any]] | None:
        if request.method == "POST" and request.path.endswith("/jobs"):
            return fake.insert_running(request)
        if request.path.endswith("/cancel"):
            cancelled.append(request.path)
            return None
        job_id = request.path.rstrip("/").split("/")[-1]
        if request.method == "GET" and job_id in fake.jobs:
            time.sleep(0.05)  # BigQuery long-polls; don't spin
            if not cancelled:
                return 200, {**fake.jobs[job_id], "status": {"state": "RUNNING"}}
            return 200, job_with_error(
                fake.jobs[job_id], "stopped", "Job execution was cancelled: User requested"
            )
        if "/queries/" in request.path and not cancelled:
            time.sleep(0.05)
            return 200, {"jobComplete": False, "jobReference": {"projectId": "demo-proj", "jobId": job_id}}
        return None

    fake.override = running_until_cancelled
    backend = make_backend(fake)
    task = asyncio.create_task(backend.execute("SELECT 1", [], options(job_id="pgbridge_run_1")))
    await asyncio.sleep(0.5)
    assert not task.done()
    await backend.cancel("pgbridge_run_1")
    with pytest.raises(PgError) as info:
        await asyncio.wait_for(task, 10)
    assert info.value.sqlstate == SqlState.QUERY_CANCELED
    await backend.close()


async def test_http_boundary_cancelling_the_statement_task_cancels_the_job(fake: FakeBigQuery) -> None:
    # The gateway stops a statement (CancelRequest, statement_timeout) by cancelling its
    # asyncio task, never by calling backend.cancel: the job must still be cancelled.
    def never_done(request: Captured) -> tuple[int, dict[str, Any]] | None:
        if request.method == "POST" and request.path.endswith("/jobs"):
            time.sleep(0.3)  # a slow insert: the cancel must wait for it, not race it
            return fake.insert_running(request)
        if request.method == "GET" and "/queries/" in request.path:
            time.sleep(0.05)
            job_id = request.path.rstrip("/").split("/")[-1]
            return 200, {"jobComplete": False, "jobReference": {"projectId": "demo-proj", "jobId": job_id}}
        return None

    fake.override = never_done
    backend = make_backend(fake)
    task = asyncio.create_task(backend.execute("SELECT 1", [], options(job_id="pgbridge_task_1")))
    await asyncio.sleep(0.1)  # the insert is still in flight
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    deadline = time.monotonic() + 5
    while not fake.find("POST", "/jobs/pgbridge_task_1/cancel") and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    inserts = [i for i, r in enumerate(fake.requests) if r.method == "POST" and r.path.endswith("/jobs")]
    cancels = [i for i, r in enumerate(fake.requests) if r.path.endswith("/jobs/pgbridge_task_1/cancel")]
    assert len(cancels) == 1 and inserts and inserts[0] < cancels[0]
    await backend.close()


async def test_http_boundary_cancelled_before_a_failed_insert_sends_no_cancel(fake: FakeBigQuery) -> None:
    def refuse_insert(request: Captured) -> tuple[int, dict[str, Any]] | None:
        if request.method == "POST" and request.path.endswith("/jobs"):
            time.sleep(0.3)
            return 400, error(400, "invalidQuery", "Syntax error")
        return None

    fake.override = refuse_insert
    backend = make_backend(fake)
    task = asyncio.create_task(backend.execute("SELEC 1", [], options(job_id="pgbridge_task_2")))
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.6)  # the insert has failed by now; a cancel would have been sent
    assert not fake.find("POST", "/cancel")
    await backend.close()


async def test_http_boundary_timeout_cancels_the_job(fake: FakeBigQuery) -> None:
    def never_done(request: Captured) -> tuple[int, dict[str, Any]] | None:
        if request.method == "POST" and request.path.endswith("/jobs"):
            return fake.insert_running(request)
        if request.method == "GET":
            time.sleep(0.1)
            job_id = request.path.rstrip("/").split("/")[-1]
            if "/queries/" in request.path:
                return 200, {
                    "jobComplete": False,
                    "jobReference": {"projectId": "demo-proj", "jobId": job_id},
                }
            return 200, {**fake.jobs[job_id], "status": {"state": "RUNNING"}}
        return None

    fake.override = never_done
    backend = make_backend(fake)
    started = time.monotonic()
    with pytest.raises(PgError) as info:
        await run(backend, "SELECT 1", job_id="pgbridge_slow", timeout_seconds=1.0)
    assert info.value.sqlstate == SqlState.QUERY_CANCELED and "1s timeout" in info.value.message
    assert time.monotonic() - started < 5
    assert fake.find("POST", "/jobs/pgbridge_slow/cancel")
    await backend.close()


def _write_key_file(tmp_path: Path, token_uri: str) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    info = {
        "type": "service_account", "project_id": "demo-proj", "private_key_id": "k1", "private_key": pem,
        "client_email": "gateway@demo-proj.iam.gserviceaccount.com", "client_id": "1", "token_uri": token_uri,
    }  # fmt: skip
    path = tmp_path / "gateway-key.json"
    path.write_text(json.dumps(info))
    return path


async def test_http_boundary_impersonation_runs_each_role_as_its_service_account(
    fake: FakeBigQuery, tmp_path: Path
) -> None:
    _write_key_file(tmp_path, f"{fake.url}/token")
    backend = make_backend(
        fake, tmp_path, credentials="service-account-file", key_file="gateway-key.json",
        impersonate={"analyst": ANALYST_SA}, iam_endpoint=fake.url, impersonation_lifetime_seconds=900,
    )  # fmt: skip
    await run(backend, "SELECT 1", role="analyst")
    (mint,) = fake.find("POST", f"/serviceAccounts/{ANALYST_SA}:generateAccessToken")
    assert mint.headers["authorization"] == "Bearer source-token"  # the gateway's own token
    assert (
        mint.body["lifetime"] == "900s" and "https://www.googleapis.com/auth/bigquery" in mint.body["scope"]
    )
    (insert,) = fake.find("POST", "/projects/demo-proj/jobs")
    assert insert.headers["authorization"] == f"Bearer token-for-{ANALYST_SA}"
    await backend.close()


async def test_http_boundary_role_without_identity_is_refused(fake: FakeBigQuery, tmp_path: Path) -> None:
    _write_key_file(tmp_path, f"{fake.url}/token")
    backend = make_backend(
        fake, tmp_path, credentials="service-account-file", key_file="gateway-key.json",
        impersonate={"analyst": ANALYST_SA}, iam_endpoint=fake.url,
    )  # fmt: skip
    for role in ("intern", None):
        with pytest.raises(PgError) as info:
            await run(backend, "SELECT 1", role=role)
        assert info.value.sqlstate == SqlState.INSUFFICIENT_PRIVILEGE
    assert fake.requests == []  # refused before anything was sent
    await backend.close()


@pytest.mark.parametrize(
    ("status", "reason", "message", "sqlstate"),
    [
        (403, "accessDenied", "Access Denied: Table demo-proj:shop.people: User does not have permission",
         SqlState.INSUFFICIENT_PRIVILEGE),
        (403, "quotaExceeded", "Quota exceeded: Your project exceeded quota for free query bytes scanned",
         SqlState.CONFIGURATION_LIMIT_EXCEEDED),
        (403, "rateLimitExceeded", "Exceeded rate limits: too many concurrent queries",
         SqlState.TOO_MANY_CONNECTIONS),
        (400, "invalidQuery", "Syntax error: Expected end of input but got identifier at [1:8]",
         SqlState.SYNTAX_ERROR),
        (503, "backendError", "Backend error. Job aborted.", SqlState.CANNOT_CONNECT_NOW),
    ],
)  # fmt: skip
async def test_http_boundary_error_responses(
    fake: FakeBigQuery, status: int, reason: str, message: str, sqlstate: str
) -> None:
    fake.override = lambda r: (status, error(status, reason, message)) if r.method == "POST" else None
    backend = make_backend(fake, retry_deadline_seconds=1.0)
    started = time.monotonic()
    with pytest.raises(PgError) as info:
        await run(backend, "SELECT 1")
    assert info.value.sqlstate == sqlstate and message in info.value.message
    assert time.monotonic() - started < 6  # bounded retries of the transient ones
    await backend.close()


@pytest.mark.parametrize(
    ("message", "sqlstate"),
    [
        ("Bad int64 value: Ada", SqlState.INVALID_TEXT_REPRESENTATION),
        ("division by zero: 1 / 0", SqlState.DIVISION_BY_ZERO),
        ("int64 overflow: 9223372036854775807 + 1", SqlState.NUMERIC_VALUE_OUT_OF_RANGE),
    ],
)
async def test_http_boundary_job_failing_while_it_runs(
    fake: FakeBigQuery, message: str, sqlstate: str
) -> None:
    # A data error is found while the job runs: jobs.insert succeeds, the job ends DONE with
    # errorResult, and getQueryResults answers 400 with the same error.
    def failing(request: Captured) -> tuple[int, dict[str, Any]] | None:
        if request.method == "POST" and request.path.endswith("/jobs"):
            return 200, job_with_error(fake._insert(request.body), "invalidQuery", message)
        job_id = request.path.rstrip("/").split("/")[-1]
        if "/queries/" in request.path:
            return 400, error(400, "invalidQuery", message)
        if request.method == "GET" and job_id in fake.jobs:
            return 200, job_with_error(fake.jobs[job_id], "invalidQuery", message)
        return None

    fake.override = failing
    backend = make_backend(fake)
    with pytest.raises(PgError) as info:
        await run(backend, "SELECT 1", job_id="pgbridge_fails_1")
    assert info.value.sqlstate == sqlstate and message in info.value.message
    assert not backend._running
    await backend.close()


async def test_http_boundary_bytes_billed_limit_is_54000(fake: FakeBigQuery) -> None:
    message = "Query exceeded limit for bytes billed: 1000. 10485760 or higher required."

    def failed_job(request: Captured) -> tuple[int, dict[str, Any]] | None:
        if request.method == "POST" and request.path.endswith("/jobs"):
            job = fake._insert(request.body)
            return 200, job_with_error(job, "bytesBilledLimitExceeded", message)
        return None

    fake.override = failed_job
    backend = make_backend(fake)
    with pytest.raises(PgError) as info:
        await run(backend, "SELECT 1", maximum_bytes_billed=1000)
    assert info.value.sqlstate == SqlState.PROGRAM_LIMIT_EXCEEDED and "bytes billed" in info.value.message
    await backend.close()


async def test_http_boundary_transient_error_is_retried(fake: FakeBigQuery) -> None:
    failures = [1]

    def once_unavailable(request: Captured) -> tuple[int, dict[str, Any]] | None:
        if request.method == "POST" and failures:
            failures.pop()
            return 503, error(503, "backendError", "Backend error")
        return None

    fake.override = once_unavailable
    backend = make_backend(fake)
    table = await run(backend, "SELECT 1")
    assert table.num_rows == 1 and len(fake.find("POST", "/projects/demo-proj/jobs")) == 2
    await backend.close()


async def test_unreachable_bigquery_fails_within_the_deadline() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: nothing listens there
    backend = make_backend(FakeBigQuery(url=f"http://127.0.0.1:{port}"), retry_deadline_seconds=1.0)
    started = time.monotonic()
    with pytest.raises(PgError) as info:
        await run(backend, "SELECT 1")
    assert info.value.sqlstate == SqlState.CONNECTION_FAILURE and "unreachable" in info.value.message
    assert time.monotonic() - started < 5
    await backend.close()


async def test_silent_bigquery_fails_within_the_deadline() -> None:
    with socket.socket() as black_hole:  # accepts connections, never answers
        black_hole.bind(("127.0.0.1", 0))
        black_hole.listen(8)
        url = f"http://127.0.0.1:{black_hole.getsockname()[1]}"
        backend = make_backend(FakeBigQuery(url=url), retry_deadline_seconds=1.0, request_timeout_seconds=0.5)
        started = time.monotonic()
        with pytest.raises(PgError) as info:
            await backend.datasets()
        assert info.value.sqlstate == SqlState.CONNECTION_FAILURE
        assert time.monotonic() - started < 5
        await backend.close()


async def test_http_boundary_real_bigquery_row_encodings(fake: FakeBigQuery) -> None:
    fake.schema = [
        {"name": "g", "type": "GEOGRAPHY"},
        {"name": "bn", "type": "BIGNUMERIC"},
        {"name": "r", "type": "RANGE", "rangeElementType": {"type": "DATE"}},
        {"name": "rdt", "type": "RANGE", "rangeElementType": {"type": "DATETIME"}},
        {"name": "iv", "type": "INTERVAL"},
        {"name": "j", "type": "JSON"},
        {"name": "f", "type": "FLOAT"},
        {"name": "ts", "type": "TIMESTAMP"},
        {"name": "s", "type": "RECORD", "mode": "REPEATED", "fields": [
            {"name": "a", "type": "INTEGER"}, {"name": "b", "type": "STRING", "mode": "REPEATED"}]},
    ]  # fmt: skip
    fake.rows = [
        {"f": [{"v": "POINT(1 2)"}, {"v": "-12345678901234567890.12345678901234567890123456789012345678"},
               {"v": "[2024-01-01, UNBOUNDED)"}, {"v": "[2024-01-01T00:00:00, 2024-01-02T12:30:00)"},
               {"v": "-1-2 -3 -4:5:6.000789"}, {"v": '{"a":[1,2]}'}, {"v": "-Infinity"},
               {"v": "1704164645250000"},
               {"v": [{"v": {"f": [{"v": "1"}, {"v": [{"v": "p"}]}]}}]}]},
        {"f": [{"v": None}] * 8 + [{"v": []}]},
    ]  # fmt: skip
    backend = make_backend(fake)
    stream = await backend.execute("SELECT ...", [], options())
    assert [f.type for f in stream.fields] == [
        "GEOGRAPHY", "BIGNUMERIC", "RANGE<DATE>", "RANGE<DATETIME>", "INTERVAL", "JSON", "FLOAT64",
        "TIMESTAMP", "ARRAY<STRUCT<a INT64, b ARRAY<STRING>>>",
    ]  # fmt: skip
    _, table = await drain(stream)
    assert table.schema.field("bn").type == pa.decimal256(76, 38)
    first, nulls = table.to_pylist()
    assert first["g"] == "POINT(1 2)"
    assert first["bn"] == Decimal("-12345678901234567890.12345678901234567890123456789012345678")
    assert first["r"] == {"start": dt.date(2024, 1, 1), "end": None}
    assert first["rdt"] == {"start": dt.datetime(2024, 1, 1), "end": dt.datetime(2024, 1, 2, 12, 30)}
    assert first["iv"] == pa.MonthDayNano([-14, -3, -((4 * 3600 + 5 * 60 + 6) * 10**9 + 789_000)])
    assert first["f"] == float("-inf") and first["j"] == '{"a":[1,2]}'
    assert first["ts"] == dt.datetime(2024, 1, 2, 3, 4, 5, 250000, tzinfo=UTC)
    assert first["s"] == [{"a": 1, "b": ["p"]}]
    assert all(v is None for k, v in nulls.items() if k != "s") and nulls["s"] == []
    await backend.close()


async def test_http_boundary_storage_read_of_a_query_result(
    fake: FakeBigQuery, bq_emulator: Emulator
) -> None:
    # REST (jobs.insert / getQueryResults) from the fake; the result table is read over the
    # emulator's real gRPC Storage Read server, as BigQuery serves a job's destination table.
    fake.schema = [
        {"name": "id", "type": "INTEGER"}, {"name": "name", "type": "STRING"},
        {"name": "score", "type": "FLOAT"}, {"name": "ts", "type": "TIMESTAMP"},
    ]  # fmt: skip
    fake.total_rows = BIG_ROWS
    fake.destination = {"projectId": "demo-proj", "datasetId": "shop", "tableId": "big"}
    backend = make_backend(fake, storage_endpoint=bq_emulator.grpc_url, storage_min_rows=10_000)
    started = time.perf_counter()
    stream = await backend.execute("SELECT * FROM shop.big", [], options())
    batches, table = await drain(stream)
    elapsed = time.perf_counter() - started
    assert table.num_rows == BIG_ROWS and len(batches) >= 1
    assert table.schema.field("ts").type == pa.timestamp("us", tz="UTC")
    assert table.column("id").to_pylist()[:3] == [1, 2, 3]
    pages = fake.find("GET", "/queries/")
    assert pages and all(p.query.get("maxResults") == ["0"] for p in pages)  # no REST rows fetched
    print(f"\nStorage Read (query result via emulator gRPC): {BIG_ROWS / elapsed:,.0f} rows/s end to end")
    await backend.close()


async def test_http_boundary_small_results_stay_on_rest(fake: FakeBigQuery, bq_emulator: Emulator) -> None:
    fake.destination = {"projectId": "demo-proj", "datasetId": "shop", "tableId": "big"}
    backend = make_backend(fake, storage_endpoint=bq_emulator.grpc_url, storage_min_rows=10_000)
    table = await run(backend, "SELECT 1 AS x")
    assert table.to_pylist() == [{"x": 1}]  # the fake's one REST row, not shop.big
    await backend.close()
