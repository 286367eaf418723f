"""The bigquery gateway at the HTTP boundary: the emulator behind a proxy that answers as real
BigQuery does where the emulator does not (hold_proxy.py).

What the proxy changes, and only that:
- the long query (SQL with CROSS JOIN) is held RUNNING until jobs.cancel; its dry run is
  answered without running it;
- `shop.products.attrs` is a JSON column: the emulator reports JSON columns as STRING, real
  BigQuery as JSON (the values are the same JSON text either way);
- a dry run that reads `shop.orders` reports ORDERS_DRY_RUN_BYTES instead of the emulator's 0;
- a value that does not convert is reported in BigQuery's words ("Bad int64 value: Ada"); the
  emulator reports DuckDB's conversion error inside an unrelated "No matching signature" text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tests.e2e.hold_proxy import HoldProxy
from tests.support.gateway import RunningGateway

HELD_MARKER = "CROSS JOIN"
HELD_SCHEMA = [{"name": "sum", "type": "FLOAT", "mode": "NULLABLE"}]
JSON_COLUMNS = {"attrs"}
ORDERS_DRY_RUN_BYTES = 25_000_000  # over the analyst's max_bytes of 20 MB
_DUCKDB_CONVERSION = re.compile(
    r"Could not convert string '(?P<value>[^']*)' to (?P<type>INT64|DOUBLE|BOOL)", re.S
)
_BIGQUERY_TYPE_WORD = {"INT64": "int64", "DOUBLE": "double", "BOOL": "bool"}


@dataclass
class Boundary:
    gateway: RunningGateway
    proxy: HoldProxy


def held(sql: str) -> bool:
    return HELD_MARKER in sql


def as_real_bigquery(method: str, path: str, body: Any) -> Any:
    """Patch one passed-through reply of the emulator into real BigQuery's answer."""
    _json_columns(body)
    _conversion_errors(body)
    if method == "POST" and path.endswith("/jobs") and isinstance(body, dict):
        _dry_run_bytes(body)
    return body


def _json_columns(node: Any) -> None:
    if isinstance(node, dict):
        for field in node.get("fields", ()) if isinstance(node.get("fields"), list) else ():
            if (
                isinstance(field, dict)
                and field.get("name") in JSON_COLUMNS
                and field.get("type") == "STRING"
            ):
                field["type"] = "JSON"
        for value in node.values():
            _json_columns(value)
    elif isinstance(node, list):
        for item in node:
            _json_columns(item)


def _dry_run_bytes(job: dict[str, Any]) -> None:
    config = job.get("configuration", {})
    if not config.get("dryRun") or "`orders`" not in config.get("query", {}).get("query", ""):
        return
    statistics = job.setdefault("statistics", {})
    statistics["totalBytesProcessed"] = str(ORDERS_DRY_RUN_BYTES)
    statistics.setdefault("query", {})["totalBytesProcessed"] = str(ORDERS_DRY_RUN_BYTES)


def _conversion_errors(node: Any) -> None:
    if isinstance(node, dict):
        message = node.get("message")
        found = _DUCKDB_CONVERSION.search(message) if isinstance(message, str) else None
        if found:
            node["message"] = f"Bad {_BIGQUERY_TYPE_WORD[found['type']]} value: {found['value']}"
        for value in node.values():
            _conversion_errors(value)
    elif isinstance(node, list):
        for item in node:
            _conversion_errors(item)
