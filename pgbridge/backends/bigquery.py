"""The production backend: BigQuery through google-cloud-bigquery and the Storage Read API.

A query goes through jobs.query (bigquery_query.py): one HTTP round trip answers a small
query with its rows, and BigQuery makes a job only for a query that outlasts the request or
has more pages. With `query_api = "insert"`, and for DML always, it is a job with a
`pgbridge_` job id (so a Postgres CancelRequest becomes jobs.cancel of that id). Either way
it carries labels naming the principal, role and session (so BigQuery's audit log joins
pgbridge's), typed parameters, a `maximum_bytes_billed` cap that is always set, and a
timeout; a CancelRequest cancels the job BigQuery runs it in, if there is one. `execute`
returns once the query has finished (errors surface before any row); rows then stream batch
by batch from a worker thread, over REST for small results and the Storage Read API for
large ones. Every blocking call runs in a thread of the backend's own worker pool
(pgbridge.workers: not shared with logins or the catalog) with a bounded retry deadline and
request timeout, so an unreachable BigQuery becomes an error, never a hang. Helpers live in
the bigquery_*.py modules beside this one.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import pyarrow as pa
from google.cloud import bigquery
from google.cloud.bigquery.retry import DEFAULT_RETRY
from google.cloud.bigquery.table import RowIterator

from pgbridge.backends.base import (
    DryRun,
    Field,
    JobOptions,
    JobStats,
    QueryParam,
    ResultStream,
    TableMeta,
    TableRead,
)
from pgbridge.backends.bigquery_auth import Identities, qualified
from pgbridge.backends.bigquery_config import BigQuerySettings
from pgbridge.backends.bigquery_errors import is_unknown_name, to_pg_error
from pgbridge.backends.bigquery_labels import check_job_id, job_labels
from pgbridge.backends.bigquery_meta import TtlCache, load_datasets, load_tables
from pgbridge.backends.bigquery_preview import preview_fields, preview_rows
from pgbridge.backends.bigquery_query import query_once
from pgbridge.backends.bigquery_read import (
    page_batches,
    rest_batches,
    storage_batches,
    try_read_session,
    use_storage,
)
from pgbridge.backends.bigquery_stream import ThreadedResult
from pgbridge.backends.bigquery_types import arrow_schema, fields_from_schema, query_parameters
from pgbridge.wire.errors import PgError, SqlState
from pgbridge.workers import BACKEND_THREADS, WorkerPool

log = logging.getLogger(__name__)
T = TypeVar("T")
DryRunKey = tuple[str, tuple[tuple[str, str], ...]]


class _Insertion:
    """Whether a job's insert has returned (done) and succeeded (ok), across threads."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.ok = False


class BigQueryBackend:
    """`Backend` on BigQuery. One instance serves every session; it is safe to share."""

    name = "bigquery"

    def __init__(self, settings: BigQuerySettings, identities: Identities | None = None) -> None:
        self.settings = settings
        self.identities = identities or Identities(settings)
        self._datasets: TtlCache[list[str]] = TtlCache(settings.metadata_ttl_seconds)
        self._tables: TtlCache[list[TableMeta]] = TtlCache(settings.metadata_ttl_seconds)
        self._dry_runs: OrderedDict[DryRunKey, DryRun] = OrderedDict()
        self._running: dict[str, bigquery.Client] = {}
        self._job_ids: dict[str, str] = {}  # statement's job id -> BigQuery's (jobs.query)
        self._lock = threading.Lock()
        self._pool = WorkerPool("bigquery", BACKEND_THREADS)

    # ---- metadata ----------------------------------------------------------------------

    async def datasets(self) -> list[str]:
        cached = self._datasets.get("")
        if cached is not None:
            return list(cached)
        extra = tuple(d for d in self.settings.datasets.values() if "." in d)
        names = await self._call(
            lambda: load_datasets(self._gateway(), extra, self._request()), "listing datasets"
        )
        return list(self._datasets.put("", names))

    async def tables(self, dataset: str) -> list[TableMeta]:
        cached = self._tables.get(dataset)
        if cached is not None:
            return list(cached)
        reference = qualified(self.settings.project, dataset)
        loaded = await self._call(
            lambda: load_tables(self._gateway(), reference, dataset, self._request()),
            f"listing tables of {dataset}",
        )
        return list(self._tables.put(dataset, loaded))

    def invalidate(self, dataset: str | None = None) -> None:
        """Forget cached metadata (all, or one dataset's) and dry runs that may depend on it."""
        self._datasets.invalidate()
        self._tables.invalidate(dataset)
        with self._lock:
            self._dry_runs.clear()

    # ---- dry run -----------------------------------------------------------------------

    async def dry_run(self, sql: str, params: Sequence[QueryParam]) -> DryRun:
        key: DryRunKey = (sql, tuple((p.name, p.type) for p in params))
        with self._lock:
            if key in self._dry_runs:
                self._dry_runs.move_to_end(key)
                return self._dry_runs[key]
        result = await self._call(lambda: self._dry_run_blocking(sql, params), "dry run")
        self._remember(key, result)
        return result

    def _dry_run_blocking(self, sql: str, params: Sequence[QueryParam]) -> DryRun:
        config = bigquery.QueryJobConfig(
            dry_run=True, use_query_cache=False, query_parameters=query_parameters(params, types_only=True)
        )
        job = self._gateway().query(sql, job_config=config, job_retry=None, **self._request())
        return DryRun(fields_from_schema(job.schema or ()), int(job.total_bytes_processed or 0))

    def _remember(self, key: DryRunKey, result: DryRun) -> None:
        if self.settings.dry_run_cache_size == 0:
            return
        with self._lock:
            self._dry_runs[key] = result
            while len(self._dry_runs) > self.settings.dry_run_cache_size:
                self._dry_runs.popitem(last=False)

    # ---- execute -----------------------------------------------------------------------

    async def execute(self, sql: str, params: Sequence[QueryParam], options: JobOptions) -> ResultStream:
        if options.preview is not None:
            return await self._preview(options.preview, options)
        if self.settings.query_api == "query":
            client, rows = await self._run_query(sql, params, options)
            try:
                return self._stream_rows(client, rows, options).start()
            except BaseException:
                self._forget(options.job_id)
                raise
        client, job, rows = await self._run_job(sql, params, options)
        try:
            return self._stream(client, job, rows, options).start()
        except BaseException:
            self._forget(options.job_id)
            raise

    async def _run_query(
        self, sql: str, params: Sequence[QueryParam], options: JobOptions
    ) -> tuple[bigquery.Client, RowIterator]:
        """jobs.query under the role's identity, waited for (bigquery_query.py): one request
        for a small query. `options.job_id` names the statement here; BigQuery's own job id,
        when it makes a job, is what cancel sends."""
        check_job_id(options.job_id)
        identity = self.identities.identity_for(options.role)
        client = await self._call(lambda: self.identities.rest(identity), "connecting to BigQuery")
        timeout = options.timeout_seconds or self.settings.query_timeout_seconds
        config = self._job_config(params, options, timeout)
        with self._lock:
            self._running[options.job_id] = client
        made = _Insertion()

        def on_job(job_id: str) -> None:
            with self._lock:
                self._job_ids[options.job_id] = job_id
            made.ok = True
            made.done.set()

        def run() -> RowIterator:
            try:
                return query_once(
                    client, sql, config, location=self.settings.location, timeout=timeout,
                    request_timeout=self.settings.request_timeout_seconds, retry=self._retry(timeout),
                    page_rows=self.settings.page_rows, on_job=on_job,
                )  # fmt: skip
            except TimeoutError:  # the client cancelled the job it waited on
                message = f"query exceeded its {timeout:g}s timeout; its job was cancelled"
                raise PgError(SqlState.QUERY_CANCELED, message) from None
            finally:
                made.done.set()  # answered (or failed): a job made on the way was announced

        try:
            rows = await self._call(run, "query")
        except asyncio.CancelledError:
            self._cancel_after_insert(client, options.job_id, made)
            self._forget(options.job_id)
            raise
        except BaseException:
            self._forget(options.job_id)
            raise
        return client, rows

    def _stream_rows(self, client: bigquery.Client, rows: RowIterator, options: JobOptions) -> ThreadedResult:
        fields = fields_from_schema(rows.schema or ())
        # BigQuery's id for what ran: its job's, or its query id when it made no job.
        stats = JobStats(rows.total_bytes_processed, None, rows.job_id or rows.query_id or options.job_id)
        schema = arrow_schema(fields)
        timeout = options.timeout_seconds or self.settings.query_timeout_seconds

        def produce() -> Iterator[pa.RecordBatch]:
            # Only a query BigQuery made a job for has a table to read (its job id stands in
            # for the destination until jobs.get names it).
            if rows.job_id and use_storage(self.settings, rows.total_rows, rows.job_id):
                # A large result: BigQuery made a job; its table streams over Storage Read.
                request = self._request()
                job = client.get_job(rows.job_id, location=rows.location, **request)
                identity = self.identities.identity_for(options.role)
                read = self.identities.read(identity)
                destination = getattr(job, "destination", None)
                streams = 1 if options.ordered else self.settings.storage_streams
                project = client.project
                session = destination and try_read_session(read, project, destination, request, streams)
                if session is not None:
                    yield from storage_batches(read, session, schema, timeout)
                    return
            yield from page_batches(rows, fields, schema)

        return ThreadedResult(
            fields, stats, produce, self.settings.queue_batches, on_close=lambda: self._forget(options.job_id)
        )
    async def _preview(self, read: TableRead, options: JobOptions) -> ResultStream:
        """A table preview through tabledata.list, billed nothing (bigquery_preview.py)."""
        identity = self.identities.identity_for(options.role)
        client = await self._call(lambda: self.identities.rest(identity), "connecting to BigQuery")
        request = self._request(options.timeout_seconds)
        columns = await self._call(
            lambda: preview_fields(client, read, request), "reading the table's schema"
        )
        fields, stats, produce = preview_rows(client, read, columns, self.settings.page_rows, request)
        return ThreadedResult(fields, stats, produce, self.settings.queue_batches).start()

    async def execute_dml(self, sql: str, params: Sequence[QueryParam], options: JobOptions) -> JobStats:
        """Run an INSERT / UPDATE / DELETE / MERGE job; the stats carry its affected rows."""
        try:
            _, job, _ = await self._run_job(sql, params, options)
        finally:
            self._forget(options.job_id)
        affected = job.num_dml_affected_rows
        return JobStats(
            job.total_bytes_processed,
            job.total_bytes_billed,
            job.job_id,
            affected_rows=int(affected) if affected is not None else 0,
        )

    async def _run_job(
        self, sql: str, params: Sequence[QueryParam], options: JobOptions
    ) -> tuple[bigquery.Client, bigquery.QueryJob, Any]:
        """Insert the job under the role's identity and wait until it has finished."""
        job_id = check_job_id(options.job_id)
        identity = self.identities.identity_for(options.role)
        client = await self._call(lambda: self.identities.rest(identity), "connecting to BigQuery")
        timeout = options.timeout_seconds or self.settings.query_timeout_seconds
        config = self._job_config(params, options, timeout)
        with self._lock:
            self._running[job_id] = client
        inserted = _Insertion()
        try:
            job, rows = await self._call(
                lambda: self._run(client, sql, config, job_id, timeout, inserted), "query"
            )
        except asyncio.CancelledError:
            # CancelRequest, statement_timeout or a disconnect stopped the statement. The
            # worker thread cannot be interrupted and the job would run (and bill) to its end,
            # so the job itself is cancelled, once its insert has returned.
            self._cancel_after_insert(client, job_id, inserted)
            self._forget(job_id)
            raise
        except BaseException:
            self._forget(job_id)
            raise
        return client, job, rows

    def _job_config(
        self, params: Sequence[QueryParam], options: JobOptions, timeout: float
    ) -> bigquery.QueryJobConfig:
        cap = options.maximum_bytes_billed or self.settings.maximum_bytes_billed
        if cap <= 0:
            raise PgError(
                SqlState.INVALID_PARAMETER_VALUE, f"maximum_bytes_billed must be positive, got {cap}"
            )
        config = bigquery.QueryJobConfig(
            query_parameters=query_parameters(params),
            labels=job_labels(options.labels, self.settings.labels),
            maximum_bytes_billed=cap,
        )
        config.job_timeout_ms = max(1, int(timeout * 1000))
        return config

    def _run(
        self,
        client: bigquery.Client,
        sql: str,
        config: bigquery.QueryJobConfig,
        job_id: str,
        timeout: float,
        inserted: _Insertion,
    ) -> tuple[bigquery.QueryJob, Any]:
        """Insert the job and wait for it; a client-side timeout cancels it."""
        deadline = time.monotonic() + timeout
        try:
            request = self._request(timeout)
            job = client.query(sql, job_config=config, job_id=job_id, job_retry=None, **request)
            inserted.ok = True
        finally:
            inserted.done.set()
        try:
            rows = job.result(
                max_results=0, timeout=max(0.1, deadline - time.monotonic()), retry=self._retry(timeout)
            )
        except TimeoutError:  # concurrent.futures.TimeoutError is TimeoutError on 3.11
            self._cancel_quietly(client, job_id)
            message = f"query exceeded its {timeout:g}s timeout; job {job_id} was cancelled"
            raise PgError(SqlState.QUERY_CANCELED, message) from None
        return job, rows

    def _stream(
        self, client: bigquery.Client, job: bigquery.QueryJob, rows: Any, options: JobOptions
    ) -> ThreadedResult:
        fields = fields_from_schema(rows.schema or job.schema or ())
        stats = JobStats(job.total_bytes_processed, job.total_bytes_billed, job.job_id)
        produce = self._producer(client, job, fields, rows.total_rows, options)
        return ThreadedResult(
            fields, stats, produce, self.settings.queue_batches, on_close=lambda: self._forget(options.job_id)
        )

    def _producer(
        self,
        client: bigquery.Client,
        job: bigquery.QueryJob,
        fields: tuple[Field, ...],
        total: int | None,
        options: JobOptions,
    ) -> Callable[[], Iterator[pa.RecordBatch]]:
        schema = arrow_schema(fields)
        timeout = options.timeout_seconds or self.settings.query_timeout_seconds

        def produce() -> Iterator[pa.RecordBatch]:
            if use_storage(self.settings, total, job.destination):
                identity = self.identities.identity_for(options.role)
                read = self.identities.read(identity)
                streams = 1 if options.ordered else self.settings.storage_streams
                session = try_read_session(read, client.project, job.destination, self._request(), streams)
                if session is not None:
                    yield from storage_batches(read, session, schema, timeout)
                    return
            yield from rest_batches(job, fields, schema, self.settings.page_rows, self._request(timeout))

        return produce

    # ---- cancel / close ----------------------------------------------------------------

    async def cancel(self, job_id: str) -> None:
        """jobs.cancel for a job this gateway started (others: under the gateway's identity)."""
        check_job_id(job_id)
        with self._lock:
            client = self._running.get(job_id)
            job_id = self._job_ids.get(job_id, job_id)
        target = client or self._gateway()
        try:
            await self._call(
                lambda: target.cancel_job(job_id, location=self.settings.location, **self._request()),
                "cancel",
            )
        except PgError as error:
            if error.sqlstate != SqlState.UNDEFINED_TABLE:  # an unknown job: nothing to cancel
                raise

    async def close(self) -> None:
        await self._pool.run(self.identities.close)
        self._pool.shutdown()

    # ---- helpers -----------------------------------------------------------------------

    def _gateway(self) -> bigquery.Client:
        return self.identities.rest(None)

    def _retry(self, limit: float | None = None) -> Any:
        deadline = min(self.settings.retry_deadline_seconds, limit or self.settings.retry_deadline_seconds)
        return DEFAULT_RETRY.with_timeout(deadline).with_delay(initial=0.2, maximum=2.0, multiplier=2.0)

    def _request(self, limit: float | None = None) -> dict[str, Any]:
        timeout = min(self.settings.request_timeout_seconds, limit or self.settings.request_timeout_seconds)
        return {"retry": self._retry(limit), "timeout": timeout}

    async def _call(self, blocking: Callable[[], T], what: str) -> T:
        try:
            return await self._pool.run(blocking)
        except PgError as error:
            self._after_error(error)
            raise
        except Exception as exc:
            mapped = to_pg_error(exc, what)
            self._after_error(mapped)
            raise mapped from exc

    def _after_error(self, error: PgError) -> None:
        if is_unknown_name(error):
            self.invalidate()

    def _cancel_after_insert(self, client: bigquery.Client, job_id: str, inserted: _Insertion) -> None:
        """jobs.cancel from a daemon thread once the insert has returned (the caller is gone)."""

        def cancel() -> None:
            inserted.done.wait(self.settings.request_timeout_seconds)
            if inserted.done.is_set() and not inserted.ok:
                return  # the insert failed (or jobs.query made no job): nothing to cancel
            with self._lock:
                target = self._job_ids.get(job_id, job_id)
            self._cancel_quietly(client, target)

        threading.Thread(target=cancel, name="pgbridge-bq-cancel", daemon=True).start()

    def _cancel_quietly(self, client: bigquery.Client, job_id: str) -> None:
        try:
            client.cancel_job(job_id, location=self.settings.location, **self._request())
        except Exception as exc:  # the timeout error matters more than a failed cancel
            log.warning("cancelling timed-out job %s failed: %s", job_id, exc)

    def _forget(self, job_id: str) -> None:
        with self._lock:
            self._running.pop(job_id, None)
            self._job_ids.pop(job_id, None)
