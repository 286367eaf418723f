"""Small helpers shared by the BigQuery backend tests."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pyarrow as pa

from pgbridge.backends.base import Backend, JobOptions, QueryParam, ResultStream
from pgbridge.backends.bigquery_types import arrow_schema

_ids = itertools.count(1)


def options(**kwargs: object) -> JobOptions:
    kwargs.setdefault("job_id", f"pgbridge_test_{next(_ids)}_{id(kwargs)}")
    return JobOptions(**kwargs)  # type: ignore[arg-type]


async def drain(stream: ResultStream) -> tuple[list[pa.RecordBatch], pa.Table]:
    batches = [batch async for batch in stream.batches()]
    await stream.aclose()
    return batches, pa.Table.from_batches(batches, schema=arrow_schema(stream.fields))


async def run(backend: Backend, sql: str, params: Sequence[QueryParam] = (), **kwargs: object) -> pa.Table:
    stream = await backend.execute(sql, params, options(**kwargs))
    _, table = await drain(stream)
    return table
