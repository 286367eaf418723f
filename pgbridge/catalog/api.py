"""What the gateway hands the catalog engine, and what it gets back."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pyarrow as pa

from pgbridge.typemap import OutputColumn


@dataclass(frozen=True)
class CatalogSession:
    user: str
    database: str
    search_path: tuple[str, ...]
    settings: Mapping[str, str]
    backend_pid: int
    can_read: Callable[[str, str], bool]  # (dataset, table) -> may this principal see it
    server_version: str
    # (dataset, table) -> does a row filter limit what this principal sees of it; such a
    # table's size statistics (reltuples, n_live_tup, sizes) would tell how many rows it hides.
    row_filtered: Callable[[str, str], bool] = lambda dataset, table: False


@dataclass(frozen=True)
class CatalogResult:
    columns: tuple[OutputColumn, ...]
    batches: tuple[pa.RecordBatch, ...]
    tag: str  # e.g. "SELECT 3"
