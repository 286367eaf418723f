"""What each role sees over the wire: the analyst gets exactly the demo's masks, admin (exempt
from every rule) gets the clear values, through psql, asyncpg and the raw client alike. These
also prove the leak check can fail: the same scan that finds nothing in the analyst's bytes
finds the clear values in admin's."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

import pytest

from tests.masking_wire.asyncpg_client import RecordingAsyncpg
from tests.masking_wire.clear_values import ClearValues, Customer
from tests.masking_wire.conftest import ANALYST
from tests.masking_wire.outcome import run_extended
from tests.masking_wire.psql_client import run_psql
from tests.masking_wire.wire_corpus import MASKED, WIRE_CORPUS
from tests.support.gateway import RunningGateway
from tests.support.rawclient import RawClient

ADMIN = ("alice", ("admin",))
SAMPLE_IDS = (1, 2, 3, 4242, 99999, 100000)
SAMPLE = f"SELECT id, email, phone, ssn, card_number FROM shop.customers WHERE id IN {SAMPLE_IDS} ORDER BY id"


def clear_row(c: Customer) -> tuple[str, ...]:
    return (str(c.id), c.email, c.phone, c.ssn, c.card_number)


def masked_row(c: Customer, key: bytes) -> tuple[str, ...]:
    """The demo's rules by hand: email keeps the domain, phone is HMAC-SHA256 hex under the
    gateway's key, ssn and card_number keep their last 4 characters."""
    phone = hmac.new(key, c.phone.encode(), hashlib.sha256).hexdigest()
    return (
        str(c.id),
        "****@" + c.email.split("@")[1],
        phone,
        "****" + c.ssn[-4:],
        "****" + c.card_number[-4:],
    )


def raw_rows(
    gateway: Any, who: tuple[str, tuple[str, ...]], result_format: int
) -> tuple[list[tuple[str, ...]], bytes]:
    from pgbridge.wire import messages as m

    client = RawClient.login(gateway, *who)
    try:
        client.send(
            m.Parse("", SAMPLE, ()), m.Bind("", "", (), (), (result_format,)), m.Execute("", 0), m.Sync()
        )
        seen = client.until_ready()
        rows = [msg.values for msg in seen if isinstance(msg, m.DataRow)]
        decoded = [tuple(_text(v, i, result_format) for i, v in enumerate(r)) for r in rows]
        return decoded, bytes(client.received)
    finally:
        client.close()


def _text(value: bytes | None, index: int, result_format: int) -> str:
    assert value is not None
    if index == 0 and result_format == 1:
        return str(int.from_bytes(value, "big", signed=True))
    return value.decode()


@pytest.mark.parametrize("result_format", [0, 1], ids=["text", "binary"])
def test_raw_client_rows(
    gateway: RunningGateway, clear_values: ClearValues, hash_key: bytes, result_format: int
) -> None:
    customers = [clear_values.customers[i] for i in SAMPLE_IDS]
    analyst_rows, analyst_bytes = raw_rows(gateway, ANALYST, result_format)
    admin_rows, admin_bytes = raw_rows(gateway, ADMIN, result_format)
    assert analyst_rows == [masked_row(c, hash_key) for c in customers]
    assert admin_rows == [clear_row(c) for c in customers]
    assert clear_values.leaks(analyst_bytes) == []
    assert len(clear_values.leaks(admin_bytes)) >= 4 * len(SAMPLE_IDS)


async def test_asyncpg_rows_and_tap(
    gateway: RunningGateway, clear_values: ClearValues, hash_key: bytes
) -> None:
    customers = [clear_values.customers[i] for i in SAMPLE_IDS]
    for who, expected in (
        (ANALYST, [masked_row(c, hash_key) for c in customers]),
        (ADMIN, [clear_row(c) for c in customers]),
    ):
        client = await RecordingAsyncpg.connect(gateway, *who)
        try:
            records = await client.conn.fetch(SAMPLE)
            raw = bytes(client.sink)
        finally:
            await client.close()
        assert [tuple(str(v) for v in r) for r in records] == expected
        # the tap saw the DataRows themselves: every value's bytes are in the recorded stream
        assert all(value.encode() in raw for row in expected for value in row[1:])
        assert (clear_values.leaks(raw) == []) is (who == ANALYST)


def test_psql_rows(
    gateway: RunningGateway, clear_values: ClearValues, hash_key: bytes, tmp_path: Path
) -> None:
    customers = [clear_values.customers[i] for i in SAMPLE_IDS]
    unaligned = f"\\pset format unaligned\n{SAMPLE}"
    (analyst,) = run_psql(gateway, *ANALYST, [unaligned], tmp_path)
    (admin,) = run_psql(gateway, *ADMIN, [unaligned], tmp_path)
    for outcome, rows in (
        (analyst, [masked_row(c, hash_key) for c in customers]),
        (admin, [clear_row(c) for c in customers]),
    ):
        assert outcome.sqlstate is None and outcome.rows == len(SAMPLE_IDS)
        assert all("|".join(row).encode() in outcome.received for row in rows)
    assert clear_values.leaks(analyst.received) == []
    assert clear_values.leaks(admin.received) != []


# Correlated inequality over 100,000 distinct clear values: minutes for admin (the masked
# values the analyst compares have few distinct prefixes).
_SLOW_ON_CLEAR_VALUES = {
    "SELECT (SELECT count(*) FROM shop.customers c2 WHERE c2.ssn < c.ssn) FROM shop.customers c",
}


@pytest.mark.slow  # the masked corpus as admin: clear values make some cases slow
def test_admin_gets_clear_values_from_the_corpus(gateway: RunningGateway, clear_values: ClearValues) -> None:
    """The masked corpus cases, run by admin, carry clear values: the analyst's clean bytes are
    the masking's doing, not queries that happen to return nothing sensitive."""
    client = RawClient.login(gateway, *ADMIN)
    try:
        outcomes = [
            run_extended(client, gateway.data_dir, case.sent, 0)
            for case in WIRE_CORPUS
            if case.expect == MASKED and case.sql not in _SLOW_ON_CLEAR_VALUES
        ]
    finally:
        client.close()
    # On clear values some probes fail (the overflow or cast that masking made uniform).
    ran = [o for o in outcomes if o.sqlstate is None]
    assert all(o.sqlstate.startswith("22") for o in outcomes if o.sqlstate is not None)
    assert len(ran) >= 0.9 * len(outcomes)
    leaking = sum(bool(clear_values.leaks(o.received)) for o in ran)
    # Not all: many cases return what is computed from a masked column (counts, lengths, flags).
    assert leaking >= 0.6 * len(ran)


def test_backend_error_text_is_withheld_only_when_masked_values_are_involved(gateway: RunningGateway) -> None:
    # A backend error computed from a masked column (ntile of a negative count), as in wire_corpus.
    sql = "SELECT ntile(length(ssn) - 100) OVER (ORDER BY id) FROM shop.customers LIMIT 1"
    analyst, admin = RawClient.login(gateway, *ANALYST), RawClient.login(gateway, *ADMIN)
    try:
        masked = run_extended(analyst, gateway.data_dir, sql, 0)
        clear = run_extended(admin, gateway.data_dir, sql, 0)
    finally:
        analyst.close()
        admin.close()
    assert masked.sqlstate == clear.sqlstate == "22000"
    assert "withheld" in masked.message and "withheld" not in clear.message


@pytest.mark.parametrize("result_format", [0, 1])
def test_a_guess_cannot_be_confirmed_by_a_null(
    gateway: RunningGateway, clear_values: ClearValues, result_format: int
) -> None:
    """nullif(ssn, <guess>) is NULL exactly where the guess is right. Computed on the masked
    value, it never is; admin's answer shows the oracle would work without masking."""
    guess = clear_values.customers[2].ssn
    sql = f"SELECT id, nullif(ssn, '{guess}') FROM shop.customers WHERE id IN (1, 2, 3) ORDER BY id"
    analyst, admin = RawClient.login(gateway, *ANALYST), RawClient.login(gateway, *ADMIN)
    try:
        masked, clear = _values(analyst, sql, result_format), _values(admin, sql, result_format)
    finally:
        analyst.close()
        admin.close()
    shown = [b"****" + clear_values.customers[i].ssn[-4:].encode() for i in (1, 2, 3)]
    assert [row[1] for row in masked] == shown
    assert [row[1] for row in clear] == [
        clear_values.customers[1].ssn.encode(),
        None,
        clear_values.customers[3].ssn.encode(),
    ]


def _values(client: RawClient, sql: str, result_format: int) -> list[tuple[bytes | None, ...]]:
    from pgbridge.wire import messages as m

    client.send(m.Parse("", sql, ()), m.Bind("", "", (), (), (0, result_format)), m.Execute("", 0), m.Sync())
    return [msg.values for msg in client.until_ready() if isinstance(msg, m.DataRow)]
