"""Rows leave the gateway by other paths than a plain query's DataRows: COPY ... TO STDOUT
(CopyData), cursors (DECLARE / FETCH), portals run a few rows at a time (Execute with a row
limit). Each is masked the same way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pgbridge.wire import messages as m
from tests.masking_wire.clear_values import ClearValues
from tests.masking_wire.conftest import ANALYST
from tests.masking_wire.psql_client import run_psql
from tests.masking_wire.test_who_sees_what import masked_row
from tests.support.gateway import RunningGateway
from tests.support.rawclient import RawClient

IDS = (1, 2, 3)
SELECT = f"SELECT id, email, phone, ssn, card_number FROM shop.customers WHERE id IN {IDS} ORDER BY id"


@pytest.fixture
def client(gateway: RunningGateway) -> Iterator[RawClient]:
    c = RawClient.login(gateway, *ANALYST)
    yield c
    c.close()


def _expected_lines(clear: ClearValues, key: bytes, sep: str) -> list[bytes]:
    return [sep.join(masked_row(clear.customers[i], key)).encode() for i in IDS]


@pytest.mark.parametrize(("options", "sep"), [("", "\t"), ("WITH (FORMAT csv)", ",")])
def test_copy_to_stdout(
    client: RawClient, clear_values: ClearValues, hash_key: bytes, options: str, sep: str
) -> None:
    seen = client.simple(f"COPY ({SELECT}) TO STDOUT {options}")
    data = [msg.data for msg in seen if isinstance(msg, m.CopyData)]
    assert [line.rstrip(b"\n") for line in data] == _expected_lines(clear_values, hash_key, sep)
    assert clear_values.leaks(bytes(client.received)) == []


def test_cursor_fetch(client: RawClient, clear_values: ClearValues, hash_key: bytes) -> None:
    client.simple("BEGIN")
    client.simple(f"DECLARE c CURSOR FOR {SELECT}")
    first = client.simple("FETCH 2 FROM c")
    rest = client.simple("FETCH ALL FROM c")
    client.simple("COMMIT")
    rows = [b"\t".join(v or b"" for v in msg.values) for msg in first + rest if isinstance(msg, m.DataRow)]
    assert rows == _expected_lines(clear_values, hash_key, "\t")
    assert clear_values.leaks(bytes(client.received)) == []


@pytest.mark.parametrize("result_format", [0, 1])
def test_portal_in_steps(client: RawClient, clear_values: ClearValues, result_format: int) -> None:
    client.send(
        m.Parse("", "SELECT * FROM shop.customers WHERE id <= 50", ()),
        m.Bind("p", "", (), (), (result_format,)),
        *[m.Execute("p", 7)] * 8,
        m.Sync(),
    )
    seen = client.until_ready()
    assert sum(isinstance(msg, m.PortalSuspended) for msg in seen) == 7
    assert sum(isinstance(msg, m.DataRow) for msg in seen) == 50
    assert clear_values.leaks(bytes(client.received)) == []


def test_psql_copy_and_cursor(
    gateway: RunningGateway, clear_values: ClearValues, hash_key: bytes, tmp_path: Path
) -> None:
    copy_out, cursor = run_psql(
        gateway,
        *ANALYST,
        [
            f"\\copy ({SELECT}) TO STDOUT",
            f"BEGIN; DECLARE c CURSOR FOR {SELECT}; FETCH ALL FROM c; COMMIT",
        ],
        tmp_path,
    )
    assert copy_out.sqlstate is None and cursor.sqlstate is None
    assert all(line in copy_out.received for line in _expected_lines(clear_values, hash_key, "\t"))
    assert cursor.rows == len(IDS)
    assert clear_values.leaks(copy_out.received + cursor.received) == []
