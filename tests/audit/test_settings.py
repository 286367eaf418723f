"""[audit] settings: defaults, errors that name the key, and the key pair."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from pgbridge.audit.settings import audit_settings_from, generate_signing_key, load_signing_key
from pgbridge.config_base import ConfigError, Section


def test_defaults_live_under_the_data_dir(tmp_path: Path):
    settings = audit_settings_from(Section({}, "audit"), tmp_path)
    assert settings.directory == tmp_path / "audit"
    assert settings.signing_key_file == tmp_path / "audit-signing-key.pem"
    assert settings.fsync == "batch" and settings.fsync_batch_ms == 0
    assert settings.enabled and settings.record_results
    assert settings.retention_days is None


def test_values_are_read(tmp_path: Path):
    table = {"directory": "/var/log/pgb", "fsync": "always", "retention_days": 30, "record_max_rows": 5}
    settings = audit_settings_from(Section(table, "audit"), tmp_path)
    assert settings.directory == Path("/var/log/pgb") and settings.fsync == "always"
    assert settings.retention_days == 30 and settings.record_max_rows == 5


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ({"fsync": "sometimes"}, "audit.fsync"),
        ({"fsync_batch_ms": -1}, "audit.fsync_batch_ms"),
        ({"fsync_batch_ms": 5000}, "audit.fsync_batch_ms"),
        ({"rotate_bytes": 10}, "audit.rotate_bytes"),
        ({"retention_days": 0}, "audit.retention_days"),
        ({"record_max_rows": "many"}, "audit.record_max_rows"),
        ({"enabled": "yes"}, "audit.enabled"),
        ({"directory": ""}, "audit.directory"),
        ({"retension_days": 3}, "audit.retension_days"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, table: dict, key: str):
    with pytest.raises(ConfigError) as error:
        audit_settings_from(Section(table, "audit"), tmp_path)
    assert error.value.key == key


def test_generated_key_is_private_and_never_overwritten(tmp_path: Path):
    path = tmp_path / "k" / "signing.pem"
    generate_signing_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.with_suffix(".pub").read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    load_signing_key(path)
    with pytest.raises(FileExistsError):
        generate_signing_key(path)


def test_a_key_others_can_read_is_refused(tmp_path: Path):
    path = tmp_path / "signing.pem"
    generate_signing_key(path)
    path.chmod(0o644)
    with pytest.raises(PermissionError, match="chmod 600"):
        load_signing_key(path)
