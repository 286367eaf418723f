"""Bounds on an embedded DuckDB: memory, spill space, threads, and what its errors become.

DuckDB's own defaults are 80% of the machine's memory and an unbounded temp directory: one
`SELECT count(*) FROM generate_series(1, 300000000)` grew for a minute and ended the gateway's
host in swap or the OOM killer (issue 10). Every DuckDB the gateway opens — the warehouse and
each catalog database — gets an explicit `memory_limit`, a spill directory with a size cap (or
none: the catalog's in-memory databases do not spill), and a thread count. A statement over
the limit fails with 53200 out_of_memory and the session and gateway carry on.

These settings must be given when the database is opened: the connection is locked down
afterwards (enable_external_access = false forbids changing the temp directory).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from pgbridge.config_base import ConfigError, Section
from pgbridge.wire.errors import PgError

OUT_OF_MEMORY = "53200"
_SIZE = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class EngineLimits:
    memory_limit: str
    threads: int | None = None  # None: DuckDB's default (every core)
    temp_directory: Path | None = None  # None: no spilling to disk
    max_temp_directory_size: str | None = None

    def connect_config(self) -> dict[str, Any]:
        # Python replacement scans are a setting of each connection: lock_down() turns them off
        # on the one it is given, but every cursor opened from it would have them back (reading
        # any Arrow table in a calling frame by name). Given here, cursors inherit the default.
        config: dict[str, Any] = {
            "memory_limit": self.memory_limit,
            "python_enable_replacements": False,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        }
        if self.threads:
            config["threads"] = self.threads
        if self.temp_directory is None:
            config["temp_directory"] = ""  # an empty directory turns spilling off
        else:
            config["temp_directory"] = str(self.temp_directory)
            if self.max_temp_directory_size is not None:
                config["max_temp_directory_size"] = self.max_temp_directory_size
        return config


def size_setting(section: Section, key: str, default: str) -> str:
    """A DuckDB size ("1GB", "512MiB"), checked at start-up so a typo names its key."""
    value = section.get(key, str, default)
    if not _SIZE.match(value):
        raise ConfigError(section.key(key), f"expected a size such as '1GB' or '512MiB', got {value!r}")
    return value.strip()


def out_of_memory(error: BaseException) -> PgError | None:
    """53200 for DuckDB's out-of-memory errors (allocation failures, full spill space), also
    when they arrive wrapped by Arrow while a result streams."""
    if not isinstance(error, duckdb.OutOfMemoryException) and "Out of Memory Error" not in str(error):
        return None
    return PgError(
        OUT_OF_MEMORY,
        "out of memory: the statement needs more memory than the embedded engine may use",
        detail="the engine's memory_limit (and its spill space) was reached",
        hint="aggregate or filter earlier, or ask for fewer rows",
    )
