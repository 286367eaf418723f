"""A statement that names no warehouse table goes to the local catalog engine (DuckDB), where
policy never looks. File-reading table functions must not run there.

KNOWN BUG (reported to the lead; pgbridge/sql/classify.py + pgbridge/catalog, not the policy
package): today any authenticated role can read files on the gateway host this way, including
the token signing key, so these tests fail until the catalog engine refuses such functions
(allow-list of catalog functions and table functions, and `SET enable_external_access = false`
plus `SET lock_configuration = true` on its DuckDB connection).
"""

from __future__ import annotations

import psycopg
import pytest

from tests.policy_wire.conftest import PolicyGateway


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT content FROM read_text('{data_dir}/token-signing.key')",
        "SELECT size FROM read_blob('{data_dir}/masking-hash.key')",
    ],
)
def test_catalog_path_does_not_read_files(policy_gateway: PolicyGateway, sql: str) -> None:
    sql = sql.format(data_dir=policy_gateway.gw.data_dir)
    with psycopg.connect(policy_gateway.dsn("sid", ("support",), country="DE"), autocommit=True) as conn:
        try:
            rows = conn.execute(sql).fetchall()
        except psycopg.Error as error:
            assert error.sqlstate in ("42501", "0A000", "42883"), error
            return
        pytest.fail(f"a support user read {len(rows)} rows from a file on the gateway host: {rows[:1]!r}")
