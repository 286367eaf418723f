"""Plans shared by every session of this gateway process (issue 14, item 1).

A plan (resolve, policy decision, masking views, row filters, translation, and later the dry
run's schema and estimate) is made once per key and reused by every session whose key is the
same: the statement text, the declared parameter types, and everything the plan was made
from besides the text:

- the principal's *effective policy*: its roles (which rules, masks and exemptions apply) and
  the values of every claim a row filter of the policy reads (the filters are baked into the
  plan). Nothing else about the principal enters a plan; the subject and the token's times do
  not, so the sessions of one role share plans. Two principals whose roles or filter claims
  differ in any way have different keys: a cached plan never serves a principal whose policy
  differs. A claim value that cannot be keyed exactly (not JSON) is not cached at all;
- the session's resolved search_path and TimeZone (names and time arithmetic are resolved
  against them);
- the metadata generation (bumped by every metadata refresh: a table changed or made since)
  and the policy generation (`clear` on a policy reload; the policy is read at start-up today).

Token expiry needs no key: a plan is not a credential, and every execution checks the token
before any plan is used (handlers.guards.check_token). Per-execution stages (parameters, cost,
approval, limits, the write-ahead audit record) still run at every execution.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping, Sequence

from pgbridge.auth.principal import Principal
from pgbridge.policy.engine import PolicyEngine
from pgbridge.server.context import DataPlan

PLAN_CACHE_SIZE = 1024
PlanKey = tuple[object, ...]


class SharedPlans:
    """An LRU of data plans keyed by text, parameter types and effective policy."""

    def __init__(self, policy: PolicyEngine | None, size: int = PLAN_CACHE_SIZE) -> None:
        self.size = size
        self.generation = 0  # the policy's: bumped by `clear`
        self._claim_paths = _filter_claims(policy)
        self._plans: OrderedDict[PlanKey, DataPlan] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def key(
        self,
        text: str,
        declared_oids: Sequence[int],
        principal: Principal,
        search_path: Sequence[str],
        timezone: str,
        metadata_generation: int,
    ) -> PlanKey | None:
        """The plan's key, or None when this principal's plans must not be shared."""
        claims = self._claims_key(principal.claims)
        if claims is None:
            return None
        return (
            text, tuple(declared_oids), principal.roles, claims, tuple(search_path), timezone,
            metadata_generation, self.generation,
        )  # fmt: skip

    def get(self, key: PlanKey | None) -> DataPlan | None:
        plan = self._plans.get(key) if key is not None else None
        if key is None or plan is None:
            self.misses += 1
            return None
        self.hits += 1
        self._plans.move_to_end(key)
        return plan

    def put(self, key: PlanKey | None, plan: DataPlan) -> None:
        if key is None or self.size <= 0:
            return
        self._plans[key] = plan
        self._plans.move_to_end(key)
        while len(self._plans) > self.size:
            self._plans.popitem(last=False)

    def clear(self) -> None:
        """Forget every plan (a policy reload): later keys differ from all earlier ones."""
        self.generation += 1
        self._plans.clear()

    def __len__(self) -> int:
        return len(self._plans)

    def _claims_key(self, claims: Mapping[str, object]) -> tuple[str, ...] | None:
        values = []
        for path in self._claim_paths:
            value: object = claims
            for part in path.split("."):
                value = value.get(part) if isinstance(value, Mapping) else None
            try:
                # The type is part of the key: True == 1 in Python, not in a row filter.
                values.append(f"{type(value).__name__}:{json.dumps(value, sort_keys=True)}")
            except (TypeError, ValueError):
                return None
        return tuple(values)


def _filter_claims(policy: PolicyEngine | None) -> tuple[str, ...]:
    """Every claim any row filter of the policy reads, in a fixed order."""
    if policy is None:
        return ()
    paths = {
        path
        for role in policy.settings.roles.values()
        for row_filter in role.row_filters.values()
        for path in row_filter.claim_paths
    }
    return tuple(sorted(paths))
