"""Who is asking: the identity every later stage decides on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Principal:
    """A verified token's subject, roles and claims. Never holds the token itself."""

    subject: str
    roles: tuple[str, ...]
    claims: Mapping[str, Any] = field(default_factory=dict)
    token_id: str | None = None  # the jti claim
    issuer: str | None = None
    expires_at: float | None = None  # epoch seconds (exp)

    def has_role(self, role: str) -> bool:
        return role in self.roles
