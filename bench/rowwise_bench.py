"""Small batches: the row-at-a-time encoder (encode/rowwise.py) against the vectorised renderers.

Builds the demo warehouse in a temporary folder, reads the first rows of shop.products,
shop.orders and shop.customers through the DuckDB backend (as the gateway sees them), and
times (best of five) `ResultEncoder.encode_small` (one Python call per value where rowwise.py covers the
type) and `encode_vectorised` on 1, 16 and 64 rows in binary (asyncpg's format) and text.

Run: .venv/bin/python bench/rowwise_bench.py
"""

from __future__ import annotations

import functools
import sys
import tempfile
import timeit
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pgbridge.encode import EncodeSettings, ResultEncoder, output_columns  # noqa: E402
from tests.encode.test_rowwise import _demo_tables  # noqa: E402
from tests.support.demo import build_demo  # noqa: E402


def _best(call: Callable[[], object], times: int) -> float:
    """Seconds per call, the best of five timings of `times` calls (others share the machine)."""
    return min(timeit.repeat(call, number=times, repeat=5)) / times


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="pgbridge-rowwise-") as tmp:
        tables = _demo_tables(build_demo(Path(tmp) / "demo"))
    print("table       format  rows   rowwise us   vectorised us")
    for name, (fields, table) in tables.items():
        for fmt, label in ((1, "binary"), (0, "text")):
            encoder = ResultEncoder(output_columns(fields), [fmt], EncodeSettings())
            for rows in (1, 16, 64):
                batch = table.slice(0, rows).combine_chunks().to_batches()[0]
                times = max(20, 400 // rows)
                small = _best(functools.partial(encoder.encode_small, batch), times)
                vectorised = _best(functools.partial(encoder.encode_vectorised, batch), times)
                print(f"{name:<11} {label:<7} {rows:>4} {small * 1e6:>12,.0f} {vectorised * 1e6:>15,.0f}")


if __name__ == "__main__":
    main()
