"""The PostgreSQL anchor sink: an append-only table that the gateway's role may only INSERT into.

What makes it "outside the host": the table lives on a database server the gateway host does not
administer, the gateway connects with a role that holds INSERT on the checkpoint columns and
nothing else (no UPDATE, DELETE, TRUNCATE, not the owner, not a superuser: the gateway checks
this at start and refuses to run otherwise), and a trigger refuses UPDATE, DELETE and TRUNCATE
even for roles that hold them, so rewriting history needs the table owner to drop the trigger
first. `received_at` is the database's clock, which the writer cannot set (no column privilege).

`setup` (run by a database owner through `pgbridge audit anchors-setup`) creates the table and
grants; the gateway never creates it, because a role able to create it would own it.
"""

from __future__ import annotations

import logging
from typing import Any

from pgbridge.audit.anchors import SignedCheckpoint, StoredAnchor

logger = logging.getLogger("pgbridge.audit")

TABLE = "pgbridge_audit_anchors"
_WRITER_COLUMNS = "gateway_id, seq, hash, at, reason, body, sig"
CONNECT_TIMEOUT_S = 5
STATEMENT_TIMEOUT_MS = 5000

SETUP_SQL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    gateway_id text NOT NULL,
    seq bigint NOT NULL,
    hash text NOT NULL,
    at timestamptz NOT NULL,
    reason text NOT NULL,
    body text NOT NULL,
    sig text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS {TABLE}_by_gateway ON {TABLE} (gateway_id, seq);
CREATE OR REPLACE FUNCTION {TABLE}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'pgbridge audit anchors are append-only' USING ERRCODE = '42501';
END
$$;
DROP TRIGGER IF EXISTS {TABLE}_no_rewrite ON {TABLE};
CREATE TRIGGER {TABLE}_no_rewrite BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION {TABLE}_append_only();
DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE};
CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_append_only();
REVOKE ALL ON {TABLE} FROM PUBLIC;
"""

# true when the connected role could rewrite or remove checkpoints (or could grant itself that)
_REWRITABLE_SQL = f"""
SELECT r.rolsuper
    OR pg_has_role(current_user, c.relowner, 'USAGE')
    OR has_table_privilege(c.oid, 'UPDATE') OR has_table_privilege(c.oid, 'DELETE')
    OR has_table_privilege(c.oid, 'TRUNCATE'),
    has_any_column_privilege(c.oid, 'INSERT')
FROM pg_class c, pg_roles r
WHERE c.oid = to_regclass('{TABLE}') AND r.rolname = current_user
"""


class AnchorSinkError(OSError):
    """The anchor table cannot be written, or is not safe to write to."""


def setup(owner_url: str, writer: str, readers: tuple[str, ...] = ()) -> None:
    """Create the table (idempotent) and grant `writer` INSERT on the checkpoint columns only."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(owner_url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S) as conn:
        conn.execute(SETUP_SQL)
        grant = sql.SQL("GRANT INSERT ({}) ON {} TO {}").format(
            sql.SQL(_WRITER_COLUMNS), sql.Identifier(TABLE), sql.Identifier(writer)
        )
        conn.execute(grant)
        for reader in readers:
            conn.execute(
                sql.SQL("GRANT SELECT ON {} TO {}").format(sql.Identifier(TABLE), sql.Identifier(reader))
            )


class PostgresAnchorSink:
    """One connection, reopened after a failure; every call is bounded by the timeouts above."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: Any = None

    async def check(self) -> None:
        """Refuse a sink the gateway could rewrite, or one it cannot write."""
        conn = await self._connection()
        try:
            cursor = await conn.execute(_REWRITABLE_SQL)
            row = await cursor.fetchone()
        except Exception as exc:
            await self._drop()
            raise AnchorSinkError(f"cannot inspect the anchor table {TABLE}: {exc}") from None
        if row is None:
            raise AnchorSinkError(
                f"no table {TABLE} in the anchor database: run `pgbridge audit anchors-setup`"
            )
        rewritable, can_insert = row
        if rewritable:
            raise AnchorSinkError(
                f"the anchor role can rewrite {TABLE} (it owns the table, is a superuser, or holds UPDATE, "
                "DELETE or TRUNCATE): anchors it writes would prove nothing; give the gateway an INSERT-only "
                "role (pgbridge audit anchors-setup --writer ROLE)"
            )
        if not can_insert:
            raise AnchorSinkError(f"the anchor role may not INSERT into {TABLE}: grant it with anchors-setup")

    async def write(self, signed: SignedCheckpoint) -> None:
        point = signed.checkpoint
        from pgbridge.audit.records import parse_timestamp

        values = (
            point.gateway,
            point.seq,
            point.hash,
            parse_timestamp(point.ts),
            point.reason,
            signed.body,
            signed.sig,
        )
        conn = await self._connection()
        try:
            await conn.execute(
                f"INSERT INTO {TABLE} ({_WRITER_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)", values
            )
        except Exception as exc:
            await self._drop()
            raise AnchorSinkError(f"cannot write a checkpoint to {TABLE}: {exc}") from None

    async def _connection(self) -> Any:
        import psycopg

        if self._conn is None or self._conn.closed:
            try:
                self._conn = await psycopg.AsyncConnection.connect(
                    self.url,
                    autocommit=True,
                    connect_timeout=CONNECT_TIMEOUT_S,
                    options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
                )
            except Exception as exc:
                raise AnchorSinkError(f"cannot reach the anchor database: {_without_secrets(exc)}") from None
        return self._conn

    async def _drop(self) -> None:
        if self._conn is not None:
            try:
                await self._conn.close()
            except Exception:  # already broken: nothing more to release
                logger.debug("anchor connection close failed", exc_info=True)
            self._conn = None

    async def close(self) -> None:
        await self._drop()


def _without_secrets(exc: Exception) -> str:
    # libpq's messages name host and port, never the password; keep only the first line
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def read_all(url: str) -> list[StoredAnchor]:
    """Every checkpoint in the table, per gateway in seq order (needs SELECT on the table)."""
    import psycopg

    with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S) as conn:
        rows = conn.execute(
            f"SELECT gateway_id, body, sig, received_at FROM {TABLE} ORDER BY gateway_id, seq, received_at"
        ).fetchall()
    return [StoredAnchor(g, body, sig, received.isoformat()) for g, body, sig, received in rows]
