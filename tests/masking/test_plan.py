"""Mask plans end to end on a real DuckDB: who sees what, refusals, audit summary, fail-closed."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pyarrow as pa
import pytest

from pgbridge.masking.plan import MaskPlan, plan_masks
from pgbridge.masking.settings import DetectorRule, MaskingSettings, MaskRule
from pgbridge.wire.errors import PgError, SqlState
from tests.masking.corpus import ANALYST_ROLES, CUSTOMER_ROWS, DEMO_HASH_KEY, EXEMPT_ROLES, demo_settings
from tests.masking.harness import open_duckdb, parse, plan_and_run, principal, qualified, schema_lookup

SETTINGS = demo_settings()


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = open_duckdb()
    yield connection
    connection.close()


def _rows(con: duckdb.DuckDBPyConnection, sql: str, roles: tuple[str, ...]) -> list[dict[str, object]]:
    plan, table, _ = plan_and_run(con, qualified(sql), roles, SETTINGS)
    return [row for batch in table.to_batches() for row in plan.apply(batch).to_pylist()]


def test_admin_sees_clear_values(con: duckdb.DuckDBPyConnection) -> None:
    rows = _rows(con, "SELECT ssn, card_number, phone, email FROM shop.customers ORDER BY id", EXEMPT_ROLES)
    assert rows[0] == {
        "ssn": "123-45-6789",
        "card_number": "4111111111111111",
        "phone": "+1-202-555-0143",
        "email": "alice.secret@example.com",
    }


def test_analyst_sees_each_strategy(con: duckdb.DuckDBPyConnection) -> None:
    rows = _rows(
        con, "SELECT id, ssn, card_number, phone, email, name FROM shop.customers ORDER BY id", ANALYST_ROLES
    )
    first = rows[0]
    assert first["id"] == 1 and first["name"] == "Alice Adams"
    assert first["ssn"] == "****6789" and first["card_number"] == "****1111" and first["phone"] == "****"
    assert isinstance(first["email"], str) and len(first["email"]) == 64 and "alice" not in first["email"]


def test_a_role_outside_every_rule_list_is_masked(con: duckdb.DuckDBPyConnection) -> None:
    rows = _rows(con, "SELECT ssn FROM shop.customers ORDER BY id", ())
    assert rows[0]["ssn"] == "****6789"


def test_hashed_email_pseudonyms_join_across_queries(con: duckdb.DuckDBPyConnection) -> None:
    one = _rows(con, "SELECT email FROM shop.customers WHERE id = 2", ANALYST_ROLES)
    joined = _rows(
        con,
        "SELECT c2.email FROM shop.customers c1 JOIN shop.customers c2 ON c1.email = c2.email "
        "WHERE c1.id = 2",
        ANALYST_ROLES,
    )
    assert one == joined and one[0]["email"] != CUSTOMER_ROWS[1][2]


def test_types_and_schema_are_unchanged_by_masking(con: duckdb.DuckDBPyConnection) -> None:
    plan, table, _ = plan_and_run(con, qualified("SELECT * FROM shop.customers"), ANALYST_ROLES, SETTINGS)
    for batch in table.to_batches():
        assert plan.apply(batch).schema == batch.schema


def test_transformed_values_are_computed_on_masked_values(con: duckdb.DuckDBPyConnection) -> None:
    sql = "SELECT upper(ssn), ssn || phone, ssn, lower(name) FROM shop.customers ORDER BY id"
    plan = plan_masks(qualified(sql), schema_lookup, principal(*ANALYST_ROLES), SETTINGS)
    assert [(m.index, m.strategy, m.where) for m in plan.masks] == [
        (0, "computed", "warehouse"),
        (1, "computed", "warehouse"),
        (2, "partial", "warehouse"),
    ]
    assert set(plan.masks[1].sources) == {"shop.customers.ssn", "shop.customers.phone"}
    assert "shop.customers.ssn" in plan.notice and "masked values" in plan.notice
    rows = _rows(con, sql, ANALYST_ROLES)
    assert list(rows[0].values()) == ["****6789", "****6789****", "****6789", "alice adams"]


def test_whole_rows_and_functions_of_a_hashed_column_are_refused() -> None:
    for sql in ("SELECT u FROM shop.customers u", "SELECT upper(email) FROM shop.customers"):
        with pytest.raises(PgError) as info:
            plan_masks(qualified(sql), schema_lookup, principal(*ANALYST_ROLES), SETTINGS)
        assert info.value.sqlstate == SqlState.INSUFFICIENT_PRIVILEGE
        assert "shop.customers.email" in info.value.message and "keyed hash" in info.value.message


@pytest.mark.parametrize(
    ("sql", "allowed"),
    [
        ("SELECT email, count(*) FROM shop.customers GROUP BY email", True),
        ("SELECT count(DISTINCT email) FROM shop.customers", True),
        ("SELECT c1.id FROM shop.customers c1 JOIN shop.customers c2 ON c1.email = c2.email", True),
        ("SELECT c1.id FROM shop.customers c1 JOIN shop.customers c2 USING (email)", True),
        ("SELECT id FROM shop.customers WHERE email IN (SELECT email FROM shop.customers)", True),
        ("SELECT id FROM shop.customers WHERE email = 'alice.secret@example.com'", False),
        ("SELECT id FROM shop.customers WHERE email = $1", False),
        ("SELECT id FROM shop.customers WHERE email IN ('a', 'b')", False),
        ("SELECT id FROM shop.customers WHERE email = name", False),
        ("SELECT CASE email WHEN 'a@b.c' THEN 1 END FROM shop.customers", False),
        ("SELECT c.id FROM shop.customers c JOIN (SELECT 'a@b.c' AS e) x ON c.email = x.e", False),
        ("SELECT id FROM shop.customers ORDER BY email", False),
        ("SELECT max(email) FROM shop.customers", False),
    ],
)
def test_hashed_column_equality_only_with_another_pseudonym(sql: str, allowed: bool) -> None:
    """Equal pseudonyms reveal equal clear values anyway; equality with a constant, a parameter
    or another column is a guessing oracle (phone numbers are a small space)."""
    if allowed:
        plan_masks(parse(sql), schema_lookup, principal(*ANALYST_ROLES), SETTINGS)
        return
    with pytest.raises(PgError) as info:
        plan_masks(parse(sql), schema_lookup, principal(*ANALYST_ROLES), SETTINGS)
    assert info.value.sqlstate == SqlState.INSUFFICIENT_PRIVILEGE and "email" in info.value.message


def test_audit_summary_names_columns_rules_and_sources() -> None:
    plan = plan_masks(
        qualified("SELECT id, ssn AS s FROM shop.customers"),
        schema_lookup,
        principal(*ANALYST_ROLES),
        SETTINGS,
    )
    assert plan.audit_summary() == [
        {
            "column": "s",
            "index": 1,
            "strategy": "partial",
            "rules": ["shop.customers.ssn"],
            "sources": ["shop.customers.ssn"],
            "options": {"keep": 4},
            "where": "warehouse",
        }
    ]
    assert plan.sensitive and plan.expected_columns == 2


def test_refusal_names_column_and_clause() -> None:
    with pytest.raises(PgError) as info:
        plan_masks(
            parse("SELECT id FROM shop.customers WHERE email LIKE 'a%'"),
            schema_lookup,
            principal(*ANALYST_ROLES),
            SETTINGS,
        )
    assert info.value.sqlstate == SqlState.INSUFFICIENT_PRIVILEGE
    assert "shop.customers.email" in info.value.message and "WHERE" in info.value.message


def test_filtering_a_masked_column_filters_its_masked_value(con: duckdb.DuckDBPyConnection) -> None:
    """ssn is masked in the warehouse: `LIKE '1%'` can match no masked value, `LIKE '%6789'`
    matches the last digits the role may see anyway."""
    assert _rows(con, "SELECT id FROM shop.customers WHERE ssn LIKE '1%'", ANALYST_ROLES) == []
    assert _rows(con, "SELECT id FROM shop.customers WHERE ssn LIKE '%6789'", ANALYST_ROLES) == [{"id": 1}]
    assert _rows(con, "SELECT id FROM shop.customers WHERE ssn LIKE '1%'", EXEMPT_ROLES) == [{"id": 1}]


def test_untraceable_query_on_masked_table_is_refused_naming_why() -> None:
    with pytest.raises(PgError) as info:
        plan_masks(
            parse("SELECT * FROM shop.customers, shop.mystery"),
            schema_lookup,
            principal(*ANALYST_ROLES),
            SETTINGS,
        )
    assert info.value.sqlstate == SqlState.INSUFFICIENT_PRIVILEGE
    assert "shop.customers" in info.value.message and "shop.mystery" in info.value.message


def test_untraceable_query_without_masked_tables_runs_unmasked() -> None:
    plan = plan_masks(parse("SELECT * FROM shop.mystery"), schema_lookup, principal(*ANALYST_ROLES), SETTINGS)
    assert plan.masks == () and not plan.sensitive


def test_unknown_table_under_a_glob_rule_is_masked_by_column_name() -> None:
    settings = MaskingSettings((MaskRule("shop.*.ssn", "redact"),))
    plan = plan_masks(
        parse("SELECT n.ssn, n.other FROM shop.newtable n"), schema_lookup, principal(), settings
    )
    assert [(m.index, m.strategy) for m in plan.masks] == [(0, "redact")]


def test_unqualified_table_matches_any_dataset() -> None:
    settings = MaskingSettings((MaskRule("shop.customers.ssn", "redact"),))
    with pytest.raises(PgError):
        plan_masks(parse("SELECT * FROM customers"), schema_lookup, principal(), settings)


def test_exempt_role_gets_empty_plan_even_for_refusable_queries() -> None:
    plan = plan_masks(
        parse("SELECT ssn FROM shop.customers ORDER BY ssn"),
        schema_lookup,
        principal(*EXEMPT_ROLES),
        SETTINGS,
    )
    assert plan == MaskPlan(())


def test_batch_of_the_wrong_width_is_withheld() -> None:
    plan = plan_masks(qualified("SELECT email FROM shop.customers"), schema_lookup, principal(), SETTINGS)
    batch = pa.RecordBatch.from_pydict({"a": ["123-45-6789"], "b": ["x"]})
    with pytest.raises(PgError, match="refusing"):
        plan.apply(batch)


def test_hash_rule_without_key_withholds_the_result() -> None:
    settings = MaskingSettings((MaskRule("shop.customers.email", "hash"),), b"")
    plan = plan_masks(qualified("SELECT email FROM shop.customers"), schema_lookup, principal(), settings)
    with pytest.raises(PgError, match="withheld"):
        plan.apply(pa.RecordBatch.from_pydict({"email": ["a@b.c"]}))


def test_conflicting_rules_on_one_column_redact() -> None:
    settings = MaskingSettings(
        (MaskRule("shop.customers.ssn", "partial", (), {"keep": 4}), MaskRule("shop.*.ssn", "null")),
        DEMO_HASH_KEY,
    )
    plan = plan_masks(qualified("SELECT ssn FROM shop.customers"), schema_lookup, principal(), settings)
    assert plan.masks[0].strategy == "redact" and plan.masks[0].rules == ("shop.customers.ssn", "shop.*.ssn")


def test_detectors_per_column_and_for_all_text(con: duckdb.DuckDBPyConnection) -> None:
    notes = DetectorRule(("ssn",), "shop.customers.name")
    everything = DetectorRule(("email", "card", "ssn", "phone"))
    sql = "SELECT name || ' 123-45-6789' AS n, 'write to a.b@example.com' AS lit FROM shop.customers"
    for detectors, expected in (((notes,), "'write to a.b@example.com'"), ((everything,), "'write to ****'")):
        settings = MaskingSettings((), b"", detectors)
        plan, table, _ = plan_and_run(con, qualified(sql), (), settings)
        row = plan.apply(table.to_batches()[0]).to_pylist()[0]
        assert row["n"] == "Alice Adams ****" and repr(row["lit"]) == expected


def test_detectors_over_untraceable_output_still_scan_all_text() -> None:
    settings = MaskingSettings((), b"", (DetectorRule(("ssn",)),))
    plan = plan_masks(parse("SELECT * FROM shop.mystery"), schema_lookup, principal(), settings)
    out = plan.apply(pa.RecordBatch.from_pydict({"x": ["id 123-45-6789"], "y": [1]}))
    assert out.to_pylist() == [{"x": "id ****", "y": 1}]
    assert plan.audit_summary()[0]["strategy"] == "detect"


def _plan(sql: str, roles: tuple[str, ...] = ANALYST_ROLES, settings: MaskingSettings = SETTINGS) -> MaskPlan:
    return plan_masks(parse(sql), schema_lookup, principal(*roles), settings)


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO shop.orders (id, status) SELECT id, country FROM shop.customers",
        "UPDATE shop.customers SET name = 'x' WHERE id = 1",
        "UPDATE shop.customers SET ssn = 'overwritten' WHERE id = 1",
        "DELETE FROM shop.orders o USING shop.customers c WHERE c.id = o.customer_id AND c.country = 'US'",
    ],
)
def test_masked_writer_may_write_what_holds_no_masked_value(sql: str) -> None:
    plan = _plan(sql)
    assert plan.masks == () and plan.sensitive  # reads a masked table: backend errors withheld


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        ("INSERT INTO shop.orders (id, status) SELECT id, ssn FROM shop.customers", "cannot be written"),
        ("UPDATE shop.customers SET name = reverse(card_number)", "cannot be written"),
        (
            "UPDATE shop.orders o SET status = c.phone FROM shop.customers c WHERE c.id = o.id",
            "cannot be written",
        ),
        ("UPDATE shop.customers SET name = 'x' WHERE ssn LIKE '1%'", "cannot be used in WHERE"),
        ("DELETE FROM shop.customers WHERE card_number > '5'", "cannot be used in WHERE"),
        ("INSERT INTO shop.orders (id) SELECT id FROM shop.customers RETURNING id", "cannot trace"),
    ],
)
def test_masked_writer_cannot_copy_or_probe_masked_values(sql: str, words: str) -> None:
    with pytest.raises(PgError) as info:
        _plan(sql)
    assert info.value.sqlstate == SqlState.INSUFFICIENT_PRIVILEGE and words in info.value.message


def test_exempt_writer_copies_masked_values() -> None:
    assert _plan("INSERT INTO shop.orders (status) SELECT ssn FROM shop.customers", EXEMPT_ROLES).masks == ()


YEAR = MaskingSettings((MaskRule("shop.customers.created_at", "year", ("admin",)),), DEMO_HASH_KEY)


def test_year_rule_and_session_time_functions(con: duckdb.DuckDBPyConnection) -> None:
    """created_at under `year`: the warehouse truncates it first, so to_char / date_trunc /
    extract see 1 January of its year and can show nothing finer."""
    sql = (
        "SELECT created_at, to_char(created_at, 'YYYY-MM-DD'), date_trunc('day', created_at), "
        "extract(day FROM created_at) FROM shop.customers ORDER BY id"
    )
    plan = plan_masks(qualified(sql), schema_lookup, principal(*ANALYST_ROLES), YEAR)
    expected = [("year", "warehouse")] + [("computed", "warehouse")] * 3
    assert [(m.strategy, m.where) for m in plan.masks] == expected
    plan, table, _ = plan_and_run(con, qualified(sql), ANALYST_ROLES, YEAR)
    row = plan.apply(table.to_batches()[0]).to_pylist()[0]
    values = list(row.values())
    assert values[1] == "2021-01-01" and values[3] == 1
    assert (values[0].year, values[0].month, values[0].day) == (2021, 1, 1)
    assert (values[2].month, values[2].day) == (1, 1)


@pytest.mark.parametrize(
    "expression",
    [
        "nullif(ssn, '123-45-6789')",
        "nullif(substr(ssn, 1, 1), '1')",
        "nullif(card_number, '4111111111111111') || ''",
        "(ARRAY[nullif(phone, '+1-202-555-0143')])[1]",
        "coalesce(nullif(email, 'alice.secret@example.com'), NULL)",
        "ssn = '123-45-6789'",
    ],
)
def test_computed_values_cannot_answer_by_being_null(con: duckdb.DuckDBPyConnection, expression: str) -> None:
    """Whether a computed value is NULL must not answer a guess about a clear value: the
    warehouse computes on masked values, so no row matches the attacker's guess (a hashed
    column may not be computed on at all)."""
    sql = f"SELECT {expression} AS x FROM shop.customers ORDER BY id"
    if "email" in expression:
        with pytest.raises(PgError):
            _rows(con, sql, ANALYST_ROLES)
        return
    rows = _rows(con, sql, ANALYST_ROLES)
    assert all(row["x"] not in (None, True) for row in rows), rows
    clear = _rows(con, sql, EXEMPT_ROLES)
    assert clear[0]["x"] in (None, True)  # the oracle works unmasked
