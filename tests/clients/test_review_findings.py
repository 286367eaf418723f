"""Holes a fresh-eyes review found, kept as regressions (STYLE.md: keep the attacks that once worked)."""

from __future__ import annotations

import psycopg
import pytest

from tests.support.clients import psycopg_connect


def test_group_by_all_cannot_group_on_masked_columns(gateway):
    """`GROUP BY ALL` once grouped on the real ssn behind the inference guard's back."""
    with psycopg.connect(gateway.dsn(user="bob", roles=("analyst",)), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.SyntaxError):
            conn.execute("SELECT substr(ssn, 1, 1) = '1' AS k, count(*) FROM shop.customers GROUP BY ALL")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # `GROUP BY ALL x` is plain GROUP BY x
            conn.execute("SELECT phone, count(*) FROM shop.customers GROUP BY ALL phone")


def test_dml_inside_a_transaction_block_is_refused_not_silently_committed(writable_gateway):
    with psycopg.connect(writable_gateway.dsn("root", ("admin",))) as conn:
        conn.execute("SET pgbridge.approval = ticket")
        with pytest.raises(psycopg.errors.FeatureNotSupported) as caught:
            conn.execute("UPDATE shop.products SET price = price + 1 WHERE id = 999")
        assert "transaction block" in str(caught.value)
        conn.rollback()
        assert conn.execute("SELECT price FROM shop.products WHERE id = 999").fetchone() is not None


def test_unknown_database_is_refused_like_postgres(gateway):
    with pytest.raises(psycopg.OperationalError) as caught:
        psycopg_connect(gateway, dbname="other").close()
    assert 'database "other" does not exist' in str(caught.value)


def test_absurd_nesting_is_a_postgres_error_and_the_session_survives(gateway):
    with psycopg.connect(gateway.dsn(), autocommit=True) as conn:
        with pytest.raises(psycopg.Error) as caught:
            conn.execute("SELECT " + "(" * 3000 + "1" + ")" * 3000)
        assert caught.value.sqlstate in ("54001", "42601")
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_refused_attempts_are_in_the_audit_log(gateway):
    """Unparseable, unclassifiable and approval-pending statements leave a record, not nothing."""
    import json

    with psycopg.connect(gateway.dsn(user="zed", roles=("analyst",)), autocommit=True) as conn:
        conn.execute("SET pgbridge.approval = ticket")
        for sql in (
            "SELEC 1 /* zed-1 */",
            "ATTACH '/tmp/x.duckdb' AS x /* zed-2 */",
            "SELECT * FROM shop.orders WHERE amount > 0 /* zed-3 */",
        ):
            with pytest.raises(psycopg.Error):
                conn.execute(sql)
    records = [
        json.loads(line)
        for path in sorted((gateway.data_dir / "audit").glob("*.jsonl"))
        for line in path.read_text().splitlines()
    ]
    decisions = {
        r["data"]["sql"]: r["data"]["decision"]
        for r in records
        if r["type"] == "statement" and "zed-" in str(r["data"].get("sql"))
    }
    assert decisions["SELEC 1 /* zed-1 */"] in ("deny", "error")
    assert decisions["ATTACH '/tmp/x.duckdb' AS x /* zed-2 */"] in ("deny", "error")  # 42601, as PostgreSQL
    assert decisions["SELECT * FROM shop.orders WHERE amount > 0 /* zed-3 */"] == "approval_required"


def test_a_cancelled_catalog_query_stops_and_frees_the_catalog(gateway):
    """Catalog queries run on the local engine: statement_timeout must stop the work there too,
    not only answer the client while the CPU keeps burning and the next \\dt waits."""
    import time

    heavy = "SELECT max(hash(r.range)) FROM pg_catalog.pg_namespace n, range(6000000000) r"
    with psycopg.connect(gateway.dsn(user="bob", roles=("analyst",)), autocommit=True) as conn:
        conn.execute("SET statement_timeout = '1s'")
        with pytest.raises(psycopg.Error):
            conn.execute(heavy)
        conn.execute("SET statement_timeout = 0")
        started = time.monotonic()
        conn.execute("SELECT count(*) FROM pg_catalog.pg_class").fetchone()
        assert time.monotonic() - started < 3


def test_unknown_role_and_pgbridge_settings_say_what_is_wrong(gateway):
    with pytest.raises(psycopg.OperationalError) as caught:
        psycopg.connect(gateway.dsn(user="nobody", roles=("nosuchrole",))).close()
    assert "is configured in the policy" in str(caught.value)
    with psycopg.connect(gateway.dsn(user="bob", roles=("analyst",)), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.UndefinedObject):
            conn.execute("SET pgbridge.role = 'admin'")
        conn.execute("SET myapp.trace = 'on'")  # other namespaces behave as in PostgreSQL
        assert conn.execute("SHOW myapp.trace").fetchone() == ("on",)


def test_row_filtered_roles_see_no_table_wide_statistics(gateway):
    """reltuples / n_live_tup would tell support how many rows its filter hides."""
    with psycopg.connect(gateway.dsn(user="sue", roles=("support",), country="DE"), autocommit=True) as conn:
        row = conn.execute("SELECT reltuples FROM pg_catalog.pg_class WHERE relname = 'customers'").fetchone()
        assert row is not None and row[0] == -1
    with psycopg.connect(gateway.dsn(user="ann", roles=("analyst",)), autocommit=True) as conn:
        row = conn.execute("SELECT reltuples FROM pg_catalog.pg_class WHERE relname = 'customers'").fetchone()
        assert row == (100000.0,)


def test_copy_options_pgbridge_would_ignore_are_refused(gateway):
    with psycopg.connect(gateway.dsn(), autocommit=True) as conn, conn.cursor() as cur:
        with (
            pytest.raises(psycopg.errors.FeatureNotSupported) as caught,
            cur.copy(
                "COPY (SELECT id FROM shop.products LIMIT 2) TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)"
            ) as copy,
        ):
            b"".join(copy)
        assert "FORCE_QUOTE" in str(caught.value)
    with (
        psycopg.connect(gateway.dsn(), autocommit=True) as conn,
        conn.cursor() as cur,
        cur.copy(
            "COPY (SELECT id FROM shop.products ORDER BY id LIMIT 2) TO STDOUT WITH (FORMAT csv, HEADER)"
        ) as copy,
    ):
        assert b"".join(bytes(chunk) for chunk in copy) == b"id\n1\n2\n"
