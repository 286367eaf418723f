"""Catalog metadata from the BigQuery tables API, cached with a time-to-live.

Clients ask catalog questions constantly (psql \\d, BI schema sync), so datasets and tables
are read once per `metadata_ttl_seconds` and served from memory between. A dataset's
tables are fetched in parallel (tables.list gives names only; tables.get gives schemas).
An unknown-name error from a query drops the cache (`invalidate`), so a table created
since the last read appears on the next catalog question.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from google.cloud import bigquery

from pgbridge.backends.base import TableMeta
from pgbridge.backends.bigquery_types import fields_from_schema

T = TypeVar("T")
_KINDS = {"TABLE": "TABLE", "VIEW": "VIEW", "MATERIALIZED_VIEW": "MATERIALIZED_VIEW", "EXTERNAL": "EXTERNAL"}
_PARALLEL_GETS = 8


@dataclass(slots=True)
class _Entry(Generic[T]):
    value: T
    expires: float


class TtlCache(Generic[T]):
    """Values by key until they expire or are invalidated; `clock` is injectable for tests."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._entries: dict[str, _Entry[T]] = {}

    def get(self, key: str) -> T | None:
        entry = self._entries.get(key)
        if entry is None or entry.expires <= self.clock():
            return None
        return entry.value

    def put(self, key: str, value: T) -> T:
        self._entries[key] = _Entry(value, self.clock() + self.ttl)
        return value

    def invalidate(self, key: str | None = None) -> None:
        if key is None:
            self._entries.clear()
        else:
            self._entries.pop(key, None)


def load_datasets(client: bigquery.Client, extra: tuple[str, ...], request: dict[str, Any]) -> list[str]:
    """Dataset ids of the project, plus configured datasets of other projects."""
    names = [d.dataset_id for d in client.list_datasets(include_all=False, **request)]
    return sorted(set(names) | set(extra))


def load_tables(
    client: bigquery.Client, reference: str, dataset: str, request: dict[str, Any]
) -> list[TableMeta]:
    """Every table and view of `reference` (project.dataset), reported under the name `dataset`."""
    items = list(client.list_tables(reference, **request))
    with ThreadPoolExecutor(max_workers=_PARALLEL_GETS, thread_name_prefix="pgbridge-bq-meta") as pool:
        tables = list(pool.map(lambda item: client.get_table(item.reference, **request), items))
    return sorted((table_meta(dataset, t) for t in tables), key=lambda m: m.name)


def table_meta(dataset: str, table: bigquery.Table) -> TableMeta:
    kind = _KINDS.get(table.table_type or "TABLE", "TABLE")
    return TableMeta(
        dataset=dataset,
        name=table.table_id,
        kind=kind,  # type: ignore[arg-type]
        fields=fields_from_schema(table.schema),
        description=table.description,
        num_rows=table.num_rows,
        num_bytes=table.num_bytes,
    )
