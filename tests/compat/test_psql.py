"""psql 15 against the gateway: the backslash commands a DBA types first, expanded output,
timing, and \\copy (SELECT ...) TO a file, which runs COPY ... TO STDOUT through the same
policy, masking and audit path as a SELECT."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.compat.conftest import psql, statement_records

pytestmark = pytest.mark.compat


def _ok(gateway, *args: str, **kwargs) -> str:
    done = psql(gateway, *args, **kwargs)
    assert done.returncode == 0, done.stderr
    assert "ERROR" not in done.stderr, done.stderr
    return done.stdout


def test_version_is_psql_15() -> None:
    import subprocess

    out = subprocess.run(["psql", "--version"], capture_output=True, text=True, check=True).stdout
    assert out.startswith("psql (PostgreSQL) 15.")


def test_list_databases(gateway) -> None:
    out = _ok(gateway, "-c", "\\l")
    assert "List of databases" in out
    rows = [line for line in out.splitlines() if line.startswith(" pgbridge ")]
    assert len(rows) == 1 and "UTF8" in rows[0]


def test_list_schemas(gateway) -> None:
    out = _ok(gateway, "-A", "-t", "-c", "\\dn")
    # The default dataset `shop` is the schema public (README, "The public schema"), once.
    assert sorted(out.split()) == ["public|pg_database_owner"]


def test_list_tables_of_a_schema(gateway) -> None:
    out = _ok(gateway, "-A", "-t", "-c", "\\dt public.*")
    assert out.splitlines() == [
        "public|customers|table|pgbridge",
        "public|orders|table|pgbridge",
        "public|products|table|pgbridge",
    ]


def test_list_tables_on_the_search_path(gateway) -> None:
    # `SELECT * FROM customers` works (public resolves to the default dataset `shop`), so
    # \dt must list what an unqualified name reaches, in public.
    assert _ok(gateway, "-A", "-t", "-c", "SELECT count(*) FROM customers").strip() == "100000"
    out = _ok(gateway, "-A", "-t", "-c", "\\dt")
    assert "public|customers|table|pgbridge" in out.splitlines()


def test_describe_table(gateway) -> None:
    out = _ok(gateway, "-c", "\\d public.customers")
    assert 'Table "public.customers"' in out
    columns = {
        line.split("|")[0].strip(): line.split("|")[1].strip()
        for line in out.splitlines()[3:]
        if line.count("|") >= 4
    }
    assert columns == {
        "id": "bigint",
        "name": "text",
        "email": "text",
        "phone": "text",
        "ssn": "text",
        "card_number": "text",
        "country": "text",
        "created_at": "timestamp with time zone",
        "lifetime_value": "numeric",
    }


def test_views_and_functions_lists_are_empty(gateway) -> None:
    views = psql(gateway, "-c", "\\dv")
    assert views.returncode == 0 and "Did not find any relations." in views.stderr + views.stdout
    out = _ok(gateway, "-c", "\\df")
    assert "List of functions" in out and "(0 rows)" in out


def test_expanded_output_and_timing(gateway) -> None:
    out = _ok(
        gateway,
        "-c",
        "\\x",
        "-c",
        "\\timing",
        "-c",
        "SELECT id, name, country FROM shop.customers WHERE id <= 2 ORDER BY id",
    )
    assert "Expanded display is on." in out and "Timing is on." in out
    assert "-[ RECORD 1 ]" in out and "-[ RECORD 2 ]" in out
    assert any(
        line.split("|")[1].strip() == "Ken Berners-Lee"
        for line in out.splitlines()
        if line.startswith("name ")
    )
    assert any(line.startswith("Time: ") and line.endswith(" ms") for line in out.splitlines())


def test_copy_query_to_file_csv(gateway, tmp_path: Path) -> None:
    target = tmp_path / "customers.csv"
    query = "SELECT id, name, country FROM shop.customers WHERE id <= 3 ORDER BY id"
    out = _ok(gateway, "-c", f"\\copy ({query}) TO '{target}' WITH (FORMAT csv, HEADER)")
    assert out.strip() == "COPY 3"
    assert target.read_text().splitlines() == [
        "id,name,country",
        "1,Ken Berners-Lee,DE",
        "2,Hedy Allen,FR",
        "3,Grace Wirth,GB",
    ]


def test_copy_is_masked_and_audited_like_a_select(gateway, tmp_path: Path) -> None:
    target = tmp_path / "masked.txt"
    query = "SELECT id, ssn, email, card_number FROM shop.customers WHERE id <= 2 ORDER BY id"
    _ok(gateway, "-c", f"\\copy ({query}) TO '{target}'", user="bob", roles=("analyst",))
    rows = [line.split("\t") for line in target.read_text().splitlines()]
    assert [r[0] for r in rows] == ["1", "2"]
    assert all(r[1].startswith("****") and len(r[1]) == 8 for r in rows)  # partial, last 4 kept
    assert all(r[2].startswith("****@") for r in rows)  # email keeps the domain
    assert all(r[3].startswith("****") for r in rows)
    clear = _ok(gateway, "-A", "-t", "-c", f"COPY ({query}) TO STDOUT")
    assert clear.splitlines()[0].split("\t")[1] != rows[0][1]  # admin is exempt: real values
    records = [r for r in statement_records(gateway, query) if r["data"]["principal"]["subject"] == "bob"]
    assert records, "the COPY's query must be audited"
    masked = {m["column"]: m["strategy"] for m in records[-1]["data"]["masked_columns"]}
    assert masked == {"ssn": "partial", "email": "email", "card_number": "partial"}


def test_copy_of_a_table_the_role_may_not_read_is_refused(gateway, tmp_path: Path) -> None:
    target = tmp_path / "x"
    done = psql(
        gateway, "-c", f"\\copy (SELECT * FROM shop.products) TO '{target}'", user="carol", roles=("support",)
    )
    assert done.returncode == 1
    assert "permission denied by policy" in done.stderr and "shop.products" in done.stderr
    assert not target.exists() or target.read_text() == ""
