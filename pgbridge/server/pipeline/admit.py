"""Admit: may this execution of a planned statement run, with these parameters, now?

In order: the parameters are bound; the dry run gives the statement's schema and the bytes
it would scan (only where something depends on the bytes: `needs_estimate`); the cost rule
weighs those bytes plus the rows the statement generates; a statement the policy or the cost
rule sends to a human waits for (or is handed a ticket for) an approval; the per-principal
limits count the query and its bytes. The plan was checked when it was made; what is checked
here depends on the parameters or on the moment.

A refusal at any of these steps is recorded (who asked, and why not) before it reaches the
client, without the SQL the gateway generated.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Sequence
from dataclasses import dataclass

from pgbridge.backends.base import Backend, QueryParam
from pgbridge.backends.metadata import MetadataCache
from pgbridge.policy.approvals import ApprovalRequest
from pgbridge.policy.concurrency import ConcurrencyLimiter
from pgbridge.policy.engine import Decision, PolicyEngine
from pgbridge.policy.limits import LimitTracker
from pgbridge.server.context import DataPlan, SessionContext
from pgbridge.server.error_text import without_sql
from pgbridge.server.pipeline.approval import ApprovalDesk, no_desk
from pgbridge.server.pipeline.cost import Cost, assess, refusal
from pgbridge.server.pipeline.records import StatementAudit
from pgbridge.sql.statements.model import Statement
from pgbridge.typemap import BqType
from pgbridge.wire.errors import PgError, SqlState


@dataclass(frozen=True)
class Admitted:
    """An execution the gateway agreed to run: its parameters, and what it runs under."""

    params: tuple[QueryParam, ...]
    decision: Decision | None  # the rule that let it run (or asked for the approval)
    approval: ApprovalRequest | None  # the consumed approval, when a rule asked for one


@dataclass(frozen=True)
class Admit:
    """Admits each execution of a plan, or refuses it (recorded)."""

    backend: Backend
    metadata: MetadataCache
    policy: PolicyEngine | None
    limits: LimitTracker | None
    approvals: ApprovalDesk | None
    concurrency: ConcurrencyLimiter
    records: StatementAudit

    async def __call__(
        self, ctx: SessionContext, statement: Statement, plan: DataPlan, values: Sequence[object | None]
    ) -> Admitted:
        """The admitted execution; raises the refusal (recorded) otherwise."""
        params = bind(plan, values)
        try:
            return await self._admit(ctx, plan, params, values)
        except PgError as error:
            # Refused before it ran (dry run, cost, an approval pending, denied or timed out,
            # limits): the attempt is evidence too.
            failed = without_sql(error, plan.bigquery_sql)
            await self.records.refusal(ctx, statement, failed, translated_sql=plan.bigquery_sql)
            raise failed from None

    async def dry_run(self, ctx: SessionContext, plan: DataPlan, params: Sequence[QueryParam] = ()) -> None:
        """The plan's schema and byte estimate, asked of the backend once per plan."""
        if plan.fields is not None:
            return
        params = params or _placeholders(plan.param_types)
        try:
            async with self.concurrency.slot(ctx.principal, "statements"):
                dry = await self.backend.dry_run(plan.bigquery_sql, params)
        except PgError as error:
            raise without_sql(error, plan.bigquery_sql) from None
        plan.fields = dry.fields
        # A table preview is served free (tabledata.list): BigQuery bills it nothing.
        plan.bytes_estimate = 0 if plan.preview is not None else dry.total_bytes_processed

    def needs_estimate(self, ctx: SessionContext, plan: DataPlan) -> bool:
        """Whether this execution needs the dry run's byte estimate before it runs: the cost
        rule could refuse it or send it for approval, the daily scan budget counts it, or an
        approver will be shown it. Otherwise the separate dry run is a round trip (on
        BigQuery, an HTTP request) that decides nothing; the result brings its own schema."""
        if self.policy is None or plan.fields is not None:
            return False
        principal = ctx.principal
        if plan.decision is not None and plan.decision.action != "allow":
            return True
        if self.limits is not None and self.limits.limits_for(principal).bytes_per_day is not None:
            return True
        # The rule at an estimate no statement reaches: "allow" there allows every estimate.
        return self.policy.check_cost(principal, _ANY_BYTES, None).action != "allow"

    async def cost(self, ctx: SessionContext, plan: DataPlan, values: Sequence[object | None] = ()) -> Cost:
        """The dry run, then what the statement would cost as the principal may see it."""
        await self.dry_run(ctx, plan)
        return assess(self.policy, self.metadata, ctx.principal, plan, values)

    async def _admit(
        self,
        ctx: SessionContext,
        plan: DataPlan,
        params: tuple[QueryParam, ...],
        values: Sequence[object | None],
    ) -> Admitted:
        if self.needs_estimate(ctx, plan):
            await self.dry_run(ctx, plan, params)
        if self.policy is None:
            return Admitted(params, plan.decision, None)
        cost = assess(self.policy, self.metadata, ctx.principal, plan, values)
        if cost.decision is not None and cost.decision.action == "deny":
            raise refusal(cost)
        decision, approval = plan.decision, None
        needs = [d for d in (plan.decision, cost.shown) if d is not None and d.action == "approve"]
        if needs:
            decision = needs[0]  # the record names the rule that asked for a human
            if self.approvals is None:
                raise no_desk(decision)
            approval = await self.approvals.obtain(ctx, plan, params, decision)
        if self.limits is not None:
            await self.limits.count_query(ctx.principal, plan.bytes_estimate or 0)
        return Admitted(params, decision, approval)


_ANY_BYTES = 2**62


def bind(plan: DataPlan, values: Sequence[object | None]) -> tuple[QueryParam, ...]:
    """The execution's values as the translated statement's typed parameters (@p1, ...)."""
    if len(values) < len(plan.param_types):
        # A simple Query cannot bind parameters: PostgreSQL's answer for `$1` there.
        raise PgError("42P02", f"there is no parameter ${len(values) + 1}")
    for number in plan.digit_params:
        _check_digits(number, values[number - 1])
    typed = zip(plan.param_types, values, strict=True)
    return tuple(QueryParam(f"p{i + 1}", str(t), v) for i, (t, v) in enumerate(typed))


def _check_digits(number: int, value: object | None) -> None:
    """A numeric $n printed as it is: the gateway prints a NUMERIC's significant digits, and
    PostgreSQL the bound value's own scale; they differ only when it ends in zeros (1.50)."""
    try:
        digits = decimal.Decimal(str(value)) if value is not None else None
    except ArithmeticError:
        return  # not a number: the backend's conversion fails as PostgreSQL's would
    shape = digits.as_tuple() if digits is not None else None
    if shape is not None and isinstance(shape.exponent, int) and shape.exponent < 0 and shape.digits[-1] == 0:
        raise PgError(
            SqlState.FEATURE_NOT_SUPPORTED,
            f"numeric parameter ${number} with trailing zeros ({value}) printed as it is is not supported "
            "by pgbridge",
            hint="PostgreSQL prints its scale; cast it, e.g. $1::numeric(12,2), or drop the trailing zeros",
        )


# Typed, NULL-free stand-ins so a statement can be planned before its parameters are bound.
_PLACEHOLDERS: dict[str, object] = {
    "INT64": 0,
    "FLOAT64": 0.0,
    "BOOL": False,
    "STRING": "",
    "BYTES": b"",
    "NUMERIC": decimal.Decimal(0),
    "DATE": datetime.date(2000, 1, 1),
    "TIMESTAMP": datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC),
    "DATETIME": datetime.datetime(2000, 1, 1),
    "TIME": datetime.time(0),
    "JSON": "null",
}


def _placeholders(types: Sequence[BqType]) -> list[QueryParam]:
    return [
        QueryParam(f"p{i + 1}", str(t), _PLACEHOLDERS.get(t.name, [] if t.name == "ARRAY" else None))
        for i, t in enumerate(types)
    ]
