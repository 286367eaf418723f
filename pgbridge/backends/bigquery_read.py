"""Reading a finished query's result: REST pages or the Storage Read API, batch by batch.

Small results come over REST (jobs.getQueryResults pages, converted to Arrow by
bigquery_rows); large ones over the Storage Read API, which streams the job's destination
table as Arrow and is about 50x faster (DESIGN.md). The choice is made per result from the
job's row count. Both produce batches cast to the same Arrow schema. Both are blocking
generators, run in the result's worker thread.
"""

from __future__ import annotations

import logging
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
    read: BigQueryReadClient, project: str, destination: bigquery.TableReference, request: dict[str, Any]
) -> types.ReadSession:
    """A one-stream Arrow session on the result table; one stream keeps ORDER BY order."""
    table = f"projects/{destination.project}/datasets/{destination.dataset_id}/tables/{destination.table_id}"
    session = types.ReadSession(table=table, data_format=types.DataFormat.ARROW)
    return read.create_read_session(
        parent=f"projects/{project}", read_session=session, max_stream_count=1, **request
    )


def storage_batches(
    read: BigQueryReadClient, session: types.ReadSession, schema: pa.Schema, timeout: float
) -> Iterator[pa.RecordBatch]:
    """Arrow record batches as the server sends them; the reader resumes broken streams itself."""
    wire_schema = pa.ipc.read_schema(pa.py_buffer(session.arrow_schema.serialized_schema))
    for stream in session.streams:
        for response in read.read_rows(stream.name, timeout=timeout):
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
) -> types.ReadSession | None:
    """A read session, or None when the Storage Read API refuses (the REST path still works)."""
    try:
        return open_read_session(read_client, project, destination, request)
    except (gexc.GoogleAPICallError, gexc.RetryError) as exc:
        log.warning("storage read unavailable for %s, using REST: %s", destination, exc)
        return None
