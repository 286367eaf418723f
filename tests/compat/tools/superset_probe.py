"""Apache Superset (its own virtual environment and metadata database, prepared by
scripts/install-test-deps.d/tools.sh) driven through its REST API, in process through Flask's
test client, as a BI user does it: log in, add pgbridge as a database (analyst's token in the
URI), browse schemas and tables, run a query in SQL Lab, add the orders dataset, then ask for
two charts: daily order counts over all time, and the same over a time range (Superset sends
`ordered_at >= TO_TIMESTAMP('2022-01-01 00:00:00.000000', 'YYYY-MM-DD HH24:MI:SS.US')`).
Prints one JSON document. Usage: SUPERSET_CONFIG_PATH=... python superset_probe.py URI"""

import json
import sys

from superset.app import create_app

uri = sys.argv[1]
app = create_app()
client = app.test_client()
out: dict[str, object] = {}


def call(method: str, path: str, body: object | None = None) -> dict:
    try:
        response = client.open(path, method=method, json=body, headers=headers)
    except Exception as error:  # the test client re-raises what Superset's view raised
        return {"status": 500, "raised": f"{type(error).__name__}: {error}"}
    try:
        return {"status": response.status_code, "json": response.get_json()}
    except Exception:  # not JSON: keep the text
        return {"status": response.status_code, "text": response.get_data(as_text=True)[:2000]}


headers: dict[str, str] = {}
login = call(
    "POST", "/api/v1/security/login", {"username": "admin", "password": "admin", "provider": "db"}
)
headers = {"Authorization": f"Bearer {login['json']['access_token']}"}
connection = {"database_name": "pgbridge", "sqlalchemy_uri": uri, "expose_in_sqllab": True}
database = call("POST", "/api/v1/database/", connection)
out["database"] = database["status"]
if "id" not in (database.get("json") or {}):
    print(json.dumps({"database_error": database}, default=str))
    sys.exit(0)
db_id = database["json"]["id"]
out["schemas"] = call("GET", f"/api/v1/database/{db_id}/schemas/")["json"]["result"]
tables = call("GET", f"/api/v1/database/{db_id}/tables/?q=(schema_name:public,force:!t)")
out["tables"] = sorted(t["value"] for t in tables["json"]["result"])
sqllab = call(
    "POST",
    "/api/v1/sqllab/execute/",
    {
        "database_id": db_id,
        "sql": "SELECT id, ssn FROM customers ORDER BY id LIMIT 2",
        "schema": "public",
        "runAsync": False,
    },
)
out["sqllab"] = {"status": sqllab["status"], "data": (sqllab.get("json") or {}).get("data")}
dataset = call("POST", "/api/v1/dataset/", {"database": db_id, "schema": "public", "table_name": "orders"})
out["dataset"] = dataset["status"]
ds_id = dataset["json"]["id"]


def chart(filters: list[dict]) -> dict:
    axis = {
        "timeGrain": "P1D",
        "columnType": "BASE_AXIS",
        "sqlExpression": "ordered_at",
        "label": "ordered_at",
        "expressionType": "SQL",
    }
    query = {"columns": [axis], "metrics": ["count"], "filters": filters, "orderby": [], "row_limit": 10}
    body = {
        "datasource": {"id": ds_id, "type": "table"},
        "queries": [query],
        "result_format": "json",
        "result_type": "full",
    }
    answer = call("POST", "/api/v1/chart/data", body)
    result = (answer.get("json") or {}).get("result") or [{}]
    return {
        "status": answer["status"],
        "data": result[0].get("data"),
        "query": result[0].get("query"),
        "error": answer.get("raised") or (answer.get("json") if answer["status"] != 200 else None),
    }


out["chart"] = chart([])
out["chart_time_range"] = chart(
    [{"col": "ordered_at", "op": "TEMPORAL_RANGE", "val": "2022-01-01 : 2022-01-08"}]
)
print(json.dumps(out, default=str))
