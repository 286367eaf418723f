"""SIGHUP, sent to a real gateway process: policy, masking rules, token keys and the TLS
certificate change without dropping a connection; an invalid new configuration is refused
and the old one stays in force. And `pgbridge check-config`."""

from __future__ import annotations

import asyncio
import shutil
import signal
import ssl
import time
from collections.abc import Callable
from pathlib import Path

import asyncpg
import pytest

from pgbridge.demo.setup import TOKEN_KEY, TOKEN_PUBLIC_KEY, ensure_certificate, ensure_token_keys
from tests.masking_wire.clear_values import ClearValues
from tests.ops.support import OpsGateway, log_lines, ops_gateway, value
from tests.support.cli import run_cli
from tests.support.clients import asyncpg_connect

# Gateway processes started, signalled, killed or run side by side: the slow lane (make test).
pytestmark = pytest.mark.slow

SSN = "SELECT id, ssn FROM shop.customers ORDER BY id LIMIT 1"
AUDITOR_ROLE = '\n[policy.roles.auditor]\ndatasets = ["shop"]\n'


async def _hup(og: OpsGateway, result: str) -> dict[str, object]:
    """Send SIGHUP and wait for the reload's log line; returns it (it must say `result`)."""
    seen = len([line for line in log_lines(og.gw) if line.get("event") == "reload"])
    og.gw.process.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 20
    while True:
        reloads = [line for line in log_lines(og.gw) if line.get("event") == "reload"]
        if len(reloads) > seen:
            assert reloads[seen]["result"] == result, reloads[seen]
            return reloads[seen]
        assert time.monotonic() < deadline, "no reload line in the log"
        await asyncio.sleep(0.05)


def _verify_full(cert: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = True
    return context


def _rotate(data_dir: Path, saved: Path) -> None:
    """New token keys and a new TLS certificate, the old ones kept in `saved`."""
    saved.mkdir()
    for name in (TOKEN_KEY, TOKEN_PUBLIC_KEY, "server.crt", "server.key"):
        shutil.move(data_dir / name, saved / name)
    ensure_token_keys(data_dir)
    ensure_certificate(data_dir)


async def test_sighup_reloads_without_dropping_connections(
    demo_copy: Callable[[str], Path], clear_values: ClearValues, tmp_path: Path
) -> None:
    with ops_gateway(demo_copy("ops-reload")) as og:
        gw = og.gw
        conn = await asyncpg_connect(gw, "alice", ("analyst",), ssl=_verify_full(gw.cert))
        prepared = await conn.prepare(SSN)
        row = await prepared.fetchrow()
        clear_ssn = clear_values.customers[row["id"]].ssn
        assert row["ssn"] == "****" + clear_ssn[-4:]
        old_token = gw.token("olga", ("admin",))
        with pytest.raises(asyncpg.PostgresError) as refused:
            await asyncpg_connect(gw, "aude", ("auditor",))
        assert refused.value.sqlstate == "28000"

        config = gw.config_path.read_text()
        unmasked = config.replace('pattern = "shop.customers.ssn"', 'pattern = "shop.customers.nothing"')
        assert unmasked != config
        gw.config_path.write_text(unmasked + AUDITOR_ROLE)
        _rotate(gw.data_dir, tmp_path / "old")
        line = await _hup(og, "applied")
        changes = set(line["changes"])  # type: ignore[arg-type]
        assert {
            "policy role auditor added",
            "masking rules changed (4 rules)",
            "token verification key changed",
            "TLS certificate changed",
        } <= changes

        # the same connection and the same prepared statement, planned again under the new rules
        assert (await prepared.fetchrow())["ssn"] == clear_ssn
        assert await conn.fetchval("SELECT 1") == 1
        # the new role exists, tokens of the new key pass and of the old key do not
        aude = await asyncpg_connect(gw, "aude", ("auditor",), ssl=_verify_full(gw.cert))
        assert await aude.fetchval("SELECT count(*) FROM shop.products") == 1000
        await aude.close()
        with pytest.raises(asyncpg.PostgresError) as old_key:
            await asyncpg_connect(gw, "olga", ("admin",), password=old_token)
        assert old_key.value.sqlstate == "28P01"
        # new handshakes present the new certificate: the old one no longer verifies
        with pytest.raises(ssl.SSLCertVerificationError):
            old_root = _verify_full(tmp_path / "old" / "server.crt")
            await asyncpg_connect(gw, "alice", ("analyst",), ssl=old_root)
        await conn.close()
        assert value(og.metrics(), "pgbridge_config_reloads_total", result="applied") == 1


async def test_an_invalid_configuration_is_refused_and_the_old_one_kept(
    demo_copy: Callable[[str], Path],
) -> None:
    with ops_gateway(demo_copy("ops-reload-refused")) as og:
        gw = og.gw
        conn = await asyncpg_connect(gw, "alice", ("analyst",))
        assert (await conn.fetchval(SSN.replace("id, ssn", "ssn"))).startswith("****")
        config = gw.config_path.read_text()
        unmasked = config.replace('pattern = "shop.customers.ssn"', 'pattern = "shop.customers.nothing"')
        broken = {
            "unknown key": unmasked.replace("[server]\n", "[server]\nbogus_key = 1\n"),
            "missing key file": unmasked.replace('public_key_file = "token-signing.pub"',
                                                 'public_key_file = "no-such.pub"'),
            "missing certificate": unmasked.replace(
                'tls_cert_file = "server.crt"', 'tls_cert_file = "gone.crt"'
            ),
        }
        for what, text in broken.items():
            assert text != unmasked, what
            gw.config_path.write_text(text)
            line = await _hup(og, "refused")
            assert "old configuration stays in force" in str(line["message"]), what
            # still masked, still connected, new clients still served with the old keys
            assert (await conn.fetchval(SSN.replace("id, ssn", "ssn"))).startswith("****"), what
            other = await asyncpg_connect(gw, "bob", ("analyst",))
            await other.close()
            done = run_cli("check-config", str(gw.config_path))
            assert done.returncode == 2 and "pgbridge:" in done.stderr, (what, done.stderr)
        assert value(og.metrics(), "pgbridge_config_reloads_total", result="refused") == len(broken)
        await conn.close()


def test_check_config_accepts_the_demo_and_names_what_is_wrong(demo_copy: Callable[[str], Path]) -> None:
    folder = demo_copy("ops-check-config")
    config = folder / "pgbridge.toml"
    done = run_cli("check-config", str(config))
    assert done.returncode == 0 and done.stdout.startswith(f"OK: {config}"), done.stderr
    text = config.read_text()
    config.write_text(text.replace("require_tls = true", "require_tls = \"yes\""))
    done = run_cli("check-config", str(config))
    assert done.returncode == 2 and "server.require_tls" in done.stderr, done.stderr
    (folder / "token-signing.pub").write_text("not a key\n")
    config.write_text(text)
    done = run_cli("check-config", str(config))
    assert done.returncode == 2 and "pgbridge:" in done.stderr and "Traceback" not in done.stderr
