"""Every gateway log this test run produced holds no token, no key and no clear masked value.

Marked `logscan`: tests/conftest.py runs it after every other test, so it reads what the
whole run wrote. It first drives its own gateway through the paths that handle secrets (a
refused token, a statement quoting a clear value, an error echoing one, masked reads), so
even a run of this file alone scans logs that had every chance to leak.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import asyncpg
import pytest

from tests.masking_wire.clear_values import ClearValues
from tests.ops.secrets_scan import findings, key_material
from tests.ops.support import ops_gateway
from tests.support.clients import asyncpg_connect
from tests.support.gateway import MINTED

# Gateway processes started, signalled, killed or run side by side: the slow lane (make test).
pytestmark = pytest.mark.slow


async def _exercise(og_dir: Path, clear: ClearValues) -> None:
    customer = clear.customers[min(clear.customers)]
    with ops_gateway(og_dir) as og:
        gw = og.gw
        wrong_user = gw.token("mallory", ("admin",))
        with pytest.raises(asyncpg.PostgresError):
            await asyncpg_connect(gw, "alice", ("admin",), password=wrong_user)  # sub != user
        with pytest.raises(asyncpg.PostgresError):
            await asyncpg_connect(gw, "alice", ("admin",), password=wrong_user[:-4] + "AAAA")  # bad signature
        conn = await asyncpg_connect(gw, "alice", ("analyst",))
        try:
            await conn.fetch("SELECT name, email, phone, ssn, card_number FROM shop.customers LIMIT 20")
            with pytest.raises(asyncpg.PostgresError):  # a hash-masked column may not be compared
                await conn.fetch(f"SELECT id FROM shop.customers WHERE phone = '{customer.phone}'")
            with pytest.raises(asyncpg.PostgresError):  # an error that echoes the value to the client
                await conn.fetch(f"SELECT '{customer.ssn}'::int")
            await conn.fetch("SELECT id FROM shop.customers WHERE ssn = $1", customer.ssn)
        finally:
            await conn.close()
        admin = await asyncpg_connect(gw, "root", ("admin",))
        try:
            clear_ssn = await admin.fetchval(f"SELECT ssn FROM shop.customers WHERE id = {customer.id}")
            assert clear_ssn == customer.ssn
        finally:
            await admin.close()


def test_the_detectors_find_what_they_look_for(clear_values: ClearValues, demo_dir: Path) -> None:
    customer = clear_values.customers[min(clear_values.customers)]
    token = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLW9mLWEtdG9rZW4tZm9yLXRlc3Rz"
    keys = key_material([demo_dir])
    assert len(keys) >= 5
    assert findings(b'{"message": "' + token.encode() + b'"}', [], keys, clear_values)
    assert findings(b"ssn " + customer.ssn.encode(), [], keys, clear_values)
    assert findings(next(iter(keys)), [], keys, clear_values)
    assert not findings(b'{"event": "statement", "sqlstate": "42501", "rows": 0}', [], keys, clear_values)


@pytest.mark.logscan
async def test_no_log_holds_a_token_a_key_or_a_clear_value(
    demo_copy: Callable[[str], Path], clear_values: ClearValues, tmp_path_factory: pytest.TempPathFactory
) -> None:
    await _exercise(demo_copy("ops-log-scan"), clear_values)
    base = tmp_path_factory.getbasetemp()
    logs = sorted(base.rglob("gateway-*.log"))
    assert logs, f"no gateway log under {base}"
    keys = key_material([base])
    leaks = {}
    lines = 0
    for path in logs:
        data = path.read_bytes()
        lines += data.count(b'"event": "statement"')
        found = findings(data, MINTED, keys, clear_values)
        if found:
            leaks[str(path.relative_to(base))] = found[:5]
    assert lines > 0, "the logs hold no statement lines: nothing was scanned"
    assert not leaks, leaks
