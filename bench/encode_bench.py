"""Encoding throughput: 1,000,000 rows of (int8, text ~20 chars, float8, timestamptz) in 64k-row batches.

Prints rows/s for DataRow text and binary, with NULL-free columns (no masking ran first), and for
text with a non-UTC session zone and for COPY text. Run: .venv/bin/python bench/encode_bench.py
"""

from __future__ import annotations

import time

import numpy as np
import pyarrow as pa

from pgbridge.backends.base import Field
from pgbridge.encode import CopyTextEncoder, EncodeSettings, ResultEncoder, output_columns

ROWS, BATCH = 1_000_000, 65_536


def make_batches() -> list[pa.RecordBatch]:
    rng = np.random.default_rng(0)
    ids = pa.array(rng.integers(-(10**12), 10**12, ROWS))
    names = pa.array([f"customer-{i:011d}" for i in range(ROWS)])  # 20 characters
    scores = pa.array(rng.standard_normal(ROWS) * 1000)
    stamps = pa.array(rng.integers(0, 2_000_000_000_000_000, ROWS)).cast(pa.timestamp("us", tz="UTC"))
    table = pa.table({"id": ids, "name": names, "score": scores, "at": stamps})
    return table.to_batches(max_chunksize=BATCH)


def run(label: str, encode: object, batches: list[pa.RecordBatch]) -> None:
    assert callable(encode)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        size = sum(len(encode(b)) for b in batches)
        best = min(best, time.perf_counter() - start)
    print(
        f"{label:<34} {ROWS / best / 1e6:6.2f} M rows/s"
        f"  ({best * 1000:6.0f} ms, {size / ROWS:5.1f} bytes/row)"
    )


def main() -> None:
    batches = make_batches()
    columns = output_columns(
        [Field("id", "INT64"), Field("name", "STRING"), Field("score", "FLOAT64"), Field("at", "TIMESTAMP")]
    )
    utc = EncodeSettings()
    run("DataRow text, UTC", ResultEncoder(columns, [0], utc).encode, batches)
    run("DataRow binary", ResultEncoder(columns, [1], utc).encode, batches)
    run(
        "DataRow text, America/New_York",
        ResultEncoder(columns, [0], EncodeSettings("America/New_York")).encode,
        batches,
    )
    run("COPY text", CopyTextEncoder(columns, utc).encode, batches)


if __name__ == "__main__":
    main()
