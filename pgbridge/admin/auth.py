"""Who is calling the admin listener, shared by the JSON API and the console.

A caller proves itself with a JWT from the gateway's configured issuer, checked by the same
verifier as a database login (signature, issuer, audience, expiry). Deciding approvals needs
the approver role; the approver recorded is always the token's subject, never a name the
caller supplies. Errors never echo the token.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TypeAlias

from pgbridge.auth.principal import Principal

# The gateway passes TokenVerifier.verify (async, in the auth pool); tests may pass a plain function.
Verify: TypeAlias = Callable[[str], Principal | Awaitable[Principal]]


class AuthError(Exception):
    """401 (no or bad token) or 403 (a good token without the approver role)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class AdminAuth:
    def __init__(self, verify: Verify, approver_role: str) -> None:
        self._verify = verify
        self.approver_role = approver_role

    async def principal(self, token: str) -> Principal:
        """The verified principal of `token`; AuthError(401) on any failure to verify."""
        if not token.strip():
            raise AuthError(401, "missing token")
        try:
            result = self._verify(token.strip())
            return await result if inspect.isawaitable(result) else result
        except Exception:  # any failure to verify is a bad token; never echo it
            raise AuthError(401, "invalid token") from None

    async def approver(self, token: str) -> Principal:
        """As `principal`, and the token must hold the approver role (else AuthError(403))."""
        principal = await self.principal(token)
        self.require_approver(principal)
        return principal

    def require_approver(self, principal: Principal) -> None:
        if not principal.has_role(self.approver_role):
            raise AuthError(403, f"the token's subject does not hold the {self.approver_role!r} role")


def bearer_token(authorization: str) -> str:
    """The token of an `Authorization: Bearer <token>` header; AuthError(401) otherwise."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError(401, "missing Authorization: Bearer <token>")
    return token.strip()
