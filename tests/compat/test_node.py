"""node-postgres (`pg` from npm, installed into tests/compat/node) on Node 20: TLS verified
against the demo certificate, a parameterised query, catalog queries listing tables, and an
`IN ($1,$2,$3)` list."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.compat.conftest import NODE_DIR

pytestmark = pytest.mark.compat


@pytest.fixture(scope="module")
def answer(gateway) -> dict:
    assert (NODE_DIR / "node_modules" / "pg").is_dir(), "run scripts/install-test-deps.d/clients.sh"
    env = {
        **os.environ,
        "PGHOST": gateway.host,
        "PGPORT": str(gateway.port),
        "PGUSER": "alice",
        "PGPASSWORD": gateway.token("alice"),
        "PGCA": str(gateway.cert),
    }
    done = subprocess.run(
        ["node", "probe.js"], cwd=NODE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_parameterised_query(answer) -> None:
    assert answer["version"].startswith("8.")
    assert answer["types"] == [20, 25, 1700, 1184]  # int8, text, numeric, timestamptz
    # node-postgres returns int8 and numeric as strings, as it does from PostgreSQL.
    assert answer["rows"] == [
        ["1", "Ken Berners-Lee", "79.19", "2020-01-02T05:05:29.000Z"],
        ["2", "Hedy Allen", "158.38", "2020-01-03T10:10:58.000Z"],
    ]


def test_catalog_queries_list_tables(answer) -> None:
    assert answer["tables"] == [
        ["public", "customers", "BASE TABLE"],  # the default dataset is `public` (README)
        ["public", "orders", "BASE TABLE"],
        ["public", "products", "BASE TABLE"],
    ]
    assert answer["relnames"] == ["customers", "orders", "products"]


def test_parameter_list_without_spaces(answer) -> None:
    # `$1,$2,$3` once read as a dollar quote and closed the connection mid-statement (issue 12).
    assert answer["in_list"] == ["1", "2", "3"]
