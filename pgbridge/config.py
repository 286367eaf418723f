"""The configuration file (TOML) read into typed, validated settings.

Each stage owns its section's settings and parser; this module reads the file, hands each
table to its parser and checks that no unknown key is left. Every error names the dotted
key, so `pgbridge serve` refuses to start on a typo instead of running with a default.
Relative paths in the file are relative to the file's own folder.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pgbridge.audit.settings import AuditSettings, audit_settings_from
from pgbridge.auth.jwt import AuthSettings, auth_settings_from
from pgbridge.backends.bigquery_config import BigQuerySettings, bigquery_settings_from
from pgbridge.backends.duckdb import DuckDBSettings
from pgbridge.backends.duckdb_config import duckdb_settings_from
from pgbridge.backends.duckdb_limits import size_setting
from pgbridge.config_base import ConfigError, Section
from pgbridge.masking.settings import MaskingSettings, masking_settings_from
from pgbridge.policy.settings import PolicySettings, policy_settings_from
from pgbridge.server.cluster import ClusterSettings, PeerAddress, cluster_settings_from


@dataclass(frozen=True)
class Config:
    """The whole configuration: one typed section per stage."""

    path: Path
    server: ServerSettings
    auth: AuthSettings
    names: NameSettings
    backend: BackendSettings
    catalog: CatalogSettings
    # Each stage's own section; a section left out of the file is read as empty (its defaults).
    policy: PolicySettings
    masking: MaskingSettings
    audit: AuditSettings
    cluster: ClusterSettings = field(default_factory=ClusterSettings)  # peers, for cancel


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 5433
    require_tls: bool = True
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    max_message_bytes: int = 16 * 1024 * 1024
    max_connections: int = 500
    # Before authentication (see pgbridge.server.connection_limits): PostgreSQL's authentication_timeout,
    # a cap on connections that have not authenticated yet, and the largest password message.
    authentication_timeout_s: float = 60.0
    max_unauthenticated_connections: int = 100
    max_password_message_bytes: int = 8192
    statement_timeout_ms: int = 0  # default for sessions; 0 = none
    server_version: str = "15.8 (pgbridge 0.1.0)"
    idle_session_timeout_s: int = 0
    admin_http_host: str = "127.0.0.1"
    admin_http_port: int = 0  # 0: no admin HTTP endpoint
    admin_http_tls: bool = False  # serve the admin listener over TLS with tls_cert_file / tls_key_file
    admin_session_minutes: int = 480  # longest console sign-in (never past the token's exp)
    admin_price_per_tib_usd: float = 6.25  # the console's cost estimate per TiB scanned
    workers: int = 1  # processes serving the port (SO_REUSEPORT); 0: one per core (server/multiworker.py)
    shutdown_grace_s: float = 30.0  # SIGTERM: how long running statements may finish (pgbridge.ops)


@dataclass(frozen=True)
class NameSettings:
    default_dataset: str = "public"
    schema_to_dataset: dict[str, str] = field(default_factory=dict)
    database: str = "pgbridge"


@dataclass(frozen=True)
class BackendSettings:
    kind: str
    duckdb_database: Path | None = None
    duckdb_threads: int | None = None
    duckdb: DuckDBSettings | None = None  # when kind = "duckdb"
    bigquery: BigQuerySettings | None = None  # when kind = "bigquery"


@dataclass(frozen=True)
class CatalogSettings:
    """`[catalog]`: how often the metadata is read again, and the bounds of catalog queries."""

    ttl_seconds: float = 300.0
    # Catalog queries are introspection: they get a timeout even when the session sets none,
    # and each catalog database (one per visibility set) is a bounded, in-memory DuckDB.
    statement_timeout_ms: int = 10_000
    memory_limit: str = "256MB"
    threads: int = 1


def load_config(path: Path) -> Config:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError("<file>", f"cannot read {path}: {error}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError("<file>", f"{path} is not valid TOML: {error}") from error
    return config_from_table(raw, path)


def config_from_table(raw: Mapping[str, object], path: Path) -> Config:
    base = path.parent
    root = Section(raw, "")
    server = _server(root.sub("server"), base)
    config = Config(
        path=path,
        server=server,
        auth=auth_settings_from(root.sub("auth"), base),
        names=_names(root.sub("names")),
        backend=_backend(root.sub("backend"), base),
        catalog=_catalog(root.sub("catalog")),
        policy=policy_settings_from(root.sub("policy"), base),
        masking=masking_settings_from(root.sub("masking"), base),
        audit=audit_settings_from(root.sub("audit"), base),
        cluster=cluster_settings_from(root.sub("cluster"), PeerAddress(server.host, server.port)),
    )
    root.check_unknown()
    return config


def _server(section: Section, base: Path) -> ServerSettings:
    cert = section.optional("tls_cert_file", str)
    key = section.optional("tls_key_file", str)
    settings = ServerSettings(
        host=section.get("host", str, "127.0.0.1"),
        port=section.get("port", int, 5433),
        require_tls=section.get("require_tls", bool, True),
        tls_cert_file=base / cert if cert else None,
        tls_key_file=base / key if key else None,
        max_message_bytes=section.get("max_message_bytes", int, 16 * 1024 * 1024),
        max_connections=section.get("max_connections", int, 500),
        authentication_timeout_s=section.get("authentication_timeout_s", float, 60.0),
        max_unauthenticated_connections=section.get("max_unauthenticated_connections", int, 100),
        max_password_message_bytes=section.get("max_password_message_bytes", int, 8192),
        statement_timeout_ms=section.get("statement_timeout_ms", int, 0),
        server_version=section.get("server_version", str, "15.8 (pgbridge 0.1.0)"),
        idle_session_timeout_s=section.get("idle_session_timeout_s", int, 0),
        admin_http_host=section.get("admin_http_host", str, "127.0.0.1"),
        admin_http_port=section.get("admin_http_port", int, 0),
        admin_http_tls=section.get("admin_http_tls", bool, False),
        admin_session_minutes=section.get("admin_session_minutes", int, 480),
        admin_price_per_tib_usd=section.get("admin_price_per_tib_usd", float, 6.25),
        workers=section.get("workers", int, 1),
        shutdown_grace_s=section.get("shutdown_grace_s", float, 30.0),
    )
    if (cert is None) != (key is None):
        raise ConfigError(section.key("tls_cert_file"), "tls_cert_file and tls_key_file go together")
    if settings.require_tls and cert is None:
        raise ConfigError(
            section.key("require_tls"),
            "TLS is required (the password is a bearer token) but no "
            "tls_cert_file / tls_key_file is configured",
        )
    if settings.admin_http_tls and cert is None:
        raise ConfigError(section.key("admin_http_tls"), "needs tls_cert_file and tls_key_file")
    if settings.admin_session_minutes <= 0:
        raise ConfigError(section.key("admin_session_minutes"), "must be a positive number of minutes")
    if not 0 <= settings.shutdown_grace_s <= 3600:
        raise ConfigError(section.key("shutdown_grace_s"), "must be between 0 and 3600 seconds")
    if settings.admin_price_per_tib_usd < 0:
        raise ConfigError(section.key("admin_price_per_tib_usd"), "must not be negative")
    if not 0 <= settings.workers <= 64:
        raise ConfigError(section.key("workers"), "must be between 0 (one per core) and 64")
    if not 0 < settings.port < 65536:
        raise ConfigError(section.key("port"), "must be between 1 and 65535")
    if not settings.server_version.startswith("15."):
        raise ConfigError(section.key("server_version"), "must be a PostgreSQL 15 version string like '15.8'")
    _check_connection_limits(section, settings)
    section.check_unknown()
    return settings


def _check_connection_limits(section: Section, settings: ServerSettings) -> None:
    if not 0 < settings.authentication_timeout_s <= 600:
        # PostgreSQL's own range for authentication_timeout (1 s .. 10 min), fractions allowed.
        raise ConfigError(
            section.key("authentication_timeout_s"), "must be more than 0 and at most 600 seconds"
        )
    if settings.max_connections < 1:
        raise ConfigError(section.key("max_connections"), "must be at least 1")
    if settings.max_unauthenticated_connections < 1:
        # Above max_connections it changes nothing: every connection counts there too.
        raise ConfigError(section.key("max_unauthenticated_connections"), "must be at least 1")
    if not 1024 <= settings.max_password_message_bytes <= 65535:
        # 65535 is PostgreSQL's PG_MAX_AUTH_TOKEN_LENGTH, its bound on a password packet.
        raise ConfigError(section.key("max_password_message_bytes"), "must be between 1024 and 65535")


def _names(section: Section) -> NameSettings:
    mapping = section.get("schema_to_dataset", dict, {})
    if not all(isinstance(v, str) for v in mapping.values()):
        raise ConfigError(section.key("schema_to_dataset"), "values must be dataset names (strings)")
    settings = NameSettings(
        default_dataset=section.get("default_dataset", str, "public"),
        schema_to_dataset=dict(mapping),
        database=section.get("database", str, "pgbridge"),
    )
    section.check_unknown()
    return settings


def _backend(section: Section, base: Path) -> BackendSettings:
    kind = section.choice("kind", ("duckdb", "bigquery"), "duckdb")
    if kind == "duckdb":
        duck = duckdb_settings_from(section.sub("duckdb"), base)
        section.check_unknown()
        return BackendSettings(kind, duckdb_database=duck.database, duckdb_threads=duck.threads, duckdb=duck)
    # The bigquery backend reads the whole [backend] table itself (kind included) and
    # rejects keys it does not know.
    return BackendSettings(kind, bigquery=bigquery_settings_from(Section(section.table, section.path), base))


def _catalog(section: Section) -> CatalogSettings:
    settings = CatalogSettings(
        ttl_seconds=section.get("ttl_seconds", float, 300.0),
        statement_timeout_ms=section.get("statement_timeout_ms", int, 10_000),
        memory_limit=size_setting(section, "memory_limit", "256MB"),
        threads=section.get("threads", int, 1),
    )
    bounded = {"statement_timeout_ms": settings.statement_timeout_ms, "threads": settings.threads}
    for key, value in bounded.items():
        if value <= 0:
            raise ConfigError(section.key(key), "must be a positive integer")
    section.check_unknown()
    return settings
