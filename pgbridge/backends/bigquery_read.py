"""Reading a finished query's result: REST pages or the Storage Read API, batch by batch.

Small results come over REST (jobs.getQueryResults pages, converted to Arrow by
bigquery_rows); large ones over the Storage Read API, which streams the job's destination
table as Arrow and is about 50x faster (DESIGN.md). The choice is made per result from the
job's row count. Both produce batches cast to the same Arrow schema. Both are blocking
generators, run in the result's worker thread.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa
from google.api_core import exceptions as gexc
from google.cloud import bigquery
from google.cloud.bigquery_storage_v1 import BigQueryReadClient, types

from pgbridge.backends.base import Field
from pgbridge.backends.bigquery_config import BigQuerySettings
from pgbridge.backends.bigquery_rows import rows_to_batch

log = logging.getLogger(__name__)


def use_storage(settings: BigQuerySettings, total_rows: int | None, destination: Any) -> bool:
    """Storage Read for results of `storage_min_rows` rows or more ("auto")."""
    if destination is None or settings.storage_read == "never":
        return False
    if settings.storage_read == "always":
        return True
    return (total_rows or 0) >= settings.storage_min_rows


def rest_batches(
    job: bigquery.QueryJob,
    fields: Sequence[Field],
    schema: pa.Schema,
    page_rows: int,
    request: dict[str, Any],
) -> Iterator[pa.RecordBatch]:
    """One batch per getQueryResults page; raw JSON rows, never the client's per-cell parse."""
    yield from page_batches(job.result(page_size=page_rows, **request), fields, schema)


def page_batches(rows: Any, fields: Sequence[Field], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """The batches of a rows iterator's REST pages (the first may be inline in jobs.query's
    response; the rest are jobs.getQueryResults pages)."""
    for page in rows.pages:
        raw = page.raw_page.get("rows") if isinstance(page.raw_page, dict) else None
        if raw:
            yield rows_to_batch(raw, fields, schema)


def open_read_session(
    read: BigQueryReadClient,
    project: str,
    destination: bigquery.TableReference,
    request: dict[str, Any],
    streams: int = 1,
) -> types.ReadSession:
    """An Arrow session on the result table: one stream keeps ORDER BY order; an unordered
    result may ask for several (BigQuery may give fewer)."""
    table = f"projects/{destination.project}/datasets/{destination.dataset_id}/tables/{destination.table_id}"
    session = types.ReadSession(table=table, data_format=types.DataFormat.ARROW)
    return read.create_read_session(
        parent=f"projects/{project}", read_session=session, max_stream_count=streams, **request
    )


def storage_batches(
    read: BigQueryReadClient, session: types.ReadSession, schema: pa.Schema, timeout: float
) -> Iterator[pa.RecordBatch]:
    """Arrow record batches as the server sends them; the reader resumes broken streams itself."""
    wire_schema = pa.ipc.read_schema(pa.py_buffer(session.arrow_schema.serialized_schema))
    if len(session.streams) > 1:
        yield from parallel_batches(read, session.streams, wire_schema, schema, timeout)
        return
    for stream in session.streams:
        yield from _stream_batches(read, stream.name, wire_schema, schema, timeout)


def _stream_batches(
    read: BigQueryReadClient, name: str, wire_schema: pa.Schema, schema: pa.Schema, timeout: float
) -> Iterator[pa.RecordBatch]:
    for response in read.read_rows(name, timeout=timeout):
        message = pa.py_buffer(response.arrow_record_batch.serialized_record_batch)
        yield conform(pa.ipc.read_record_batch(message, wire_schema), schema)


def conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """Cast a Storage Read batch to pgbridge's schema (names of list items, field metadata)."""
    if batch.schema.equals(schema, check_metadata=False) and not batch.schema.metadata:
        return batch
    columns = [column.cast(field.type) for column, field in zip(batch.columns, schema, strict=True)]
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def try_read_session(
    read_client: BigQueryReadClient,
    project: str,
    destination: bigquery.TableReference,
    request: dict[str, Any],
    streams: int = 1,
) -> types.ReadSession | None:
    """A read session, or None when the Storage Read API refuses (the REST path still works)."""
    try:
        return open_read_session(read_client, project, destination, request, streams)
    except (gexc.GoogleAPICallError, gexc.RetryError) as exc:
        log.warning("storage read unavailable for %s, using REST: %s", destination, exc)
        return None


def parallel_batches(
    read: BigQueryReadClient,
    streams: Sequence[Any],
    wire_schema: pa.Schema,
    schema: pa.Schema,
    timeout: float,
) -> Iterator[pa.RecordBatch]:
    """The batches of several streams read at once, one thread each, interleaved as they come
    (only for results without ORDER BY). The queue is bounded: a slow client holds every
    reader back, as with one stream. Closing the iterator stops the readers."""
    batches: queue.Queue[pa.RecordBatch | _StreamEnd] = queue.Queue(maxsize=2 * len(streams))
    stop = threading.Event()

    def put(item: pa.RecordBatch | _StreamEnd) -> bool:
        while not stop.is_set():
            try:
                batches.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def reader(name: str) -> None:
        try:
            for batch in _stream_batches(read, name, wire_schema, schema, timeout):
                if not put(batch):
                    return
            put(_StreamEnd(None))
        except BaseException as error:  # handed to the consumer, which raises it
            put(_StreamEnd(error))

    threads = [
        threading.Thread(target=reader, args=(stream.name,), name="pgbridge-bq-stream", daemon=True)
        for stream in streams
    ]
    for thread in threads:
        thread.start()
    try:
        remaining = len(threads)
        while remaining:
            item = batches.get()
            if isinstance(item, _StreamEnd):
                if item.error is not None:
                    raise item.error
                remaining -= 1
                continue
            yield item
    finally:
        stop.set()


class _StreamEnd:
    def __init__(self, error: BaseException | None) -> None:
        self.error = error
