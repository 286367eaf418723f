"""Table previews on the BigQuery backend (issue 12, item 2): a preview is read through
tabledata.list, never a query job, so BigQuery bills it nothing. Against the emulator: the
same rows and types as the query; at the HTTP boundary: the requests the client sends."""

from __future__ import annotations

from typing import Any

from pgbridge.backends.base import TableRead
from pgbridge.backends.bigquery import BigQueryBackend
from tests.bigquery.helpers import drain, options, run
from tests.bigquery.http_boundary import Captured, FakeBigQuery, Reply, fake_bigquery
from tests.bigquery.test_http_boundary import make_backend as make_fake_backend


async def _preview(backend: BigQueryBackend, read: TableRead) -> Any:
    stream = await backend.execute("SELECT 'not run'", (), options(preview=read))
    assert stream.stats.bytes_billed == 0
    _, table = await drain(stream)
    return table


async def test_a_preview_returns_the_querys_rows_and_types(make_backend) -> None:
    backend = make_backend()
    read = TableRead("shop", "people", ("name", "id"), 2)
    table = await _preview(backend, read)
    query = await run(backend, "SELECT name, id FROM shop.people ORDER BY id LIMIT 2")
    # (a REQUIRED column stays non-nullable in the table's schema; a query's result is nullable)
    assert [(f.name, f.type) for f in table.schema] == [(f.name, f.type) for f in query.schema]
    assert sorted(table.to_pylist(), key=lambda r: r["id"]) == query.to_pylist()
    everything = await _preview(backend, TableRead("shop", "people", ("id", "id"), None))
    assert (
        everything.num_rows
        == (await run(backend, "SELECT count(*) AS n FROM shop.people")).column(0)[0].as_py()
    )
    assert await _preview(backend, TableRead("shop", "people", ("id",), 0)) is not None


def _tables(fake: FakeBigQuery) -> Any:
    schema = [
        {"name": "id", "type": "INTEGER", "mode": "REQUIRED"},
        {"name": "name", "type": "STRING"},
        {"name": "amount", "type": "FLOAT"},
    ]

    def answer(request: Captured) -> Reply | None:
        if request.path.endswith("/tables/orders") and request.method == "GET":
            table = {"projectId": "demo-proj", "datasetId": "shop", "tableId": "orders"}
            return 200, {"kind": "bigquery#table", "tableReference": table, "schema": {"fields": schema}}
        if request.path.endswith("/tables/orders/data"):
            # tabledata.list answers in the table's column order: id, amount for (amount, id).
            rows = [{"f": [{"v": str(i)}, {"v": f"{i}.5"}]} for i in range(1, 4)]
            return 200, {"kind": "bigquery#tableDataList", "totalRows": "1000000", "rows": rows}
        return None

    return answer


async def test_http_boundary_a_preview_is_tabledata_list_not_a_job() -> None:
    with fake_bigquery() as fake:
        fake.override = _tables(fake)
        backend = make_fake_backend(fake)
        table = await _preview(backend, TableRead("shop", "orders", ("amount", "id"), 3))
        assert table.column_names == ["amount", "id"] and table.column("id").to_pylist() == [1, 2, 3]
        assert table.column("amount").to_pylist() == [1.5, 2.5, 3.5]
        assert not fake.find("POST", "/jobs") and not fake.find("POST", "/queries")
        (listed,) = fake.find("GET", "/tables/orders/data")
        assert listed.query["selectedFields"] == ["id,amount"] and listed.query["maxResults"] == ["3"]
