"""pgjdbc (Debian's libpostgresql-jdbc-java) from a small Java 17 program, compiled here:
TLS with the JWT as password, DatabaseMetaData (getSchemas, getTables, getColumns,
getPrimaryKeys, getTypeInfo), then a PreparedStatement with five parameter types run eight
times, past pgjdbc's prepareThreshold of 5, so it moves to a named server-side statement and
binary results. getTypeInfo is compared with the same program against a real PostgreSQL 15."""

from __future__ import annotations

import glob
import subprocess
from pathlib import Path

import pytest

from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.compat

SOURCE = Path(__file__).parent / "java" / "PgbridgeProbe.java"
EXECUTIONS = 8


def _driver_jar() -> str:
    jars = sorted(glob.glob("/usr/share/java/postgresql-4*.jar"))
    assert jars, "pgjdbc missing: scripts/install-test-deps.d/clients.sh installs libpostgresql-jdbc-java"
    return jars[-1]


@pytest.fixture(scope="module")
def classpath(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("jdbc")
    subprocess.run(["javac", "-cp", _driver_jar(), "-d", str(out), str(SOURCE)], check=True, timeout=120)
    return f"{_driver_jar()}:{out}"


def _probe(
    classpath: str, url: str, user: str, password: str, sslmode: str, executions: int
) -> list[list[str]]:
    done = subprocess.run(
        ["java", "-cp", classpath, "PgbridgeProbe", url, user, password, sslmode, str(executions)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return [line.split("\t") for line in done.stdout.splitlines()]


@pytest.fixture(scope="module")
def facts(classpath: str, gateway) -> list[list[str]]:
    url = f"jdbc:postgresql://{gateway.host}:{gateway.port}/pgbridge"
    return _probe(classpath, url, "alice", gateway.token("alice"), "require", EXECUTIONS)


def _kind(facts: list[list[str]], kind: str) -> list[list[str]]:
    return [f[1:] for f in facts if f[0] == kind]


def test_connects_over_tls_and_names_the_server(facts) -> None:
    [(product, version, driver)] = _kind(facts, "product")
    assert product == "PostgreSQL" and version.startswith("15.") and driver.startswith("42.")


def test_schemas_and_tables(facts) -> None:
    assert [s for [s] in _kind(facts, "schema")] == ["information_schema", "pg_catalog", "public"]
    assert _kind(facts, "table") == [
        ["public.customers", "TABLE"],  # the default dataset shop is the schema public
        ["public.orders", "TABLE"],
        ["public.products", "TABLE"],
    ]


def test_columns_with_jdbc_types(facts) -> None:
    columns = {c[0]: (int(c[1]), c[2], int(c[3])) for c in _kind(facts, "column")}
    assert columns["id"] == (-5, "int8", 1)  # java.sql.Types.BIGINT
    assert columns["name"] == (12, "text", 2)  # VARCHAR
    assert columns["created_at"] == (93, "timestamptz", 8)  # TIMESTAMP
    assert columns["lifetime_value"] == (2, "numeric", 9)  # NUMERIC
    assert len(columns) == 9


def test_primary_keys_are_none(facts) -> None:
    assert _kind(facts, "primary_keys") == [["0"]]


def test_type_info_matches_postgres(facts, classpath: str, postgres: PostgresServer) -> None:
    url = f"jdbc:postgresql://{postgres.host}:{postgres.port}/{postgres.database}"
    real = dict(tuple(t) for t in _kind(_probe(classpath, url, postgres.user, "", "disable", 0), "type"))
    ours = dict(tuple(t) for t in _kind(facts, "type"))
    # pgbridge's pg_type holds the types it can return (and their arrays), not all ~400 of
    # PostgreSQL's; each one it lists must carry the JDBC type PostgreSQL's row gives it.
    assert {name: real[name] for name in ours} == ours
    wanted = {
        "bool": "-7",
        "int8": "-5",
        "int4": "4",
        "float8": "8",
        "numeric": "2",
        "text": "12",
        "timestamptz": "93",
        "date": "91",
        "bytea": "-2",
        "jsonb": "1111",
        "_text": "2003",
    }
    assert {name: ours.get(name) for name in wanted} == wanted


def test_prepared_statement_moves_to_server_side_and_binary(facts) -> None:
    rows = _kind(facts, "row")
    assert [int(r[0]) for r in rows] == list(range(1, EXECUTIONS + 1))
    assert rows[0][4] == "Ken Berners-Lee" and rows[0][5] == "79.19" and rows[0][6] == "2020-01-02T05:05:29Z"
    assert [r[3] for r in rows] == [str(i) for i in range(1, EXECUTIONS + 1)]
    assert rows[0][1] == "false" and rows[0][2] == "0000"  # unnamed statement, text results
    # Named statement, binary results for int8, numeric and timestamptz (pgjdbc reads text as text).
    assert rows[-1][1] == "true" and rows[-1][2] == "1011"
    assert rows[5][3:] == ["6", "Alan Borg", "475.14", "2020-01-08T06:32:54Z"]  # decoded from binary
