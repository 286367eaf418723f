"""Table previews on BigQuery: tabledata.list instead of a query job (server/pipeline/preview.py).

A query job bills every byte of the columns it reads, LIMIT or not; tabledata.list reads the
same rows from the table itself, free of charge. So a preview (the pipeline has checked that
it reads plain columns of one table, no filter, no mask) is served here: tables.get for the
columns' schema, then tabledata.list with selectedFields and maxResults, page by page, each
page's raw JSON rows converted to Arrow by the same code as a query's REST pages. The rows are
those the job's SQL would return, in table order as a LIMIT without ORDER BY may return them.
The job id is kept for the audit record and cancel; there is no job to cancel.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa
from google.cloud import bigquery

from pgbridge.backends.base import Field, JobStats, TableRead
from pgbridge.backends.bigquery_rows import rows_to_batch
from pgbridge.backends.bigquery_types import arrow_schema, fields_from_schema
from pgbridge.wire.errors import PgError, SqlState

Produce = Callable[[], Iterator[pa.RecordBatch]]


def preview_fields(
    client: bigquery.Client, read: TableRead, request: dict[str, Any]
) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The SchemaFields of the preview's columns in the order the statement names them, and
    each once in the table's order (tables.get: metadata, free)."""
    table = client.get_table(f"{client.project}.{read.dataset}.{read.table}", **request)
    by_name = {f.name.lower(): f for f in table.schema}
    missing = [c for c in read.columns if c.lower() not in by_name]
    if missing:
        raise PgError(SqlState.UNDEFINED_COLUMN, f'column "{missing[0]}" does not exist')
    wanted = {c.lower() for c in read.columns}
    # tabledata.list answers in the table's column order whatever the order of selectedFields,
    # so they are asked for in that order, each once (SELECT a, a reads a once).
    listed = tuple(f for f in table.schema if f.name.lower() in wanted)
    return tuple(by_name[c.lower()] for c in read.columns), listed


def preview_rows(
    client: bigquery.Client,
    read: TableRead,
    schema_fields: tuple[tuple[Any, ...], tuple[Any, ...]],
    page_rows: int,
    request: dict[str, Any],
) -> tuple[tuple[Field, ...], JobStats, Produce]:
    """The preview's fields, its stats (0 bytes billed) and its batch producer."""
    ordered, listed = schema_fields
    fields, listed_fields = fields_from_schema(ordered), fields_from_schema(listed)
    target, listed_schema = arrow_schema(fields), arrow_schema(listed_fields)
    table = bigquery.TableReference.from_string(f"{client.project}.{read.dataset}.{read.table}")

    def produce() -> Iterator[pa.RecordBatch]:
        if read.limit == 0:
            return
        rows = client.list_rows(
            table, selected_fields=list(listed), max_results=read.limit, page_size=page_rows, **request
        )
        sent = 0
        for page in rows.pages:
            raw = page.raw_page.get("rows") if isinstance(page.raw_page, dict) else None
            if read.limit is not None and raw:
                raw = raw[: read.limit - sent]
            if raw:
                sent += len(raw)
                yield _in_statement_order(rows_to_batch(raw, listed_fields, listed_schema), fields, target)
            if read.limit is not None and sent >= read.limit:
                return

    return fields, JobStats(bytes_processed=0, bytes_billed=0), produce


def _in_statement_order(
    batch: pa.RecordBatch, fields: tuple[Field, ...], target: pa.Schema
) -> pa.RecordBatch:
    names = [n.lower() for n in batch.schema.names]
    columns = [batch.column(names.index(f.name.lower())) for f in fields]
    return pa.RecordBatch.from_arrays(columns, schema=target)
