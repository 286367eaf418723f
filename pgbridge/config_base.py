"""Reading typed settings out of a parsed TOML table, with errors that name the key.

Each package owns the settings of its stage (a frozen dataclass and a `from_table`
function); `pgbridge.config` assembles them. Everything here is stdlib.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")


class ConfigError(ValueError):
    """A configuration problem, naming the dotted key that is wrong."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"config key {key!r}: {message}")
        self.key = key


class Section:
    """One TOML table, read key by key; unknown keys are an error (typos fail loudly)."""

    def __init__(self, table: Mapping[str, Any] | None, path: str) -> None:
        self.table = dict(table or {})
        self.path = path
        self._read: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def get(self, name: str, kind: type[T], default: T) -> T:
        self._read.add(name)
        value = self.table.get(name, default)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ConfigError(self.key(name), f"expected {kind.__name__}, got {type(value).__name__}")
        return value

    def require(self, name: str, kind: type[T]) -> T:
        if name not in self.table:
            raise ConfigError(self.key(name), "is required")
        return self.get(name, kind, self.table[name])

    def optional(self, name: str, kind: type[T]) -> T | None:
        if name not in self.table:
            self._read.add(name)
            return None
        return self.get(name, kind, self.table[name])

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        value = self.get(name, str, default)
        if value not in choices:
            raise ConfigError(self.key(name), f"must be one of {', '.join(choices)}, got {value!r}")
        return value

    def str_list(self, name: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = self.get(name, list, list(default))
        if not all(isinstance(item, str) for item in value):
            raise ConfigError(self.key(name), "expected a list of strings")
        return tuple(value)

    def sub(self, name: str) -> Section:
        self._read.add(name)
        table = self.table.get(name, {})
        if not isinstance(table, Mapping):
            raise ConfigError(self.key(name), "expected a table")
        return Section(table, self.key(name))

    def check_unknown(self) -> None:
        unknown = sorted(set(self.table) - self._read)
        if unknown:
            raise ConfigError(self.key(unknown[0]), "unknown key")
