"""The PostgreSQL store's schema (`[policy.store] url`): approvals and limits, versioned.

Each step runs once, in order, in one transaction with its row in `pgbridge_schema_migrations`,
under an advisory lock so gateways starting together apply each step once. Whichever part of
the gateway opens the store first migrates it; the others find nothing left to do.

The limits' checks are functions in the database so that each is one round trip and atomic
across gateways: a transaction-scoped advisory lock per subject serializes the count and the
insert that follows it, so two gateways can never both take a principal's last slot.
Times are the database's clock (`clock_timestamp()`), so the gateways' clocks need not agree.
"""

from __future__ import annotations

import psycopg
from psycopg.rows import TupleRow

CONNECT_TIMEOUT_S = 5
_MIGRATION_LOCK = 0x70676272  # an arbitrary advisory lock key for pgbridge's migrations

_APPROVALS = """
CREATE TABLE pgbridge_approvals (
    id text PRIMARY KEY,
    requester text NOT NULL,
    sql text NOT NULL,
    params_digest text NOT NULL,
    rule text NOT NULL,
    message text NOT NULL,
    status text NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'consumed')),
    created_at double precision NOT NULL,
    expires_at double precision NOT NULL,
    approver text,
    reason text,
    decided_at double precision,
    consumed_at double precision
);
CREATE INDEX pgbridge_approvals_by_key ON pgbridge_approvals (requester, params_digest, created_at);
"""

# One lease row per open connection of a principal that has a connection limit; its gateway
# pushes expires_at forward every lease_s / 3 seconds, so a dead gateway's rows stop counting
# within lease_s. Queries of the last minute, one row each; bytes scanned per subject and UTC day.
_LIMITS = """
CREATE TABLE pgbridge_limit_leases (
    lease text PRIMARY KEY,
    owner text NOT NULL,
    subject text NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX pgbridge_limit_leases_by_subject ON pgbridge_limit_leases (subject, expires_at);
CREATE INDEX pgbridge_limit_leases_by_owner ON pgbridge_limit_leases (owner);
CREATE TABLE pgbridge_limit_queries (subject text NOT NULL, at timestamptz NOT NULL);
CREATE INDEX pgbridge_limit_queries_by_subject ON pgbridge_limit_queries (subject, at);
CREATE TABLE pgbridge_limit_scanned (
    subject text NOT NULL,
    day date NOT NULL,
    used bigint NOT NULL,
    PRIMARY KEY (subject, day)
);

CREATE FUNCTION pgbridge_limit_connect(
    p_lease text, p_owner text, p_subject text, p_limit integer, p_lease_s double precision,
    OUT admitted boolean, OUT held integer
) LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('pgbridge limits ' || p_subject, 0));
    SELECT count(*) INTO held FROM pgbridge_limit_leases
        WHERE subject = p_subject AND expires_at > clock_timestamp();
    admitted := held < p_limit;
    IF admitted THEN
        INSERT INTO pgbridge_limit_leases (lease, owner, subject, expires_at)
            VALUES (p_lease, p_owner, p_subject, clock_timestamp() + p_lease_s * interval '1 second');
    END IF;
END
$$;

-- The rate first (a query refused for its bytes still counts against the rate, as in one
-- gateway's memory), then the day's bytes. verdict: 'ok' | 'rate' | 'bytes'.
CREATE FUNCTION pgbridge_limit_query(
    p_subject text, p_rate_limit integer, p_bytes_limit bigint, p_estimate bigint,
    OUT verdict text, OUT used bigint, OUT retry_s double precision
) LANGUAGE plpgsql AS $$
DECLARE
    now_ timestamptz := clock_timestamp();
    today date := (clock_timestamp() AT TIME ZONE 'UTC')::date;
    held integer;
    oldest timestamptz;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('pgbridge limits ' || p_subject, 0));
    verdict := 'ok';
    IF p_rate_limit IS NOT NULL THEN
        DELETE FROM pgbridge_limit_queries WHERE subject = p_subject AND at <= now_ - interval '60 s';
        SELECT count(*), min(at) INTO held, oldest FROM pgbridge_limit_queries WHERE subject = p_subject;
        IF held >= p_rate_limit THEN
            verdict := 'rate';
            retry_s := greatest(extract(epoch FROM oldest + interval '60 s' - now_), 0);
            RETURN;
        END IF;
        INSERT INTO pgbridge_limit_queries (subject, at) VALUES (p_subject, now_);
    END IF;
    IF p_bytes_limit IS NOT NULL THEN
        SELECT coalesce(max(s.used), 0) INTO used FROM pgbridge_limit_scanned s
            WHERE s.subject = p_subject AND s.day = today;
        IF used + p_estimate > p_bytes_limit THEN
            verdict := 'bytes';
            RETURN;
        END IF;
        INSERT INTO pgbridge_limit_scanned AS s (subject, day, used) VALUES (p_subject, today, p_estimate)
            ON CONFLICT (subject, day) DO UPDATE SET used = s.used + EXCLUDED.used;
    END IF;
END
$$;
"""

MIGRATIONS: tuple[str, ...] = (_APPROVALS, _LIMITS)


def migrate(conn: psycopg.Connection[TupleRow]) -> None:
    """Apply the steps this database has not seen yet (idempotent, safe to race)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS pgbridge_schema_migrations "
            "(version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {row[0] for row in conn.execute("SELECT version FROM pgbridge_schema_migrations")}
        for version, step in enumerate(MIGRATIONS, start=1):
            if version not in done:
                conn.execute(step)
                conn.execute("INSERT INTO pgbridge_schema_migrations (version) VALUES (%s)", (version,))


def migrate_url(url: str) -> None:
    """Blocking: connect once and migrate (for a caller that has no synchronous pool)."""
    with psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S) as conn:
        migrate(conn)
