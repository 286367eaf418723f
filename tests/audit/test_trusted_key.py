"""verify trusts the gateway's public key, never silently the copy stored beside the log:
a log rewritten and re-signed with an attacker's key, whose audit.pub was replaced too, must
fail against the gateway's key."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from pgbridge.audit.log import AuditLog
from pgbridge.audit.settings import AuditSettings, generate_signing_key
from tests.support.cli import run_cli


async def _write_log(settings: AuditSettings) -> None:
    log = await AuditLog.open(settings)
    await log.append("statement", {"session_id": "s1", "sql": "SELECT 1"})
    await log.close()


def _verify(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("audit", "verify", *args)


async def test_a_log_resigned_with_another_key_fails_against_the_gateways_key(
    tmp_path: Path, make_settings
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    real = data_dir / "audit-signing-key.pem"
    generate_signing_key(real)  # the gateway's key pair lives in the data dir, outside audit/
    forger = tmp_path / "forger" / "audit-signing-key.pem"
    generate_signing_key(forger)
    # The forged log: written (sealed) with the forger's key, audit.pub beside it is the forger's.
    await _write_log(make_settings(directory=data_dir / "audit", signing_key_file=forger))
    rejected = _verify("--data-dir", str(data_dir))
    assert rejected.returncode == 1, rejected.stdout + rejected.stderr
    # Without the gateway's key at hand, verify says loudly what it is trusting.
    shutil.move(str(data_dir / "audit-signing-key.pub"), str(tmp_path / "elsewhere.pub"))
    fallback = _verify("--data-dir", str(data_dir))
    assert "stored beside the log itself" in fallback.stderr
    assert (
        _verify("--data-dir", str(data_dir), "--public-key", str(tmp_path / "elsewhere.pub")).returncode == 1
    )
