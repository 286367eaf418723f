"""The audit records of one statement's way through the pipeline.

Who asked what, what was decided, what ran, what was masked and what came back (DESIGN.md,
"Audit"): the write-ahead `statement` record before anything runs, `statement_completed` after,
records for statements answered locally (catalog, EXPLAIN), and for attempts refused before
they could run. The pipeline decides; this module only says how each of those is recorded.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass

from pgbridge.audit import events
from pgbridge.audit.log import AuditLog
from pgbridge.audit.recording import ResultRecording
from pgbridge.backends.base import JobStats, QueryParam
from pgbridge.policy.approvals import ApprovalRequest
from pgbridge.policy.engine import Decision
from pgbridge.server.context import DataPlan, Prepared, SessionContext
from pgbridge.sql.statements.model import Statement
from pgbridge.wire.errors import PgError, SqlState

log = logging.getLogger("pgbridge.pipeline")


@dataclass(frozen=True)
class Answered:
    """A statement answered without the backend (a catalog query, EXPLAIN), as recorded."""

    statement_id: str
    started: float  # time.monotonic() when its record was written


class StatementAudit:
    """Writes a statement's audit records to the audit log (a no-op when auditing is off)."""

    def __init__(self, audit_log: AuditLog | None) -> None:
        self.log = audit_log

    async def statement(
        self,
        ctx: SessionContext,
        prepared: Prepared,
        plan: DataPlan,
        statement_id: str,
        job_id: str,
        params: Sequence[QueryParam],
        decision: Decision | None,
        approval: ApprovalRequest | None,
    ) -> None:
        """The write-ahead record: if it cannot be written, the statement does not run."""
        if self.log is None:
            return
        # While a query touches masked data, parameter values compared with masked columns
        # would be evidence of those values: the record keeps their types only.
        masked = range(len(params)) if plan.mask_plan is not None else ()
        fields = events.statement(
            session_id=ctx.session_id,
            statement_id=statement_id,
            principal=ctx.principal,
            sql=prepared.text,
            translated_sql=plan.bigquery_sql,
            params=[{"type": p.type, "value": jsonable(p.value)} for p in params],
            masked_params=masked,
            decision=decision.action if decision else "allow",
            rule=decision.rule if decision else "default.read_only",
            approval_id=approval.id if approval else None,
            approver=approval.approver if approval else None,
        )
        fields.update(
            job_id=job_id,
            bytes_estimate=plan.bytes_estimate,
            decision_message=decision.message if decision else None,
            masked_columns=plan.mask_plan.audit_summary() if plan.mask_plan else [],
            masked_inputs=plan.mask_plan.inputs_summary() if plan.mask_plan else [],
        )
        if approval:  # the decision this run consumed, whoever took it (console, API or CLI)
            fields.update(
                approval_reason=approval.reason, approval_decided_at=approval.decided_at
            )
        await self.log.append("statement", fields)

    async def local(
        self, ctx: SessionContext, sql: str, params: Sequence[object | None], decision: str = "catalog"
    ) -> Answered:
        """The record of a statement answered locally, queued before it is answered."""
        answered = Answered(secrets.token_hex(8), time.monotonic())
        if self.log is None:
            return answered
        fields = events.statement(
            session_id=ctx.session_id,
            statement_id=answered.statement_id,
            principal=ctx.principal,
            sql=sql,
            translated_sql=None,
            params=[jsonable(p) for p in params],
            decision=decision,
            rule=f"{decision}.local",
        )
        fields["masked_columns"] = []  # the same record shape for every statement
        if decision == "catalog":  # asks the backend nothing: group-committed (audit/log.py)
            await self.log.append_grouped("statement", fields)
        else:
            await self.log.append("statement", fields)
        return answered

    async def local_done(
        self, ctx: SessionContext, answered: Answered, rows: int, error: PgError | None
    ) -> None:
        if self.log is None:
            return
        duration_ms = round((time.monotonic() - answered.started) * 1000, 3)
        fields = _completed_locally(ctx, answered.statement_id, rows, duration_ms, error)
        await self.log.append_deferred("statement_completed", fields)

    async def refusal(
        self, ctx: SessionContext, statement: Statement, error: PgError, translated_sql: str | None = None
    ) -> None:
        """A statement refused before it could run is evidence too: who asked, and why not
        (policy, masking, an approval pending or denied, a statement that could not be parsed)."""
        if self.log is None:
            return
        statement_id = secrets.token_hex(8)
        # A cost rule's refusal is a policy denial too, though its SQLSTATE is 54000.
        denial = error.sqlstate == SqlState.INSUFFICIENT_PRIVILEGE or "of policy rule" in error.message
        approval = re.search(r"apr_[0-9a-f]+", f"{error.message} {error.detail or ''}")
        fields = events.statement(
            session_id=ctx.session_id,
            statement_id=statement_id,
            principal=ctx.principal,
            sql=statement.text,
            translated_sql=None,
            decision=("approval_required" if approval else "deny") if denial else "error",
            rule=_rule_of(error) if denial else None,
            approval_id=approval.group(0) if approval else None,
        )
        fields.update(error=error.message, masked_columns=[], translated_sql=translated_sql)
        completed = _completed_locally(ctx, statement_id, 0, 0.0, error)
        try:
            await self.log.append("statement", fields)
            await self.log.append("statement_completed", completed)
        except PgError:
            log.critical("audit log unavailable while recording a refused statement", exc_info=True)

    async def completion(
        self,
        ctx: SessionContext,
        statement_id: str,
        started: float,
        rows: int,
        error: PgError | None,
        recording: ResultRecording | None,
        plan: DataPlan,
        stats: JobStats | None = None,
    ) -> None:
        if self.log is None:
            return
        summary = plan.mask_plan.audit_summary() if plan.mask_plan else []
        fields = events.statement_completed(
            session_id=ctx.session_id,
            statement_id=statement_id,
            job_id=stats.backend_job_id if stats else None,
            bytes_scanned=stats.bytes_processed if stats else None,
            bytes_billed=stats.bytes_billed if stats else None,
            rows=rows,
            masked_columns={str(m["column"]): ",".join(m["rules"]) for m in summary},
            duration_ms=round((time.monotonic() - started) * 1000, 3),
            sqlstate=error.sqlstate if error else None,
            recording=recording.finish() if recording else None,
        )
        if error is not None:
            fields["error"] = error.message
        try:
            # Off the statement's path: durable with its session's next write-ahead record
            # (pgbridge.audit.log), so the client does not wait for a second fsync.
            await self.log.append_deferred("statement_completed", fields)
        except PgError:
            log.critical("audit log unavailable while recording a statement's completion", exc_info=True)
            raise


def _completed_locally(
    ctx: SessionContext, statement_id: str, rows: int, duration_ms: float, error: PgError | None
) -> dict[str, object]:
    """The completion of a statement the backend never ran: no job, no bytes, nothing masked."""
    return events.statement_completed(
        session_id=ctx.session_id,
        statement_id=statement_id,
        job_id=None,
        bytes_scanned=None,
        bytes_billed=None,
        rows=rows,
        masked_columns={},
        duration_ms=duration_ms,
        sqlstate=error.sqlstate if error else None,
        recording=None,
    )


def _rule_of(error: PgError) -> str:
    """The policy or masking rule a refusal names ("policy rule: roles.x.tables" in its detail)."""
    for text in (error.detail or "", error.message):
        if "rule" in text:
            after = text.split("rule", 1)[1].lstrip(": ")
            return after.split()[0].rstrip(":,") if after else "unknown"
    return "masking.inference" if "masked" in error.message else "policy"


def jsonable(value: object) -> object:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes):
        return "\\x" + value.hex()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return str(value)
