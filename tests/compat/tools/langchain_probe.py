"""LangChain's SQLDatabase against pgbridge, as a LangChain SQL agent's first calls use it:
table names, table info (CREATE TABLE text with three sample rows per table), a query.
Run with the LangChain virtual environment's Python (scripts/install-test-deps.d/tools.sh);
prints one JSON document. Usage: python langchain_probe.py URL SQL"""

import json
import sys
import time

from langchain_community.utilities import SQLDatabase

url, sql = sys.argv[1], sys.argv[2]
db = SQLDatabase.from_uri(url)
out: dict[str, object] = {"dialect": db.dialect, "tables": sorted(db.get_usable_table_names())}
started = time.monotonic()
out["table_info"] = db.get_table_info()
out["table_info_seconds"] = time.monotonic() - started
out["run"] = db.run(sql)
out["run_error"] = db.run_no_throw("SELECT nope FROM customers")
print(json.dumps(out))
