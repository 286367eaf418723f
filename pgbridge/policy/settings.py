"""The [policy] table of the config file, read into frozen dataclasses at start-up.

Everything a rule needs is parsed and checked here, once: globs are validated, row-filter
predicates are parsed (with `{claims.x}` placeholders) so a bad predicate stops the gateway
at start-up instead of failing a query later. Every error names the dotted key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Literal

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from pgbridge.config_base import ConfigError, Section
from pgbridge.policy.filterscope import check_role_filters, pin_filter_columns

STATEMENT_KINDS = ("select", "insert", "update", "delete", "merge", "ddl")
DML_KINDS = frozenset({"insert", "update", "delete", "merge"})
APPROVAL_MODES = ("wait", "ticket")
DEFAULT_MAX_BYTES_BILLED = 10 * 1024**3  # 10 GiB: a second guard on every real job
# Statements (dry runs, backend work, result batches) and catalog queries one principal may
# have running at once; more wait their turn (pgbridge.policy.concurrency).
DEFAULT_MAX_CONCURRENT_STATEMENTS = 4
DEFAULT_MAX_CONCURRENT_CATALOG = 2
# How long a gateway's connection leases in the PostgreSQL store last without a heartbeat.
DEFAULT_STORE_LEASE_S = 15.0

_CLAIM_REF = re.compile(r"\{claims\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\}")
_TABLE_KEY = re.compile(r"^[A-Za-z0-9_*?\[\]-]+\.[A-Za-z0-9_*?\[\]-]+$")
_FUNCTION_PATTERN = re.compile(r"^[A-Za-z0-9_*?.]+$")
CLAIM_PLACEHOLDER = "__pgbridge_claim_{}__"


@dataclass(frozen=True)
class RowFilter:
    """One table's predicate; `condition` holds placeholder columns for the claims it uses."""

    table: tuple[str, str]  # (dataset, table)
    template: str
    condition: exp.Expr
    claim_paths: tuple[str, ...]  # placeholder i stands for claims[claim_paths[i]]
    reads: frozenset[tuple[str, str]] = frozenset()  # tables its subqueries read


@dataclass(frozen=True)
class RoleSettings:
    name: str
    read_tables: tuple[str, ...]  # "dataset.table" globs (datasets = [...] become "ds.*")
    write_tables: tuple[str, ...]
    statements: frozenset[str]
    functions: tuple[str, ...]  # extra function-name globs, upper case
    default_functions: bool
    max_rows: int | None
    max_bytes: int | None
    over_max_bytes: Literal["deny", "approve"]
    max_bytes_billed: int
    approve_statements: frozenset[str]
    approve_tables: tuple[str, ...]
    approval_mode: Literal["wait", "ticket"]
    row_filters: Mapping[tuple[str, str], RowFilter] = field(default_factory=dict)
    max_connections: int | None = None
    queries_per_minute: int | None = None
    bytes_per_day: int | None = None
    max_concurrent_statements: int = DEFAULT_MAX_CONCURRENT_STATEMENTS
    max_concurrent_catalog: int = DEFAULT_MAX_CONCURRENT_CATALOG


@dataclass(frozen=True)
class ApprovalSettings:
    store_path: Path
    mode: Literal["wait", "ticket"] = "wait"
    wait_timeout_s: float = 300.0
    pending_ttl_s: float = 86400.0
    approved_ttl_s: float = 3600.0
    approver_role: str = "approver"
    poll_interval_s: float = 0.2


@dataclass(frozen=True)
class PolicySettings:
    roles: Mapping[str, RoleSettings]
    approvals: ApprovalSettings
    max_bytes_billed: int = DEFAULT_MAX_BYTES_BILLED
    # [policy.store] url: approvals in PostgreSQL, shared by several gateways (None: the SQLite file)
    store_url: str | None = None
    # [policy.store] lease_s: a dead gateway's connections stop counting against limits after this
    store_lease_s: float = DEFAULT_STORE_LEASE_S


def policy_settings_from(section: Section, base_dir: Path) -> PolicySettings:
    """Read and validate the [policy] table; relative paths are taken from `base_dir`."""
    max_billed = _positive(section, "max_bytes_billed", DEFAULT_MAX_BYTES_BILLED)
    approvals = _approvals_from(section.sub("approvals"), base_dir)
    roles_section = section.sub("roles")
    roles: dict[str, RoleSettings] = {}
    for name in sorted(roles_section.table):
        roles[name] = _role_from(roles_section.sub(name), name, approvals.mode, max_billed)
    roles_section.check_unknown()
    store_url, lease_s = None, DEFAULT_STORE_LEASE_S
    if "store" in section.table:
        store_url, lease_s = _store(section.sub("store"))
    section.check_unknown()
    return PolicySettings(
        roles=roles,
        approvals=approvals,
        max_bytes_billed=max_billed,
        store_url=store_url,
        store_lease_s=lease_s,
    )


def _store(section: Section) -> tuple[str, float]:
    url = section.require("url", str)
    if not url.startswith(("postgresql://", "postgres://")):
        raise ConfigError(section.key("url"), "must be a postgresql:// URL")
    lease_s = _positive_float(section, "lease_s", DEFAULT_STORE_LEASE_S)
    section.check_unknown()
    return url, lease_s


def _approvals_from(section: Section, base_dir: Path) -> ApprovalSettings:
    store = Path(section.get("store", str, "approvals.sqlite"))
    mode = section.choice("mode", APPROVAL_MODES, "wait")
    settings = ApprovalSettings(
        store_path=store if store.is_absolute() else base_dir / store,
        mode="ticket" if mode == "ticket" else "wait",
        wait_timeout_s=_positive_float(section, "wait_timeout_seconds", 300.0),
        pending_ttl_s=_positive_float(section, "pending_ttl_seconds", 86400.0),
        approved_ttl_s=_positive_float(section, "approved_ttl_seconds", 3600.0),
        approver_role=section.get("approver_role", str, "approver"),
        poll_interval_s=_positive_float(section, "poll_interval_seconds", 0.2),
    )
    section.check_unknown()
    return settings


def _role_from(section: Section, name: str, default_mode: str, max_billed: int) -> RoleSettings:
    datasets = section.str_list("datasets")
    for i, ds in enumerate(datasets):
        if not re.fullmatch(r"[A-Za-z0-9_*?-]+", ds):
            raise ConfigError(f"{section.key('datasets')}[{i}]", f"not a dataset name or glob: {ds!r}")
    read = tuple(f"{ds}.*" for ds in datasets) + _table_globs(section, "tables")
    over = section.choice("over_max_bytes", ("deny", "approve"), "deny")
    mode = section.choice("approval_mode", APPROVAL_MODES, default_mode)
    role = RoleSettings(
        name=name,
        read_tables=read,
        write_tables=_table_globs(section, "write_tables"),
        statements=_kinds(section, "statements", ("select",)),
        functions=_function_globs(section),
        default_functions=section.get("default_functions", bool, True),
        max_rows=_optional_positive(section, "max_rows"),
        max_bytes=_optional_positive(section, "max_bytes"),
        over_max_bytes="approve" if over == "approve" else "deny",
        max_bytes_billed=_positive(section, "max_bytes_billed", max_billed),
        approve_statements=_kinds(section, "approve_statements", ()),
        approve_tables=_table_globs(section, "approve_tables"),
        approval_mode="ticket" if mode == "ticket" else "wait",
        row_filters=_row_filters(section.sub("row_filters")),
        max_connections=_optional_positive(section, "max_connections"),
        queries_per_minute=_optional_positive(section, "queries_per_minute"),
        bytes_per_day=_optional_positive(section, "bytes_per_day"),
        max_concurrent_statements=_positive(
            section, "max_concurrent_statements", DEFAULT_MAX_CONCURRENT_STATEMENTS
        ),
        max_concurrent_catalog=_positive(section, "max_concurrent_catalog", DEFAULT_MAX_CONCURRENT_CATALOG),
    )
    section.check_unknown()
    _check_filter_reads(section.path, role)
    return role


def _check_filter_reads(role_key: str, role: RoleSettings) -> None:
    reads = {table: f.reads for table, f in role.row_filters.items()}
    wanted = {t for r in reads.values() for t in r}
    can_read = {t: any(fnmatchcase(".".join(t), glob) for glob in role.read_tables) for t in wanted}
    check_role_filters(role_key, can_read, reads)


def _table_globs(section: Section, key: str) -> tuple[str, ...]:
    globs = section.str_list(key)
    for i, glob in enumerate(globs):
        if not _TABLE_KEY.match(glob):
            message = f"expected 'dataset.table' (globs allowed), got {glob!r}"
            raise ConfigError(f"{section.key(key)}[{i}]", message)
    return globs


def _kinds(section: Section, key: str, default: tuple[str, ...]) -> frozenset[str]:
    kinds = section.str_list(key, default)
    for i, kind in enumerate(kinds):
        if kind not in STATEMENT_KINDS:
            message = f"must be one of {', '.join(STATEMENT_KINDS)}, got {kind!r}"
            raise ConfigError(f"{section.key(key)}[{i}]", message)
    return frozenset(kinds)


def _function_globs(section: Section) -> tuple[str, ...]:
    names = section.str_list("functions")
    for i, name in enumerate(names):
        if not _FUNCTION_PATTERN.match(name):
            raise ConfigError(f"{section.key('functions')}[{i}]", f"not a function name or glob: {name!r}")
    return tuple(name.upper() for name in names)


def _row_filters(section: Section) -> dict[tuple[str, str], RowFilter]:
    filters: dict[tuple[str, str], RowFilter] = {}
    for table_key in sorted(section.table):
        template = section.get(table_key, str, "")
        parts = table_key.split(".")
        if len(parts) != 2 or not all(re.fullmatch(r"[A-Za-z0-9_-]+", p) for p in parts):
            raise ConfigError(section.key(table_key), "row filter key must be an exact 'dataset.table'")
        table = (parts[0], parts[1])
        filters[table] = parse_row_filter(table, template, section.key(table_key))
    return filters


def parse_row_filter(table: tuple[str, str], template: str, key: str) -> RowFilter:
    """Parse `template` as a boolean condition; `{claims.x}` become placeholder columns."""
    paths: list[str] = []

    def placeholder(match: re.Match[str]) -> str:
        paths.append(match.group(1))
        return CLAIM_PLACEHOLDER.format(len(paths) - 1)

    text = _CLAIM_REF.sub(placeholder, template)
    if "{" in text or "}" in text:
        raise ConfigError(key, "placeholders must look like {claims.name}")
    try:
        select = sqlglot.parse_one(f"SELECT 1 WHERE {text}", read="postgres")
    except ParseError as exc:
        raise ConfigError(key, f"row filter is not a valid SQL condition: {exc}") from None
    where = select.args.get("where") if isinstance(select, exp.Select) else None
    if where is None or not text.strip():
        raise ConfigError(key, "row filter must be a single SQL condition")
    condition = where.this.copy()
    used = [c.name for c in condition.find_all(exp.Column) if c.name.startswith("__pgbridge_claim_")]
    if len(used) != len(paths):
        raise ConfigError(key, "a {claims.x} placeholder must stand for a value, not sit inside quotes")
    reads = pin_filter_columns(condition, table, key)
    return RowFilter(table=table, template=template, condition=condition, claim_paths=tuple(paths),
                     reads=reads)


def _positive(section: Section, key: str, default: int) -> int:
    value = section.get(key, int, default)
    if value <= 0:
        raise ConfigError(section.key(key), "must be a positive integer")
    return value


def _optional_positive(section: Section, key: str) -> int | None:
    value = section.optional(key, int)
    if value is not None and value <= 0:
        raise ConfigError(section.key(key), "must be a positive integer")
    return value


def _positive_float(section: Section, key: str, default: float) -> float:
    value = section.get(key, float, default)
    if value <= 0:
        raise ConfigError(section.key(key), "must be a positive number")
    return value
