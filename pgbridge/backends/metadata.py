"""A time-limited cache of the backend's datasets, tables and columns.

Name resolution, lineage and the catalog ask about tables on every statement; the backend's
metadata calls are slow (BigQuery's are HTTP round trips). The cache answers synchronously
from memory after one awaited refresh, and is refreshed when its TTL passes or when a
statement names something it does not know (a table created since the last refresh).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from pgbridge.backends.base import Backend, Field, TableMeta


class MetadataCache:
    def __init__(
        self, backend: Backend, ttl_seconds: float = 300.0, min_refresh_interval: float = 2.0
    ) -> None:
        self.backend = backend
        self.ttl_seconds = ttl_seconds
        self.min_refresh_interval = min_refresh_interval
        self._tables: dict[tuple[str, str], TableMeta] = {}
        self._datasets: tuple[str, ...] = ()
        self._loaded_at = -1e18
        self._lock = asyncio.Lock()
        self.generation = 0  # bumped on every refresh: plans made before it are stale

    async def ensure_fresh(self) -> None:
        if time.monotonic() - self._loaded_at > self.ttl_seconds:
            await self.refresh()

    async def refresh(self, force: bool = True) -> None:
        async with self._lock:
            if not force and time.monotonic() - self._loaded_at < self.min_refresh_interval:
                return
            datasets = await self.backend.datasets()
            tables: dict[tuple[str, str], TableMeta] = {}
            for dataset in datasets:
                for table in await self.backend.tables(dataset):
                    tables[(dataset, table.name)] = table
            self._datasets, self._tables = tuple(datasets), tables
            self._loaded_at = time.monotonic()
            self.generation += 1

    async def refresh_if_stale(self) -> None:
        """Refresh after an unknown name, at most once per min_refresh_interval."""
        await self.refresh(force=False)

    # SchemaLookup (pgbridge.sql.names.resolve) -------------------------------------------------

    def table(self, dataset: str, name: str) -> TableMeta | None:
        return self._tables.get((dataset, name))

    def datasets(self) -> Sequence[str]:
        return self._datasets

    def tables_of(self, dataset: str) -> list[TableMeta]:
        return [meta for (ds, _), meta in self._tables.items() if ds == dataset]

    def all_tables(self) -> list[TableMeta]:
        return list(self._tables.values())

    def fields(self, dataset: str, name: str) -> tuple[Field, ...] | None:
        meta = self._tables.get((dataset, name))
        return meta.fields if meta else None
