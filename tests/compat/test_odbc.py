"""psqlODBC (Debian's odbc-postgresql, Unicode driver) through unixODBC and pyodbc, the path
BI tools such as Tableau and Power BI take to PostgreSQL: connect over TLS, SQLTables and
SQLColumns, a parameterised query, and UseDeclareFetch=1, with which the driver reads every
result through DECLARE ... CURSOR WITH HOLD / FETCH n / CLOSE inside a transaction.

The driver gets its own odbcinst.ini (ODBCSYSINI) with its communication log on, so the test
can read the statements the driver really sent instead of trusting the setting."""

from __future__ import annotations

import re
from pathlib import Path

import pyodbc
import pytest

pytestmark = pytest.mark.compat

DRIVER = "PostgreSQL Unicode"


@pytest.fixture(scope="module")
def odbc_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    sysini, logs = tmp_path_factory.mktemp("odbcsys"), tmp_path_factory.mktemp("odbclog")
    (sysini / "odbcinst.ini").write_text(
        f"[{DRIVER}]\nDescription=psqlODBC for pgbridge tests\nDriver=psqlodbcw.so\n"
        f"CommLog=1\nDebug=0\nLogdir={logs}\n"
    )
    (sysini / "odbc.ini").write_text("")
    return sysini, logs


@pytest.fixture
def connect(gateway, odbc_dirs, monkeypatch):
    sysini, _ = odbc_dirs
    monkeypatch.setenv("ODBCSYSINI", str(sysini))
    opened: list[pyodbc.Connection] = []

    def open_connection(**options: str) -> pyodbc.Connection:
        settings = {
            "DRIVER": "{" + DRIVER + "}",
            "SERVER": gateway.host,
            "PORT": str(gateway.port),
            "DATABASE": "pgbridge",
            "UID": "alice",
            "PWD": gateway.token("alice"),
            "SSLmode": "require",
            "CommLog": "1",
            **options,
        }
        conn = pyodbc.connect(";".join(f"{k}={v}" for k, v in settings.items()), timeout=10)
        opened.append(conn)
        return conn

    yield open_connection
    for conn in opened:
        conn.close()


def _sent(logs: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in logs.glob("psqlodbc_*.log"))


def test_driver_and_server_identify(connect) -> None:
    conn = connect()
    assert conn.getinfo(pyodbc.SQL_DBMS_NAME) == "PostgreSQL"
    assert conn.getinfo(pyodbc.SQL_DBMS_VER).startswith("15.")
    assert conn.getinfo(pyodbc.SQL_DRIVER_VER).startswith("13.")


def test_sqltables_and_sqlcolumns(connect) -> None:
    cursor = connect().cursor()
    tables = [
        (t.table_schem, t.table_name, t.table_type) for t in cursor.tables(schema="public", tableType="TABLE")
    ]
    assert tables == [
        ("public", "customers", "TABLE"),  # the default dataset shop is the schema public
        ("public", "orders", "TABLE"),
        ("public", "products", "TABLE"),
    ]
    columns = [(c.column_name, c.type_name) for c in cursor.columns(table="orders", schema="public")]
    assert columns == [
        ("id", "int8"),
        ("customer_id", "int8"),
        ("product_id", "int8"),
        ("ordered_at", "timestamptz"),
        ("amount", "float8"),
        ("status", "text"),
    ]


def test_query_through_declare_fetch_cursors(connect, odbc_dirs) -> None:
    _, logs = odbc_dirs
    conn = connect(UseDeclareFetch="1", Fetch="100")
    cursor = conn.cursor()
    cursor.execute("SELECT id, name FROM shop.customers WHERE id <= ? ORDER BY id", 250)
    rows = cursor.fetchall()
    assert [r.id for r in rows] == list(range(1, 251))
    assert rows[0].name == "Ken Berners-Lee"
    cursor.execute("SELECT count(*) FROM shop.orders WHERE status = ?", "paid")
    assert cursor.fetchone()[0] > 0
    conn.commit()
    sent = _sent(logs)
    cursor_name = re.search(r'declare "(SQL_CUR\w+)" cursor with hold for SELECT id, name', sent)
    assert cursor_name, "the driver did not DECLARE a cursor"
    fetches = re.findall(rf'fetch 100 in "{cursor_name.group(1)}"', sent)
    assert len(fetches) >= 3  # 250 rows in chunks of 100
    assert re.search(rf'close "{cursor_name.group(1)}"', sent)


def test_errors_reach_the_application(connect) -> None:
    cursor = connect().cursor()
    with pytest.raises(pyodbc.Error) as caught:
        cursor.execute("SELECT no_such_column FROM shop.customers")
    assert "42703" in str(caught.value)
    assert cursor.execute("SELECT 1 AS one").fetchone()[0] == 1


def test_token_is_required(gateway, odbc_dirs, monkeypatch) -> None:
    monkeypatch.setenv("ODBCSYSINI", str(odbc_dirs[0]))
    with pytest.raises(pyodbc.Error) as caught:
        pyodbc.connect(
            f"DRIVER={{{DRIVER}}};SERVER={gateway.host};PORT={gateway.port};DATABASE=pgbridge;"
            "UID=alice;PWD=not-a-token;SSLmode=require",
            timeout=10,
        )
    # psqlODBC reports every failed connection as 08001; the server's reason comes through.
    assert "JWT authentication failed" in str(caught.value)
