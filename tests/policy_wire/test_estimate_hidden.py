"""A role whose reads of a table are row-filtered never learns that table's byte estimate
(issue 10, item 6): it describes the whole table, whose size the catalog hides from that role.

Over psycopg against the policy gateway: `support` and the `filtered_*` roles read
shop.customers through `country = {claims.country}`. The figure they must not see is what
the same statement costs unfiltered, read from an admin's EXPLAIN of the equivalent query.
"""

from __future__ import annotations

import re

import psycopg
import pytest

FILTERED_SQL = "SELECT count(*) FROM shop.customers"
# What the filtered statement scans, spelled without the filter (the admin's equivalent).
EQUIVALENT_SQL = "SELECT count(*) FROM shop.customers WHERE country = 'DE'"
BIG_SQL = "SELECT name, email FROM shop.customers"  # several MB: over the 1 MB of filtered_*


def _explain(policy_gateway, sql: str, user: str, roles: tuple[str, ...], **claims: object) -> list[str]:
    with psycopg.connect(policy_gateway.dsn(user, roles, **claims), autocommit=True) as conn:
        return [row[0] for row in conn.execute(f"EXPLAIN {sql}").fetchall()]


def _estimate(lines: list[str]) -> str:
    [line] = [line for line in lines if line.startswith("Estimated bytes scanned: ")]
    return line.removeprefix("Estimated bytes scanned: ")


def _figures(policy_gateway, sql: str) -> tuple[str, str]:
    """The unfiltered estimate of `sql`, as EXPLAIN writes it and as a bare number."""
    shown = _estimate(_explain(policy_gateway, sql, "root", ("admin",)))
    assert re.fullmatch(r"[\d,]+", shown) and shown != "0", shown
    return shown, shown.replace(",", "")


def _assert_absent(texts: list[str], figures: tuple[str, str]) -> None:
    for text in texts:
        for figure in figures:
            assert figure not in text, f"the whole-table estimate {figure} reached the client: {text}"


def test_explain_withholds_the_estimate_from_a_row_filtered_reader(policy_gateway):
    figures = _figures(policy_gateway, EQUIVALENT_SQL)
    lines = _explain(policy_gateway, FILTERED_SQL, "sam", ("support",), country="DE")
    assert _estimate(lines).startswith("withheld")
    assert any(line.startswith("Cost rule: allow") for line in lines)  # the rule still decides
    _assert_absent(lines, figures)


def test_an_unfiltered_reader_still_sees_the_estimate(policy_gateway):
    shown, _ = _figures(policy_gateway, EQUIVALENT_SQL)
    lines = _explain(policy_gateway, EQUIVALENT_SQL, "ann", ("analyst",))
    assert _estimate(lines) == shown


def test_the_cost_rule_and_its_refusal_do_not_carry_the_estimate(policy_gateway):
    figures = _figures(policy_gateway, "SELECT name, email FROM shop.customers WHERE country = 'DE'")
    lines = _explain(policy_gateway, BIG_SQL, "fay", ("filtered_small",), country="DE")
    [cost] = [line for line in lines if line.startswith("Cost rule: deny")]
    assert "1,000,000" in cost  # the limit is the role's own configuration, and stays
    _assert_absent(lines, figures)
    dsn = policy_gateway.dsn("fay", ("filtered_small",), country="DE")
    with (
        psycopg.connect(dsn, autocommit=True) as conn,
        pytest.raises(psycopg.errors.ProgramLimitExceeded) as refused,
    ):
        conn.execute(BIG_SQL)
    diag = refused.value.diag
    _assert_absent([str(diag.message_primary), str(diag.message_detail), str(diag.message_hint)], figures)


def test_an_approval_wait_does_not_carry_the_estimate(policy_gateway):
    figures = _figures(policy_gateway, "SELECT name, email FROM shop.customers WHERE country = 'DE'")
    notices: list[str] = []
    dsn = policy_gateway.dsn("wes", ("filtered_wait",), country="DE")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.add_notice_handler(lambda notice: notices.append(str(notice.message_primary)))
        conn.execute("SET statement_timeout = 1000")  # waits 1 s for an approver, then 57014
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute(BIG_SQL)
    assert any("pending" in notice for notice in notices), notices
    _assert_absent(notices, figures)


def test_a_generated_rows_refusal_does_not_carry_the_estimate(policy_gateway):
    """The cost rule prices generated rows on top of the scan; its refusal named the scan's
    whole-table figure ("would scan N bytes and generate about ...") to a row-filtered reader."""
    generated = "SELECT g FROM generate_series(1, 200000) g WHERE g IN (SELECT id FROM shop.customers{})"
    figures = _figures(policy_gateway, generated.format(" WHERE country = 'DE'"))
    dsn = policy_gateway.dsn("gus", ("filtered_small",), country="DE")
    with (
        psycopg.connect(dsn, autocommit=True) as conn,
        pytest.raises(psycopg.errors.ProgramLimitExceeded) as refused,
    ):
        conn.execute(generated.format(""))
    diag = refused.value.diag
    assert "roles.filtered_small.max_bytes" in str(diag.message_primary)
    _assert_absent([str(diag.message_primary), str(diag.message_detail), str(diag.message_hint)], figures)
