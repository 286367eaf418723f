"""Start: the write-ahead audit record, then the backend job.

The record of what is about to run (who, what, decided how, approved by whom) is written
before the backend is asked anything that runs; if it cannot be written, nothing runs. The
job runs under the identity of the role whose grant let the statement run, labelled with the
principal and session so BigQuery's own audit log names them, and capped in bytes billed
and time. A query's job hands its result stream on to the result filter; a DML job is over
when it returns, so its completion is recorded here.

A backend failure reaches the client and the audit without the SQL the gateway generated,
and, for a query that touches masked data, without the backend's text, which could quote a
masked value.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, replace

from sqlglot import exp

from pgbridge.auth.principal import Principal
from pgbridge.backends.base import Backend, JobOptions, JobStats, ResultStream
from pgbridge.ops.metrics import BACKEND_SECONDS
from pgbridge.policy.concurrency import ConcurrencyLimiter
from pgbridge.policy.engine import Decision, PolicyEngine
from pgbridge.server.context import DataPlan, Prepared, SessionContext
from pgbridge.server.error_text import internal_error, without_sql
from pgbridge.server.outcomes import CommandDone
from pgbridge.server.pipeline.admit import Admitted
from pgbridge.server.pipeline.records import StatementAudit
from pgbridge.wire.errors import PgError, SqlState

CANCELED = PgError(SqlState.QUERY_CANCELED, "canceling statement")


@dataclass(frozen=True)
class Job:
    """One admitted execution, recorded and about to run on the backend."""

    statement_id: str  # the audit's id of this execution
    started: float  # time.monotonic() at its write-ahead record
    options: JobOptions  # the backend job: its id (cancel), labels, caps and identity
    admitted: Admitted


@dataclass(frozen=True)
class Start:
    """Records each admitted execution before it runs, then runs its backend job."""

    backend: Backend
    policy: PolicyEngine | None
    concurrency: ConcurrencyLimiter
    records: StatementAudit

    async def job(self, ctx: SessionContext, prepared: Prepared, plan: DataPlan, admitted: Admitted) -> Job:
        """The write-ahead record; from here on the session's cancel names this job."""
        statement_id = secrets.token_hex(8)
        job_id = f"pgbridge_{ctx.session_id}_{statement_id}"
        started = time.monotonic()
        await self.records.statement(
            ctx, prepared, plan, statement_id, job_id, admitted.params, admitted.decision, admitted.approval
        )
        ctx.running = (statement_id, job_id)
        if plan.mask_plan is not None and plan.mask_plan.notice:
            ctx.notices.append(("NOTICE", "00000", plan.mask_plan.notice))
        # Without an ORDER BY anywhere the row order is not the client's to rely on.
        ordered = plan.ast.find(exp.Order) is not None
        options = replace(
            self._options(ctx, job_id, admitted.decision), ordered=ordered, preview=plan.preview
        )
        return Job(statement_id, started, options, admitted)

    async def query(self, ctx: SessionContext, plan: DataPlan, job: Job) -> ResultStream:
        """The query's result stream; a failure to start is recorded as the statement's end."""
        try:
            async with self.concurrency.slot(ctx.principal, "statements"):
                with BACKEND_SECONDS.labels(self.backend.name).time():
                    return await self.backend.execute(plan.bigquery_sql, job.admitted.params, job.options)
        except Exception as failure:
            ctx.running = None
            failed = backend_error(failure, plan)
            await self.records.completion(ctx, job.statement_id, job.started, 0, failed, None, plan)
            raise failed from None
        except asyncio.CancelledError:
            ctx.running = None
            await self.records.completion(ctx, job.statement_id, job.started, 0, CANCELED, None, plan)
            raise

    async def dml(self, ctx: SessionContext, plan: DataPlan, job: Job) -> CommandDone:
        """Run an INSERT / UPDATE / DELETE to its end, and record how it ended."""
        error: PgError | None = None
        stats: JobStats | None = None
        try:
            async with self.concurrency.slot(ctx.principal, "statements"):
                with BACKEND_SECONDS.labels(self.backend.name).time():
                    sql, params = plan.bigquery_sql, job.admitted.params
                    stats = await self.backend.execute_dml(sql, params, job.options)
        except Exception as failure:
            error = backend_error(failure, plan)
        except asyncio.CancelledError:
            error = CANCELED
            raise
        finally:
            ctx.running = None
            rows = (stats.affected_rows or 0) if stats is not None else 0
            await self.records.completion(ctx, job.statement_id, job.started, rows, error, None, plan, stats)
        if error is not None:
            raise error
        assert stats is not None
        count = stats.affected_rows or 0
        # CommandComplete tags as PostgreSQL writes them: INSERT carries a legacy OID of 0.
        return CommandDone(f"INSERT 0 {count}" if plan.command == "INSERT" else f"{plan.command} {count}")

    def _options(self, ctx: SessionContext, job_id: str, decision: Decision | None) -> JobOptions:
        role = acting_role(ctx.principal, decision)
        return JobOptions(
            job_id=job_id,
            labels={
                "pgbridge_principal": ctx.principal.subject,
                "pgbridge_session": ctx.session_id,
                "pgbridge_role": role or "none",
            },
            maximum_bytes_billed=self.policy.max_bytes_billed(ctx.principal) if self.policy else None,
            timeout_seconds=(ctx.settings.statement_timeout_ms / 1000) or None,
            role=role,
        )


def acting_role(principal: Principal, decision: Decision | None) -> str | None:
    """The role whose grant let the statement run ("roles.analyst..." -> analyst): its
    identity runs the job, so BigQuery enforces that role's own least privilege too."""
    parts = (decision.rule if decision else "").split(".")
    if len(parts) >= 2 and parts[0] == "roles" and parts[1] in principal.roles:
        return parts[1]
    return principal.roles[0] if principal.roles else None


def backend_error(failure: Exception, plan: DataPlan) -> PgError:
    """What the client and the audit see of a backend failure: no masked value, no generated SQL."""
    if not isinstance(failure, PgError):
        return internal_error(failure, "running the statement")
    return without_sql(_without_values(failure, plan), plan.bigquery_sql)


def _without_values(error: PgError, plan: DataPlan) -> PgError:
    """A backend error about a query that touches masked data, without the backend's text.

    Database errors quote the value they failed on ("could not convert '123-45-6789'"), which
    would hand a masked value to the client; such a query gets a generic message instead.
    """
    if plan.mask_plan is None or not plan.mask_plan.sensitive:
        return error
    if error.sqlstate in (SqlState.QUERY_CANCELED, SqlState.INSUFFICIENT_PRIVILEGE):
        return error
    return PgError(
        error.sqlstate,
        "the query failed on a value of a masked column; the backend's message is "
        "withheld because it could reveal that value",
        hint="rewrite the query so it does not compute on masked columns",
    )
