"""Row filters over the wire: the demo's support role with country=DE never sees another
country's customers or their orders, whatever the query's shape.

The oracle: each shape, run by support on the full warehouse, must return exactly what an
admin gets running it on a copy of the warehouse that holds only German customers and their
orders (a second gateway, so both go through the same translation and encoding). The same
shape run by admin on the full warehouse must differ, or the shape could not show a leak.
Shapes whose first column is a customer or order id also have every returned id checked
against the warehouse by admin. The shapes are those of the policy bypass corpus
(tests/policy/test_row_filters.py) on the demo's real columns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import duckdb
import psycopg
import pytest

from tests.policy_wire.conftest import PolicyGateway
from tests.policy_wire.support import policy_config
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.postgres import free_port

SUPPORT_DE = ("sue", ("support",), {"country": "DE"})
C, ORD = "customer", "order"

SHAPES: list[tuple[str, str | None]] = [
    ("SELECT id, country FROM shop.customers WHERE id <= 3000", C),
    ("SELECT c.id, c.name FROM shop.customers AS c WHERE c.id <= 3000", C),
    ("SELECT customers.id FROM shop.customers WHERE customers.id <= 3000", C),
    ("SELECT shop.customers.id FROM shop.customers WHERE id <= 3000", C),
    (
        "SELECT o.id, c.id FROM shop.customers c JOIN shop.orders o ON o.customer_id = c.id "
        "WHERE o.id <= 20000",
        ORD,
    ),
    (
        "SELECT o.id, c.name FROM shop.orders o LEFT JOIN shop.customers c ON c.id = o.customer_id "
        "WHERE o.id <= 20000",
        ORD,
    ),
    (
        "SELECT c.id, o.id FROM shop.customers c RIGHT JOIN shop.orders o ON o.customer_id = c.id "
        "WHERE o.id <= 20000",
        C,
    ),
    (
        "SELECT count(*) FROM shop.customers a CROSS JOIN shop.customers b WHERE a.id <= 60 AND b.id <= 60",
        None,
    ),
    (
        "SELECT a.id, b.id FROM shop.customers a JOIN shop.customers b ON a.country = b.country "
        "WHERE a.id <= 100 AND b.id <= 100",
        C,
    ),
    ("SELECT * FROM (SELECT id, country FROM shop.customers) s WHERE s.id <= 3000", C),
    ("SELECT id FROM (SELECT * FROM (SELECT * FROM shop.orders) a) b WHERE id <= 20000", ORD),
    ("SELECT o.id FROM (SELECT id, name FROM shop.customers) o WHERE o.id <= 3000", C),
    ("SELECT id FROM shop.orders WHERE customer_id IN (SELECT id FROM shop.customers) AND id <= 20000", ORD),
    (
        "SELECT id FROM shop.orders WHERE id <= 20000 AND customer_id NOT IN "
        "(SELECT id FROM shop.customers WHERE country = 'FR')",
        ORD,
    ),
    ("SELECT (SELECT count(*) FROM shop.customers) AS n", None),
    ("SELECT (SELECT max(amount) FROM shop.orders) AS biggest", None),
    ("WITH x AS (SELECT id, country FROM shop.customers) SELECT id FROM x WHERE id <= 3000", C),
    (
        "WITH a AS (SELECT id, name FROM shop.customers), b AS (SELECT * FROM a) "
        "SELECT id, name FROM b WHERE id <= 3000",
        C,
    ),
    (
        "WITH o AS (SELECT customer_id, sum(amount) AS t FROM shop.orders GROUP BY 1) "
        "SELECT c.id, o.t FROM shop.customers c JOIN o ON o.customer_id = c.id WHERE c.id <= 3000",
        C,
    ),
    (
        "SELECT id FROM shop.customers WHERE id <= 3000 UNION ALL "
        "SELECT customer_id FROM shop.orders WHERE id <= 20000",
        C,
    ),
    ("SELECT country FROM shop.customers UNION SELECT status FROM shop.orders", None),
    (
        "SELECT id FROM shop.customers WHERE id <= 3000 EXCEPT SELECT customer_id FROM shop.orders "
        "WHERE id <= 20000",
        C,
    ),
    (
        "SELECT id FROM shop.customers c WHERE c.id <= 3000 AND "
        "EXISTS (SELECT 1 FROM shop.orders o WHERE o.customer_id = c.id)",
        C,
    ),
    (
        "SELECT count(*) FROM shop.customers c WHERE NOT EXISTS "
        "(SELECT 1 FROM shop.orders o WHERE o.customer_id = c.id AND o.id <= 20000)",
        None,
    ),
    (
        "SELECT c.id, (SELECT count(*) FROM shop.orders o WHERE o.customer_id = c.id) FROM shop.customers c "
        "WHERE c.id <= 3000",
        C,
    ),
    ("SELECT status, count(*) FROM shop.orders GROUP BY status", None),
    ("SELECT country, count(*) FROM shop.customers GROUP BY country", None),
    ("SELECT id, count(*) OVER () FROM shop.customers WHERE id <= 3000", C),
    ("SELECT max(amount) FROM shop.orders HAVING count(*) > 0", None),
    ("SELECT id FROM shop.orders ORDER BY amount DESC, id LIMIT 5", ORD),
    ("SELECT count(DISTINCT customer_id) FROM shop.orders", None),
    ("SELECT count(*) FROM shop.orders o JOIN shop.customers c ON c.id = o.customer_id", None),
    ("SELECT count(*) FROM shop.orders JOIN shop.customers USING (id)", None),
]


@pytest.fixture(scope="module")
def germany_only(demo_copy: Callable[[str], Path]) -> Iterator[RunningGateway]:
    """A second gateway over a copy of the warehouse that keeps German customers only (the
    same demo as policy_gateway's: the same keys sign and verify its tokens)."""
    data_dir = demo_copy("germany_only")
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"))
    con.execute(
        "DELETE FROM shop.orders WHERE customer_id IN (SELECT id FROM shop.customers WHERE country <> 'DE')"
    )
    con.execute("DELETE FROM shop.customers WHERE country <> 'DE'")
    con.execute("CHECKPOINT")
    con.close()
    with running_gateway(data_dir, policy_config(free_port())) as gw:
        yield gw


def _outcome(dsn: str, sql: str) -> list[tuple[object, ...]] | str:
    """Sorted rows (floats rounded), or the SQLSTATE of the error."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        try:
            rows = conn.execute(sql).fetchall()
        except psycopg.Error as error:
            return f"error {error.sqlstate}: {error}"
    return sorted((tuple(round(v, 4) if isinstance(v, float) else v for v in row) for row in rows), key=repr)


def _foreign(admin_dsn: str, kind: str, ids: Sequence[object]) -> int:
    """How many of `ids` belong to a customer outside Germany (checked by admin)."""
    if not ids:
        return 0
    listed = ", ".join(str(int(str(i))) for i in ids if i is not None)
    sql = (
        f"SELECT count(*) FROM shop.customers WHERE country <> 'DE' AND id IN ({listed})"
        if kind == C
        else f"SELECT count(*) FROM shop.orders o JOIN shop.customers c ON c.id = o.customer_id "
        f"WHERE c.country <> 'DE' AND o.id IN ({listed})"
    )
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        row = conn.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.slow  # a second gateway, and every shape on both
@pytest.mark.parametrize(("sql", "kind"), SHAPES)
def test_support_sees_only_its_country(
    policy_gateway: PolicyGateway, germany_only: RunningGateway, sql: str, kind: str | None
) -> None:
    user, roles, claims = SUPPORT_DE
    seen = _outcome(policy_gateway.dsn(user, roles, **claims), sql)
    assert isinstance(seen, list), seen
    assert seen == _outcome(germany_only.dsn("adam", ("admin",)), sql)
    admin_dsn = policy_gateway.dsn("adam", ("admin",))
    assert _outcome(admin_dsn, sql) != seen, "the shape must be able to show a leak"
    if kind is not None:
        assert seen, "the shape must return rows to check"
        assert _foreign(admin_dsn, kind, [row[0] for row in seen]) == 0


def test_parameters_cannot_widen_the_filter(policy_gateway: PolicyGateway) -> None:
    user, roles, claims = SUPPORT_DE
    with psycopg.connect(policy_gateway.dsn(user, roles, **claims), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT DISTINCT country FROM shop.customers WHERE country = %s OR id <= %s", ("FR", 500)
        ).fetchall()
        assert rows == [("DE",)]
        rows = conn.execute("SELECT count(*) FROM shop.orders WHERE customer_id = %s", (2,)).fetchall()
        assert rows == [(0,)]  # customer 2 is French
        rows = conn.execute("SELECT count(*) FROM shop.orders WHERE customer_id = %s", (1,)).fetchall()
        assert rows == [(10,)]  # customer 1 is German: the filter does not hide too much


def test_another_claim_sees_another_country(policy_gateway: PolicyGateway) -> None:
    with psycopg.connect(policy_gateway.dsn("sue_fr", ("support",), country="FR"), autocommit=True) as conn:
        assert conn.execute("SELECT DISTINCT country FROM shop.customers").fetchall() == [("FR",)]
        row = conn.execute(
            "SELECT count(*) FROM shop.orders o JOIN shop.customers c ON c.id = o.customer_id "
            "WHERE c.country <> 'FR'"
        ).fetchone()
        assert row == (0,)


def test_missing_claim_is_refused(policy_gateway: PolicyGateway) -> None:
    with psycopg.connect(policy_gateway.dsn("sue_none", ("support",)), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege) as caught:
            conn.execute("SELECT count(*) FROM shop.orders")
        assert "claim 'country'" in str(caught.value)


def test_masking_still_applies_through_the_filter_wrapper(policy_gateway: PolicyGateway) -> None:
    """The wrapper selects columns by name; lineage must still see shop.customers.ssn/email."""
    user, roles, claims = SUPPORT_DE
    sql = "SELECT c.email, c.ssn FROM shop.customers c WHERE c.id = 1"
    with psycopg.connect(policy_gateway.dsn(user, roles, **claims), autocommit=True) as conn:
        masked = conn.execute(sql).fetchone()
    with psycopg.connect(policy_gateway.dsn("adam", ("admin",)), autocommit=True) as conn:
        clear = conn.execute(sql).fetchone()
    assert masked is not None and clear is not None
    assert masked[0] != clear[0] and masked[0].split("@")[1] == clear[0].split("@")[1]
    assert masked[1] != clear[1] and masked[1].endswith(clear[1][-4:])
