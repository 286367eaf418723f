"""A catalog query reaches catalog relations and the catalog functions only (issue 10, item 6),
over psycopg against the session `gateway`: each statement below names a catalog relation, so
it goes to the local catalog engine (DuckDB), and must fail as PostgreSQL fails on a function
or relation it does not have, without running and without a word about the gateway's host.
"""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from tests.support.clients import psycopg_connect

ESCAPES = [
    ("SELECT s.name, s.value FROM pg_class c, duckdb_settings() s LIMIT 3", "42883"),
    ("SELECT * FROM pg_namespace, duckdb_secrets() LIMIT 1", "42883"),
    ("SELECT r.* FROM pg_class, range(3) r LIMIT 2", "42883"),
    ("SELECT relname, range(3) FROM pg_class LIMIT 1", "42883"),
    ("SELECT * FROM pg_class, read_csv('/etc/passwd') LIMIT 1", "42883"),
    ("SELECT * FROM pg_class, main.duckdb_tables() t LIMIT 1", "42883"),
    ("SELECT * FROM pg_catalog.duckdb_settings() s, pg_class LIMIT 1", "42883"),
    ("SELECT getvariable('pgb_user') FROM pg_class LIMIT 1", "42883"),
    ("SELECT pgb_current_setting('search_path') FROM pg_class LIMIT 1", "42883"),
    ("SELECT current_setting('home_directory')", "42704"),
    # Relations of the engine (and the catalog's internal schemas): refused before the catalog
    # (a statement mixing catalog and other relations, an unknown schema) or by it.
    ("SELECT * FROM duckdb_settings, pg_class LIMIT 1", ("42501", "42P01")),
    ("SELECT * FROM pgb.keywords, pg_class LIMIT 1", ("42501", "42P01", "3F000")),
    ("SELECT * FROM pgc.pg_class LIMIT 1", ("42P01", "3F000")),
    ("SELECT * FROM pg_class c JOIN duckdb_tables t ON true LIMIT 1", ("42501", "42P01")),
]


@pytest.mark.parametrize(("sql", "sqlstate"), ESCAPES)
def test_the_catalog_path_refuses_the_engines_own_functions_and_relations(gateway, sql, sqlstate):
    with psycopg_connect(gateway, "mallory", ("analyst",), autocommit=True) as conn:
        try:
            rows = conn.execute(sql).fetchall()
        except psycopg.Error as error:
            said = " ".join(str(part) for part in (error.diag.message_primary, error.diag.message_detail,
                                                   error.diag.message_hint) if part)
            assert error.sqlstate in ((sqlstate,) if isinstance(sqlstate, str) else sqlstate), said
            for secret in (os.getcwd(), str(Path.home()), str(gateway.data_dir)):
                assert secret not in said
            assert "duckdb" not in said.lower().replace("duckdb_", ""), said
            return
    pytest.fail(f"the catalog path answered {len(rows)} rows: {rows[:2]!r}")


def test_catalog_functions_and_series_still_work_there(gateway):
    with psycopg_connect(gateway, "mallory", ("analyst",), autocommit=True) as conn:
        assert conn.execute(
            "SELECT count(*) FROM pg_catalog.pg_namespace n, generate_series(1, 3) g "
            "WHERE n.nspname = 'public'"
        ).fetchone() == (3,)
        visible = conn.execute(
            "SELECT c.relname, pg_catalog.format_type(a.atttypid, a.atttypmod), "
            "pg_catalog.pg_get_userbyid(c.relowner) FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid "
            "WHERE pg_catalog.pg_table_is_visible(c.oid) AND c.relname = 'orders' AND a.attname = 'id'"
        ).fetchall()
        assert visible == [("orders", "bigint", "pgbridge")]
        assert conn.execute("SELECT current_setting('search_path')").fetchone() is not None
