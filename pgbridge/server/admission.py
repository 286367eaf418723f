"""Admitting a data statement: its cost (bytes scanned plus rows it generates) and the
per-principal slots its backend work runs in.

Both are the pipeline's business but neither needs its state: the cost is a function of the
plan, the principal and the parameters; a slot is held around each piece of backend work
(dry run, start, every result batch) so a principal's share of the backend pool is bounded
(pgbridge.policy.concurrency) while a result that sits unread holds nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

import pyarrow as pa

from pgbridge.auth.principal import Principal
from pgbridge.backends.metadata import MetadataCache
from pgbridge.sql.generated import Generated, generated_rows
from pgbridge.wire.errors import PgError, SqlState

Slot = Callable[[], AbstractAsyncContextManager[None]]


def generated_by(
    ast: Any, principal: Principal, policy: Any, metadata: MetadataCache, params: Sequence[object]
) -> Generated | None:
    """The rows the statement generates. A row-filtered table's size is unknown to the
    estimate: using the table-wide count would let the cost rule's answer reveal it."""

    def table_rows(dataset: str, table: str) -> int | None:
        if policy is not None and policy.row_filter_for(principal, dataset, table) is not None:
            return None
        meta = metadata.table(dataset, table)
        return meta.num_rows if meta is not None else None

    return generated_rows(ast, table_rows, params)


def cost_decision(
    policy: Any, principal: Principal, bytes_estimate: int, generated: Generated | None
) -> Any:
    """The cost rule's decision; a deny becomes the 54000 the client sees."""
    cost = policy.check_cost(principal, bytes_estimate, generated)
    if cost.action != "deny":
        return cost
    if generated is None:
        raise PgError(
            SqlState.PROGRAM_LIMIT_EXCEEDED,
            f"query would scan {bytes_estimate} bytes, over the limit of policy rule {cost.rule}: "
            f"{cost.message}",
        )
    raise PgError(
        SqlState.PROGRAM_LIMIT_EXCEEDED,
        f"query refused by policy rule {cost.rule}: {cost.message}",
        hint="generate fewer rows: smaller series with constant bounds, fewer cross joins",
    )


def explain_lines(generated: Generated | None) -> list[str]:
    if generated is None:
        return []
    if generated.rows is None:
        return [f"Generated rows: cannot be bounded before running ({generated.what})"]
    return [
        f"Generated rows (estimate): {generated.rows:,} ({generated.what}), "
        f"counted as {generated.bytes:,} bytes"
    ]


async def in_slots(batches: AsyncIterator[pa.RecordBatch], slot: Slot) -> AsyncIterator[pa.RecordBatch]:
    """The batches, each read while holding a slot; none is held while the consumer works."""
    iterator = batches.__aiter__()
    while True:
        async with slot():
            try:
                batch = await iterator.__anext__()
            except StopAsyncIteration:
                return
        yield batch
