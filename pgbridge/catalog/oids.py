"""Stable object ids for datasets, tables and roles, derived from their names.

Clients cache OIDs (pgjdbc, Npgsql, asyncpg's codec cache) and may reconnect to another
gateway, so an object's OID must not depend on load order, restarts or which gateway answers.
Each OID is a hash of the object's kind and names, mapped into [FIRST, LAST]: above
PostgreSQL's FirstNormalObjectId (16384), so it can never equal a built-in OID, and below
2^31, so clients that read oids into a signed int4 still work. Two names hashing to the same
OID is detected and refused (a catalog answer naming the wrong object is worse than none).
"""

from __future__ import annotations

import hashlib

from pgbridge.wire.errors import PgError, SqlState

FIRST = 1 << 20  # well above FirstNormalObjectId (16384) and every OID PostgreSQL assigns itself
LAST = (1 << 31) - 1


def stable_oid(kind: str, *names: str) -> int:
    digest = hashlib.blake2b("\x00".join((kind, *names)).encode(), digest_size=8).digest()
    return FIRST + int.from_bytes(digest, "big") % (LAST - FIRST + 1)


class OidRegistry:
    """Hands out stable OIDs and refuses a collision between two different objects."""

    def __init__(self) -> None:
        self._owners: dict[int, tuple[str, ...]] = {}

    def oid(self, kind: str, *names: str) -> int:
        oid = stable_oid(kind, *names)
        key = (kind, *names)
        owner = self._owners.setdefault(oid, key)
        if owner != key:
            raise PgError(
                SqlState.INTERNAL_ERROR,
                f"catalog OID collision: {owner} and {key} both hash to {oid}",
                hint="rename one of the two objects; OIDs are derived from names",
            )
        return oid
