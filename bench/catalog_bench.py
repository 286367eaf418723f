"""Time the catalog engine answering psql's `\\d shop.customers` (its 8 queries, as captured).

Run: `.venv/bin/python bench/catalog_bench.py [rounds]`. Reports the cold time (metadata
read, DuckDB database built, first answers) and the warm time per full `\\d` query set.
"""

from __future__ import annotations

import asyncio
import json
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pgbridge.catalog.engine import CatalogEngine  # noqa: E402
from tests.catalog.conftest import make_session  # noqa: E402
from tests.catalog.shop import ShopBackend  # noqa: E402

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "catalog" / "fixtures" / "psql.json"


async def main(rounds: int) -> None:
    command = next(c for c in json.loads(FIXTURE.read_text()) if c["command"] == "\\d shop.customers")
    engine = CatalogEngine(ShopBackend())
    session = make_session("bench")
    oid = (await engine.run("SELECT 'shop.customers'::regclass::oid", [], session)).batches[0].column(0)[0]
    queries = [re.sub(r"\{oid:[\w.]+\}", str(oid), q["sql"]) for q in command["queries"]]
    cold_engine = CatalogEngine(ShopBackend())
    start = time.perf_counter()
    for sql in queries:
        await cold_engine.run(sql, [], session)
    cold = (time.perf_counter() - start) * 1000
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for sql in queries:
            await engine.run(sql, [], session)
        times.append((time.perf_counter() - start) * 1000)
    print(
        f"\\d shop.customers: {len(queries)} queries; cold {cold:.1f} ms; warm median "
        f"{statistics.median(times):.1f} ms, min {min(times):.1f} ms over {rounds} rounds"
    )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20))
