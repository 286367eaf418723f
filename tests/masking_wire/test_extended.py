"""Masking alone decides, over the wire: the corpus cases the demo's policy stops first.

On the demo gateway (whose analyst may call unnest and generate_series) with a `clerk` that
may write shop.products (tests/masking_wire/extended.py), each statement below is either
masked (rows come back, no clear value in any byte) or refused by masking itself (42501
naming the masked column, or saying the statement cannot be traced). Sent through psql
(text), asyncpg (binary) and the raw client (text and binary). DML: the masked clerk cannot
copy, or decide its writes on, a masked value; the exempt admin can (after approval).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pgbridge.wire import messages as m
from tests.masking_wire.asyncpg_client import RecordingAsyncpg
from tests.masking_wire.clear_values import ClearValues
from tests.masking_wire.extended import extended_config
from tests.masking_wire.outcome import Outcome, run_extended
from tests.masking_wire.psql_client import run_psql
from tests.masking_wire.wire_corpus import MASKED, MASKING_REFUSAL, NOT_TRANSLATED, WireCase
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.rawclient import RawClient

pytestmark = pytest.mark.slow  # a gateway of its own, the corpus through four clients

ANALYST = ("bob", ("analyst",))
CLERK = ("carl", ("clerk",))
UNTRACED = "masking cannot trace it"

ON_MASKED = "computed on masked values"
HASHED = "phone is a keyed hash: it may only be returned as is"
ANALYST_CASES = [
    WireCase(
        "SELECT x FROM shop.customers c, UNNEST(ARRAY[c.ssn, c.phone]) AS t(x)", MASKING_REFUSAL, HASHED
    ),
    WireCase("SELECT x FROM shop.customers c, unnest(ARRAY[c.ssn]) AS t(x)", MASKED),
    WireCase(
        "SELECT t.x FROM shop.customers c CROSS JOIN LATERAL unnest(ARRAY[c.card_number, c.phone]) AS t(x)",
        MASKING_REFUSAL,
        HASHED,
    ),
    WireCase("SELECT generate_series(1, 2), ssn FROM shop.customers", MASKED),
    WireCase(
        "SELECT g.i, c.phone FROM shop.customers c, generate_series(1, 3) AS g(i) WHERE c.id = 1", MASKED
    ),
    WireCase(
        "SELECT country, grouping(country), count(*) FROM shop.customers GROUP BY ROLLUP(country)", MASKED
    ),
    WireCase(
        "SELECT x FROM shop.customers c, UNNEST(string_to_array(c.ssn, '5')) AS t(x)",
        MASKED,
        ON_MASKED,
    ),
    WireCase(
        "SELECT count(*) FROM shop.customers c, unnest(string_to_array(c.card_number, '1')) AS t(x)",
        MASKED,
        ON_MASKED,
    ),
    WireCase("SELECT generate_series(1, strpos(ssn, '8')) FROM shop.customers", MASKED, ON_MASKED),
    WireCase(
        "SELECT x FROM shop.customers c CROSS JOIN LATERAL generate_series(1, strpos(c.ssn, '9')) AS g(x)",
        NOT_TRANSLATED,
        "not translated yet",
    ),
    WireCase("SELECT grouping(ssn), count(*) FROM shop.customers GROUP BY ROLLUP(ssn)", MASKED, ON_MASKED),
    WireCase(
        "SELECT country, grouping(country), max(ssn) FROM shop.customers GROUP BY ROLLUP(country)",
        MASKED,
        ON_MASKED,
    ),
    WireCase(
        "SELECT count(*) FROM shop.customers c, unnest(ARRAY[c.ssn]) AS t(x) WHERE x LIKE '1%'",
        MASKED,
        ON_MASKED,
    ),
    WireCase("SELECT x FROM shop.customers c, unnest(ARRAY[c.ssn]) AS t(x) ORDER BY x", MASKED, ON_MASKED),
    WireCase(
        "SELECT count(*) FROM shop.customers c, unnest(ARRAY[c.ssn]) AS t(x) GROUP BY x", MASKED, ON_MASKED
    ),
    WireCase(
        "SELECT c.id FROM shop.customers c JOIN unnest(ARRAY['123-45-6789']) AS t(x) ON t.x = c.ssn",
        NOT_TRANSLATED,
        "not translated yet",
    ),
    WireCase(
        "SELECT (SELECT array_agg(x) FROM unnest(ARRAY[c.ssn, c.phone]) AS t(x)) FROM shop.customers c",
        MASKING_REFUSAL,
        HASHED,
    ),
    WireCase(
        "SELECT x, n FROM shop.customers c, unnest(ARRAY[c.ssn]) WITH ORDINALITY AS t(x, n)",
        NOT_TRANSLATED,
        "not translated yet",
    ),
]
CLERK_REFUSED = [
    "INSERT INTO shop.products (id, name) SELECT id + 1000000, ssn FROM shop.customers WHERE id = 1",
    "UPDATE shop.products SET name = (SELECT ssn FROM shop.customers WHERE id = 1) WHERE id = 1",
    "DELETE FROM shop.products WHERE id IN (SELECT id FROM shop.customers WHERE ssn LIKE '1%')",
    "INSERT INTO shop.products (id, name) SELECT id + 1000000, name FROM shop.customers "
    "WHERE phone LIKE '+1%'",
]
CLIENTS = ("psql-text", "asyncpg-binary", "raw-text", "raw-binary")


@pytest.fixture(scope="module")
def extended(
    demo_copy: Callable[[str], Path], clear_values: ClearValues
) -> Iterator[tuple[RunningGateway, ClearValues]]:
    with running_gateway(demo_copy("masking-extended"), extended_config()) as gw:
        yield gw, clear_values


def _raw(gw: RunningGateway, user: tuple[str, tuple[str, ...]], sqls: list[str], fmt: int) -> list[Outcome]:
    client = RawClient.login(gw, *user)
    try:
        client.simple("SET pgbridge.approval = 'ticket'")
        return [run_extended(client, gw.data_dir, sql, fmt) for sql in sqls]
    finally:
        client.close()


async def _asyncpg(gw: RunningGateway, sqls: list[str]) -> list[Outcome]:
    client = await RecordingAsyncpg.connect(gw, *ANALYST)
    try:
        return [await client.run(sql) for sql in sqls]
    finally:
        await client.close()


@pytest.fixture(scope="module")
def analyst_results(
    extended: tuple[RunningGateway, ClearValues], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[Outcome]]:
    gw, _ = extended
    sqls = [case.sent for case in ANALYST_CASES]
    return {
        "raw-text": _raw(gw, ANALYST, sqls, 0),
        "raw-binary": _raw(gw, ANALYST, sqls, 1),
        "asyncpg-binary": asyncio.run(_asyncpg(gw, sqls)),
        "psql-text": run_psql(gw, *ANALYST, sqls, tmp_path_factory.mktemp("extended-psql")),
    }


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("index", range(len(ANALYST_CASES)), ids=[c.sql[:60] for c in ANALYST_CASES])
def test_analyst_case(
    extended: tuple[RunningGateway, ClearValues],
    analyst_results: dict[str, list[Outcome]],
    client: str,
    index: int,
) -> None:
    case, outcome = ANALYST_CASES[index], analyst_results[client][index]
    assert extended[1].leaks(outcome.received) == []
    if case.expect == MASKED:
        assert outcome.sqlstate is None, outcome.message
        assert outcome.rows > 0
        return
    assert outcome.sqlstate == case.expect, outcome.message
    if case.expect == MASKING_REFUSAL:
        assert "pseudonymised (keyed hash) for your role" in outcome.message


def test_masked_rows_carry_masked_values(
    extended: tuple[RunningGateway, ClearValues], analyst_results: dict[str, list[Outcome]]
) -> None:
    """The unnested values arrive redacted, not merely absent: '****' is in the bytes."""
    for client in ("raw-text", "psql-text"):
        assert b"****" in analyst_results[client][1].received


def test_masked_writer_cannot_copy_or_probe_masked_values(
    extended: tuple[RunningGateway, ClearValues], analyst_results: dict[str, list[Outcome]]
) -> None:
    gw, clear = extended
    outcomes = _raw(gw, CLERK, CLERK_REFUSED, 0)
    for sql, outcome in zip(CLERK_REFUSED, outcomes, strict=True):
        assert outcome.sqlstate == "42501", (sql, outcome.message)
        assert "is masked for your role" in outcome.message, outcome.message
        assert clear.leaks(outcome.received) == []
    # The clerk's writes that carry no masked value run, without approval.
    client = RawClient.login(gw, *CLERK)
    try:
        for sql in (
            "INSERT INTO shop.products (id, name, category) VALUES (2000001, 'x', 'y')",
            "INSERT INTO shop.products (id, name) "
            "SELECT id + 1000000, country FROM shop.customers WHERE id = 2",
        ):
            done = client.simple(sql)
            assert [msg.tag for msg in done if isinstance(msg, m.CommandComplete)] == ["INSERT 0 1"], done
        rows = client.simple(
            "SELECT id, name FROM shop.products WHERE id BETWEEN 1000000 AND 2999999 ORDER BY id"
        )
        country = client.simple("SELECT country FROM shop.customers WHERE id = 2")
    finally:
        client.close()
    expected = [msg.values[0] for msg in country if isinstance(msg, m.DataRow)]
    assert [msg.values for msg in rows if isinstance(msg, m.DataRow)] == [
        (b"1000002", expected[0]),
        (b"2000001", b"x"),
    ]
    assert clear.leaks(bytes(client.received)) == []


def test_exempt_admin_copies_clear_values_after_approval(
    extended: tuple[RunningGateway, ClearValues], analyst_results: dict[str, list[Outcome]]
) -> None:
    gw, clear = extended
    insert = "INSERT INTO shop.products (id, name) SELECT id + 3000000, ssn FROM shop.customers WHERE id = 1"
    admin = RawClient.login(gw, "alice", ("admin",))
    try:
        admin.simple("SET pgbridge.approval = 'ticket'")
        outcome = run_extended(admin, gw.data_dir, insert, 0)
        assert outcome.sqlstate is None and outcome.approved, outcome.message
        rows = admin.simple("SELECT name FROM shop.products WHERE id = 3000001")
    finally:
        admin.close()
    assert [msg.values for msg in rows if isinstance(msg, m.DataRow)] == [(clear.customers[1].ssn.encode(),)]
