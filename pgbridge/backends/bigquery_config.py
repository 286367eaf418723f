"""`[backend] kind = "bigquery"`: typed, validated settings for the BigQuery backend.

Every key is documented in bigquery_config_example.toml beside this file. Errors name the
key (`ConfigError`). Paths are resolved against the configuration file's folder. Limits
fail closed: `maximum_bytes_billed` always has a positive value, so no job is ever sent
without a cap.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from pgbridge.config_base import ConfigError, Section

CREDENTIALS = ("application-default", "service-account-file", "anonymous")
STORAGE_READ = ("auto", "never", "always")
QUERY_API = ("query", "insert")  # jobs.query (one round trip) or jobs.insert (a pgbridge_ job id)
DEFAULT_MAX_BYTES_BILLED = 10 * 1024**3  # 10 GiB
_SERVICE_ACCOUNT = re.compile(r"^[^@\s]+@[^@\s]+\.iam\.gserviceaccount\.com$|^[^@\s]+@[^@\s]+$")
_DATASET = re.compile(r"^([A-Za-z0-9.:_-]+\.)?[A-Za-z0-9_]+$")


@dataclass(frozen=True, slots=True)
class BigQuerySettings:
    project: str
    location: str | None = None
    default_dataset: str | None = None
    datasets: Mapping[str, str] = field(default_factory=dict)  # Postgres schema -> [project.]dataset
    credentials: str = "application-default"
    key_file: Path | None = None
    impersonate: Mapping[str, str] = field(default_factory=dict)  # role -> service account email
    impersonation_lifetime_seconds: int = 3600
    quota_project: str | None = None
    api_endpoint: str | None = None  # REST, e.g. http://127.0.0.1:9050 for an emulator
    storage_endpoint: str | None = None  # gRPC; http://host:port means plaintext
    iam_endpoint: str | None = None  # IAM Credentials API override (impersonation)
    maximum_bytes_billed: int = DEFAULT_MAX_BYTES_BILLED
    query_timeout_seconds: float = 300.0
    request_timeout_seconds: float = 30.0
    retry_deadline_seconds: float = 30.0
    storage_read: str = "auto"
    storage_min_rows: int = 100_000
    storage_streams: int = 4  # Storage Read streams read in parallel for a result without ORDER BY
    page_rows: int = 20_000
    queue_batches: int = 4
    metadata_ttl_seconds: float = 300.0
    dry_run_cache_size: int = 1024
    query_api: str = "query"  # queries through jobs.query (bigquery_query.py) or jobs.insert
    labels: Mapping[str, str] = field(default_factory=dict)  # static labels on every job


def bigquery_settings_from(section: Section, base_dir: Path) -> BigQuerySettings:
    """Read `[backend]` (kind = "bigquery") into settings; ConfigError names the bad key."""
    kind = section.get("kind", str, "bigquery")
    if kind != "bigquery":
        raise ConfigError(section.key("kind"), f"expected 'bigquery', got {kind!r}")
    credentials = section.choice("credentials", CREDENTIALS, "application-default")
    settings = BigQuerySettings(
        project=_nonempty(section, "project", section.require("project", str)),
        location=section.optional("location", str),
        default_dataset=_dataset(section, "default_dataset", section.optional("default_dataset", str)),
        datasets=_dataset_map(section.sub("datasets")),
        credentials=credentials,
        key_file=_key_file(section, credentials, base_dir),
        impersonate=_impersonation(section.sub("impersonate")),
        impersonation_lifetime_seconds=_int_between(
            section, "impersonation_lifetime_seconds", 3600, 60, 43200
        ),
        quota_project=section.optional("quota_project", str),
        api_endpoint=_endpoint(section, "api_endpoint"),
        storage_endpoint=_endpoint(section, "storage_endpoint"),
        iam_endpoint=_endpoint(section, "iam_endpoint"),
        maximum_bytes_billed=_int_between(
            section, "maximum_bytes_billed", DEFAULT_MAX_BYTES_BILLED, 1, 2**62
        ),
        query_timeout_seconds=_positive(section, "query_timeout_seconds", 300.0),
        request_timeout_seconds=_positive(section, "request_timeout_seconds", 30.0),
        retry_deadline_seconds=_positive(section, "retry_deadline_seconds", 30.0),
        storage_read=section.choice("storage_read", STORAGE_READ, "auto"),
        storage_min_rows=_int_between(section, "storage_min_rows", 100_000, 0, 2**62),
        page_rows=_int_between(section, "page_rows", 20_000, 1, 1_000_000),
        storage_streams=_int_between(section, "storage_streams", 4, 1, 32),
        queue_batches=_int_between(section, "queue_batches", 4, 1, 64),
        metadata_ttl_seconds=_positive(section, "metadata_ttl_seconds", 300.0),
        dry_run_cache_size=_int_between(section, "dry_run_cache_size", 1024, 0, 1_000_000),
        query_api=section.choice("query_api", QUERY_API, "query"),
        labels=_string_table(section.sub("labels")),
    )
    section.check_unknown()
    return settings


def _nonempty(section: Section, name: str, value: str) -> str:
    if not value.strip():
        raise ConfigError(section.key(name), "must not be empty")
    return value


def _positive(section: Section, name: str, default: float) -> float:
    value = section.get(name, float, default)
    if value <= 0:
        raise ConfigError(section.key(name), f"must be positive, got {value}")
    return value


def _int_between(section: Section, name: str, default: int, low: int, high: int) -> int:
    value = section.get(name, int, default)
    if not low <= value <= high:
        raise ConfigError(section.key(name), f"must be between {low} and {high}, got {value}")
    return value


def _endpoint(section: Section, name: str) -> str | None:
    value = section.optional(name, str)
    if value is not None and not re.match(r"^https?://[^/\s]+", value):
        raise ConfigError(section.key(name), f"expected http://host:port or https://host, got {value!r}")
    return value.rstrip("/") if value else None


def _key_file(section: Section, credentials: str, base_dir: Path) -> Path | None:
    raw = section.optional("key_file", str)
    if credentials != "service-account-file":
        if raw is not None:
            raise ConfigError(
                section.key("key_file"), 'is only used with credentials = "service-account-file"'
            )
        return None
    if raw is None:
        raise ConfigError(section.key("key_file"), 'is required with credentials = "service-account-file"')
    path = (base_dir / raw).resolve()
    if not path.is_file():
        raise ConfigError(section.key("key_file"), f"no such file: {path}")
    return path


def _dataset(section: Section, name: str, value: str | None) -> str | None:
    if value is not None and not _DATASET.match(value):
        raise ConfigError(section.key(name), f"expected dataset or project.dataset, got {value!r}")
    return value


def _dataset_map(section: Section) -> Mapping[str, str]:
    mapping = _string_table(section)
    for schema, dataset in mapping.items():
        _dataset(section, schema, dataset)
    return mapping


def _impersonation(section: Section) -> Mapping[str, str]:
    mapping = _string_table(section)
    for role, account in mapping.items():
        if not _SERVICE_ACCOUNT.match(account):
            raise ConfigError(section.key(role), f"expected a service account email, got {account!r}")
    return mapping


def _string_table(section: Section) -> Mapping[str, str]:
    values = {name: section.get(name, str, "") for name in section.table}
    section.check_unknown()
    return MappingProxyType(values)
