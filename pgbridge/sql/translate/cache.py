"""Translations cached by what decides them: prepared statements and repeated BI queries
translate once.

An LRU keyed by statement text, parameter types, search path and TimeZone: the same text
resolves to other tables under another search_path, and timestamptz arithmetic follows the
session zone.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

from pgbridge.sql.translate.pipeline import Translation
from pgbridge.typemap import BqType


class TranslationCache:
    """A thread-safe LRU of translations keyed by (text, parameter types, search path, TimeZone)."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._items: OrderedDict[tuple[object, ...], Translation] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_translate(
        self,
        text: str,
        param_types: Sequence[BqType | None],
        search_path: Sequence[str],
        make: Callable[[], Translation],
        timezone: str = "UTC",
    ) -> Translation:
        key = (text, tuple(str(p) for p in param_types), tuple(search_path), timezone)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return found
        result = make()
        with self._lock:
            self.misses += 1
            self._items[key] = result
            if len(self._items) > self.size:
                self._items.popitem(last=False)
        return result
