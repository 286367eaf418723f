"""The [backend.duckdb] table: the warehouse file and the bounds the embedded engine runs in."""

from __future__ import annotations

from pathlib import Path

from pgbridge.backends.duckdb import DEFAULT_MAX_TEMP_SIZE, DEFAULT_MEMORY_LIMIT, DuckDBSettings
from pgbridge.backends.duckdb_limits import size_setting
from pgbridge.config_base import ConfigError, Section


def duckdb_settings_from(section: Section, base: Path) -> DuckDBSettings:
    """Read and check [backend.duckdb]; relative paths are taken from `base`."""
    database = section.require("database", str)
    threads = section.optional("threads", int)
    if threads is not None and threads <= 0:
        raise ConfigError(section.key("threads"), "must be a positive integer")
    temp = section.optional("temp_directory", str)
    settings = DuckDBSettings(
        base / database,
        threads=threads,
        memory_limit=size_setting(section, "memory_limit", DEFAULT_MEMORY_LIMIT),
        max_temp_directory_size=size_setting(section, "max_temp_directory_size", DEFAULT_MAX_TEMP_SIZE),
        temp_directory=base / temp if temp else None,
        # Several processes may open one DuckDB file only read-only (serve --workers N).
        read_only=section.get("read_only", bool, False),
    )
    section.check_unknown()
    return settings
