"""The simple protocol's plan cache, one per session.

Agents and BI tools send the same text again and again over the simple protocol. Within one
session the principal is fixed, so a plan (policy decision, row filters, masks, translation)
depends only on the text, search_path, TimeZone and the metadata it was resolved against:
those are the key, and nothing is shared across sessions. Every execution still passes the
per-execution stages (audit, cost, approval); only planning is saved.
"""

from __future__ import annotations

from collections import OrderedDict

from pgbridge.server.context import Prepared
from pgbridge.server.settings import SessionSettings

PLAN_CACHE_SIZE = 128
PlanKey = tuple[str, str, str, int]


def plan_key(text: str, settings: SessionSettings, generation: int) -> PlanKey:
    return (text, settings.get("search_path"), settings.get("TimeZone"), generation)


class PlanCache:
    def __init__(self, size: int = PLAN_CACHE_SIZE) -> None:
        self.size = size
        self._plans: OrderedDict[PlanKey, Prepared] = OrderedDict()

    def get(self, key: PlanKey) -> Prepared | None:
        return self._plans.get(key)

    def remember(self, key: PlanKey, prepared: Prepared) -> None:
        if prepared.plan is None:
            return  # nothing was planned (a catalog query): nothing to save
        self._plans[key] = prepared
        self._plans.move_to_end(key)
        while len(self._plans) > self.size:
            self._plans.popitem(last=False)

    def clear(self) -> None:
        self._plans.clear()
