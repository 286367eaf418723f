"""[masking] configuration: typed rules, key file, and errors that name the key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from pgbridge.auth.principal import Principal
from pgbridge.config_base import ConfigError, Section
from pgbridge.masking.settings import MaskingSettings, masking_settings_from

DEMO = """
[masking]
hash_key_file = "mask.key"
[[masking.rules]]
pattern = "shop.customers.ssn"
strategy = "partial"
keep = 4
exempt_roles = ["admin"]
[[masking.rules]]
pattern = "shop.*.email"
strategy = "hash"
allow_equality = true
exempt_roles = ["admin"]
[[masking.rules]]
pattern = "shop.customers.lifetime_value"
strategy = "round"
digits = -2
[[masking.detectors]]
kinds = ["email", "card"]
columns = "*"
"""


def _load(text: str, base: Path) -> MaskingSettings:
    section = Section(tomllib.loads(text).get("masking"), "masking")
    return masking_settings_from(section, base)


@pytest.fixture()
def base(tmp_path: Path) -> Path:
    (tmp_path / "mask.key").write_bytes(b"0123456789abcdef0123456789abcdef\n")
    return tmp_path


def test_demo_config(base: Path) -> None:
    settings = _load(DEMO, base)
    ssn, email, ltv = settings.rules
    assert settings.hash_key == b"0123456789abcdef0123456789abcdef"
    assert (ssn.strategy, dict(ssn.options), ssn.exempt_roles) == ("partial", {"keep": 4}, ("admin",))
    assert (
        email.allow_equality
        and email.matches("shop", "orders", "EMAIL")
        and not email.matches("x", "o", "email")
    )
    assert dict(ltv.options) == {"digits": -2}
    assert settings.detectors[0].kinds == ("email", "card") and settings.detectors[0].all_text
    assert not ssn.applies_to(Principal("a", ("admin", "analyst"))) and ssn.applies_to(
        Principal("b", ("analyst",))
    )
    assert "0123" not in repr(settings)  # the key never shows in logs


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (('strategy = "partial"', 'strategy = "shuffle"'), "masking.rules[0].strategy"),
        (("keep = 4", "keep = -1"), "masking.rules[0].keep"),
        (("keep = 4", 'keep = "4"'), "masking.rules[0].keep"),
        (('pattern = "shop.customers.ssn"', 'pattern = "customers.ssn"'), "masking.rules[0].pattern"),
        (("digits = -2", "keep = 2"), "masking.rules[2].keep"),
        (('strategy = "hash"', 'strategy = "redact"'), "masking.rules[1].allow_equality"),
        (('exempt_roles = ["admin"]', "exempt_roles = [1]"), "masking.rules[0].exempt_roles"),
        (('kinds = ["email", "card"]', 'kinds = ["dna"]'), "masking.detectors[0].kinds"),
        (('columns = "*"', 'columns = "notes"'), "masking.detectors[0].columns"),
        (("keep = 4", "kep = 4"), "masking.rules[0].kep"),
        (('hash_key_file = "mask.key"', 'hash_key_file = "missing.key"'), "masking.hash_key_file"),
        (('hash_key_file = "mask.key"', 'hashkey = "mask.key"'), "masking.hashkey"),
    ],
)
def test_errors_name_the_key(base: Path, change: tuple[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        _load(DEMO.replace(*change), base)
    assert info.value.key == key


def test_hash_rule_needs_a_long_enough_key(base: Path) -> None:
    with pytest.raises(ConfigError, match="hash_key_file"):
        _load(DEMO.replace('hash_key_file = "mask.key"\n', ""), base)
    (base / "short.key").write_bytes(b"tiny")
    with pytest.raises(ConfigError, match="at least 16"):
        _load(DEMO.replace("mask.key", "short.key"), base)


def test_empty_section_masks_nothing(base: Path) -> None:
    settings = masking_settings_from(Section(None, "masking"), base)
    assert settings.rules == () and settings.detectors == () and settings.hash_key == b""
