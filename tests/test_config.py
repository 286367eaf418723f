"""The configuration file: the documented example loads, and mistakes name their key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pgbridge.config import load_config
from pgbridge.config_base import ConfigError

EXAMPLE = Path(__file__).parent.parent / "config.example.toml"


def test_example_config_loads_with_every_section(demo_dir: Path, tmp_path: Path) -> None:
    for name in (
        "token-signing.pub",
        "masking-hash.key",
        "server.crt",
        "server.key",
        "audit-signing-key.pem",
    ):
        shutil.copy(demo_dir / name, tmp_path / name)
    target = tmp_path / "pgbridge.toml"
    shutil.copy(EXAMPLE, target)
    config = load_config(target)
    assert config.server.require_tls and config.server.port == 5433
    assert config.auth.algorithms == ("EdDSA", "RS256", "ES256")
    assert config.backend.kind == "duckdb" and config.backend.duckdb_database == tmp_path / "warehouse.duckdb"
    assert config.policy.roles["example"].max_rows == 100_000
    assert [rule.strategy for rule in config.masking.rules] == ["partial", "hash"]
    assert config.audit.fsync == "batch"
    duck = config.backend.duckdb
    assert (duck.memory_limit, duck.max_temp_directory_size) == ("1GB", "4GB")
    assert duck.limits().temp_directory == tmp_path / "warehouse.duckdb.tmp"
    assert (config.catalog.statement_timeout_ms, config.catalog.memory_limit) == (10_000, "256MB")
    assert config.policy.roles["example"].max_concurrent_statements == 4


def test_demo_config_loads(demo_dir: Path) -> None:
    config = load_config(demo_dir / "pgbridge.toml")
    assert set(config.policy.roles) == {"analyst", "support", "approver", "admin"}


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (("port = 5433", "port = 99999"), "server.port"),
        (("port = 5433", 'port = "5433"'), "server.port"),
        (("admin_session_minutes = 480", "admin_session_minutes = 0"), "server.admin_session_minutes"),
        (
            ("admin_price_per_tib_usd = 6.25", "admin_price_per_tib_usd = -1"),
            "server.admin_price_per_tib_usd",
        ),
        (("admin_http_tls = false", 'admin_http_tls = "yes"'), "server.admin_http_tls"),
        (("require_tls = true", "require_tls = true\nrequire_tsl = false"), "server.require_tsl"),
        (('kind = "duckdb"', 'kind = "oracle"'), "backend.kind"),
        (('algorithms = ["EdDSA", "RS256", "ES256"]', 'algorithms = ["HS256"]'), "auth.algorithms"),
        (('memory_limit = "1GB"', 'memory_limit = "lots"'), "backend.duckdb.memory_limit"),
        (
            ('max_temp_directory_size = "4GB"', "max_temp_directory_size = 4"),
            "backend.duckdb.max_temp_directory_size",
        ),
        (("statement_timeout_ms = 10000", "statement_timeout_ms = 0"), "catalog.statement_timeout_ms"),
        (('memory_limit = "256MB"', 'memory_limit = "256"'), "catalog.memory_limit"),
        (
            ("max_concurrent_catalog = 2", "max_concurrent_catalog = -1"),
            "policy.roles.example.max_concurrent_catalog",
        ),
    ],
)
def test_errors_name_the_key(demo_dir: Path, tmp_path: Path, edit: tuple[str, str], key: str) -> None:
    for name in (
        "token-signing.pub",
        "masking-hash.key",
        "server.crt",
        "server.key",
        "audit-signing-key.pem",
    ):
        shutil.copy(demo_dir / name, tmp_path / name)
    text = EXAMPLE.read_text().replace(*edit, 1)
    target = tmp_path / "pgbridge.toml"
    target.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(target)
    assert caught.value.key == key
