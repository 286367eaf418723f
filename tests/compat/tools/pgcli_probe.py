"""pgcli (in a virtual environment of its own: scripts/install-test-deps.d/tools.sh) against
pgbridge through its own executor and completion refresher, the code its prompt runs: `\\dt`,
`\\d customers`, every completion refresher (schemata, tables, views, types, databases,
functions) called in turn so that a failure raises instead of vanishing in pgcli's background
thread, then completions for a statement being typed.
Prints one JSON document. Usage: python pgcli_probe.py HOST PORT USER TOKEN"""

import json
import sys

from pgcli.completion_refresher import CompletionRefresher
from pgcli.pgcompleter import PGCompleter
from pgcli.pgexecute import PGExecute
from pgspecial.main import PGSpecial
from prompt_toolkit.document import Document

host, port, user, token = sys.argv[1:5]
executor = PGExecute("pgbridge", user, token, host, port, None, sslmode="require")
special = PGSpecial()


def run(command: str) -> list[dict[str, object]]:
    out = []
    for title, rows, headers, status, *_ in executor.run(command, pgspecial=special):
        table = [list(map(str, r)) for r in rows or []]
        out.append({"title": title, "headers": list(headers or []), "rows": table, "status": status})
    return out


answer: dict[str, object] = {"dt": run("\\dt"), "d": run("\\d customers")}
completer = PGCompleter(smart_completion=True, pgspecial=special)
ran = []
for name, refresher in CompletionRefresher.refreshers.items():
    refresher(completer, executor)  # raises on a failing catalog query
    ran.append(name)
answer["refreshers"] = ran


def complete(text: str, position: int | None = None) -> list[str]:
    document = Document(text=text, cursor_position=len(text) if position is None else position)
    return sorted({c.text for c in completer.get_completions(document, None)})


answer["tables_after_from"] = complete("SELECT * FROM ")
answer["columns_of_customers"] = complete("SELECT  FROM customers", len("SELECT "))
answer["functions"] = sorted(completer.dbmetadata["functions"].get("pg_catalog", {}))
print(json.dumps(answer))
