"""Masking settings: which source columns are masked how, for whom, and the hash key.

Read from the `[masking]` TOML table:

    [masking]
    hash_key_file = "secrets/mask.key"     # bytes; held by the gateway only
    [[masking.rules]]
    pattern = "shop.customers.ssn"          # dataset.table.column, fnmatch globs per part
    strategy = "partial"                    # redact null hash partial email year round
    exempt_roles = ["admin"]
    keep = 4                                # partial only
    # digits = 0                            # round only
    # allow_equality = true                 # hash only: `col = v`, joins, GROUP BY on pseudonyms
    [[masking.detectors]]
    kinds = ["email", "card", "ssn", "iban", "phone"]
    columns = "*"                           # "*" = every text output column, or a column pattern
    exempt_roles = ["admin"]

A rule applies to a principal unless the principal holds one of its exempt roles. Every
error names the key at fault.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from pgbridge.auth.principal import Principal
from pgbridge.config_base import ConfigError, Section

STRATEGIES = ("redact", "null", "hash", "partial", "email", "year", "round")
DETECTOR_KINDS = ("card", "email", "ssn", "iban", "phone")
MIN_HASH_KEY_BYTES = 16


def _globs_match(pattern: str, dataset: str, table: str, column: str | None) -> bool:
    parts = pattern.lower().split(".")
    values = [dataset, table, column]
    for glob, value in zip(parts, values, strict=True):
        # An unknown dataset ("") or column (None) could be anything: match (fail closed).
        if value and not fnmatch.fnmatchcase(value.lower(), glob):
            return False
    return True


def _exempt(exempt_roles: tuple[str, ...], principal: Principal) -> bool:
    return any(principal.has_role(role) for role in exempt_roles)


@dataclass(frozen=True)
class MaskRule:
    pattern: str  # "dataset.table.column", fnmatch globs per part
    strategy: str
    exempt_roles: tuple[str, ...] = ()
    options: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    allow_equality: bool = False  # hash only

    def matches(self, dataset: str, table: str, column: str) -> bool:
        return _globs_match(self.pattern, dataset, table, column)

    def matches_table(self, dataset: str, table: str) -> bool:
        return _globs_match(self.pattern, dataset, table, None)

    def applies_to(self, principal: Principal) -> bool:
        return not _exempt(self.exempt_roles, principal)


@dataclass(frozen=True)
class DetectorRule:
    kinds: tuple[str, ...]
    columns: str = "*"  # "*": every text output column; else a dataset.table.column pattern
    exempt_roles: tuple[str, ...] = ()
    replacement: str = "****"

    @property
    def all_text(self) -> bool:
        return self.columns == "*"

    def matches(self, dataset: str, table: str, column: str) -> bool:
        return self.all_text or _globs_match(self.columns, dataset, table, column)

    def matches_table(self, dataset: str, table: str) -> bool:
        return not self.all_text and _globs_match(self.columns, dataset, table, None)

    def applies_to(self, principal: Principal) -> bool:
        return not _exempt(self.exempt_roles, principal)


@dataclass(frozen=True)
class MaskingSettings:
    rules: tuple[MaskRule, ...] = ()
    hash_key: bytes = field(default=b"", repr=False)
    detectors: tuple[DetectorRule, ...] = ()


def masking_settings_from(section: Section, base_dir: Path) -> MaskingSettings:
    """Build MaskingSettings from the `[masking]` table; relative paths are under base_dir."""
    rules = tuple(_rule(item) for item in _table_list(section, "rules"))
    detectors = tuple(_detector(item) for item in _table_list(section, "detectors"))
    key_file = section.optional("hash_key_file", str)
    section.check_unknown()
    hash_key = _read_key(section.key("hash_key_file"), key_file, base_dir) if key_file else b""
    if not hash_key and any(rule.strategy == "hash" for rule in rules):
        raise ConfigError(section.key("hash_key_file"), "is required when a rule uses strategy 'hash'")
    return MaskingSettings(rules, hash_key, detectors)


def _table_list(section: Section, name: str) -> list[Section]:
    items = section.get(name, list, [])
    out = []
    for index, item in enumerate(items):
        key = f"{section.key(name)}[{index}]"
        if not isinstance(item, Mapping):
            raise ConfigError(key, "expected a table")
        out.append(Section(item, key))
    return out


def _pattern(section: Section, name: str) -> str:
    pattern = section.require(name, str)
    if pattern.count(".") != 2 or any(not part for part in pattern.split(".")):
        raise ConfigError(
            section.key(name), f"expected dataset.table.column (globs allowed), got {pattern!r}"
        )
    return pattern


def _rule(section: Section) -> MaskRule:
    pattern = _pattern(section, "pattern")
    strategy = section.require("strategy", str)
    if strategy not in STRATEGIES:
        raise ConfigError(
            section.key("strategy"), f"must be one of {', '.join(STRATEGIES)}, got {strategy!r}"
        )
    exempt = section.str_list("exempt_roles")
    options: dict[str, object] = {}
    keep = section.optional("keep", int)
    digits = section.optional("digits", int)
    allow_equality = section.get("allow_equality", bool, False)
    _only_for(section, "keep", keep is not None, strategy, "partial")
    _only_for(section, "digits", digits is not None, strategy, "round")
    _only_for(section, "allow_equality", allow_equality, strategy, "hash")
    if strategy == "partial":
        if keep is not None and keep < 0:
            raise ConfigError(section.key("keep"), "must be zero or more")
        options["keep"] = 4 if keep is None else keep
    if strategy == "round":
        options["digits"] = 0 if digits is None else digits
    section.check_unknown()
    return MaskRule(pattern, strategy, exempt, MappingProxyType(options), allow_equality)


def _only_for(section: Section, key: str, present: bool, strategy: str, wanted: str) -> None:
    if present and strategy != wanted:
        raise ConfigError(section.key(key), f"only applies to strategy {wanted!r}, not {strategy!r}")


def _detector(section: Section) -> DetectorRule:
    kinds = section.str_list("kinds", DETECTOR_KINDS)
    unknown = [kind for kind in kinds if kind not in DETECTOR_KINDS]
    if unknown or not kinds:
        raise ConfigError(section.key("kinds"), f"must be a non-empty list from {', '.join(DETECTOR_KINDS)}")
    columns = section.get("columns", str, "*")
    if columns != "*":
        columns = _pattern(section, "columns")
    exempt = section.str_list("exempt_roles")
    replacement = section.get("replacement", str, "****")
    section.check_unknown()
    return DetectorRule(kinds, columns, exempt, replacement)


def _read_key(key: str, name: str, base_dir: Path) -> bytes:
    path = Path(name) if Path(name).is_absolute() else base_dir / name
    try:
        data = path.read_bytes().strip()
    except OSError as exc:
        raise ConfigError(key, f"cannot read {path}: {exc.strerror}") from None
    if len(data) < MIN_HASH_KEY_BYTES:
        raise ConfigError(
            key, f"{path} holds {len(data)} bytes; a hash key needs at least {MIN_HASH_KEY_BYTES}"
        )
    return data
