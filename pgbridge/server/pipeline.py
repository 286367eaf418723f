"""One statement's way through the stages (DESIGN.md): resolve -> policy -> approval ->
translate -> backend -> mask -> encode -> audit.

Each stage is one package and one call here. Session commands (SET, BEGIN, ...) never get
here: the session answers them. Catalog queries go to the local catalog engine. Data queries
are resolved, checked, translated once per prepared statement, and checked again at every
execution for what depends on the parameters (cost, approval). The audit record is written
before the backend is asked anything that runs; if it cannot be written, nothing runs.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from typing import Any

import pyarrow as pa

from pgbridge.auth.principal import Principal
from pgbridge.backends.base import Backend, Field, JobOptions, QueryParam
from pgbridge.backends.metadata import MetadataCache
from pgbridge.policy.concurrency import ConcurrencyLimiter
from pgbridge.server.admission import cost_decision, explain_lines, generated_by, in_slots
from pgbridge.server.context import DataPlan, Prepared, SessionContext
from pgbridge.server.error_text import internal_error, without_sql
from pgbridge.server.outcomes import CommandDone, Outcome, RowStream, rows_of
from pgbridge.server.statement_audit import StatementAudit
from pgbridge.sql.classify import Kind, Statement
from pgbridge.typemap import (
    PG_TYPES,
    PG_TYPES_BY_OID,
    BqType,
    OutputColumn,
    bq_type_for_pg_oid,
    pg_type_for,
)
from pgbridge.wire.errors import PgError, SqlState, denied

log = logging.getLogger("pgbridge.pipeline")


class Pipeline:
    """Runs catalog and data statements for sessions; shared by all connections."""

    def __init__(
        self,
        *,
        backend: Backend,
        metadata: MetadataCache,
        names: Any,
        catalog: Any = None,
        policy: Any = None,
        masking: Any = None,
        audit: Any = None,
        approvals: Any = None,
        approval_settings: Any = None,
        limits: Any = None,
        concurrency: ConcurrencyLimiter | None = None,
        approval_pool: Any = None,
    ) -> None:
        self.backend = backend
        self.metadata = metadata
        self.names = names
        self.catalog = catalog
        self.policy = policy
        self.masking = masking
        self.audit = audit
        self.records = StatementAudit(audit)
        self.approvals = approvals
        self.approval_settings = approval_settings
        self.limits = limits
        # Per-principal caps on backend and catalog work (roles' max_concurrent_*).
        self.concurrency = concurrency or ConcurrencyLimiter(getattr(policy, "settings", None))
        self.approval_pool = approval_pool

    # -- prepare / describe -------------------------------------------------------------------

    async def prepare(
        self, ctx: SessionContext, statement: Statement, declared_oids: Sequence[int]
    ) -> Prepared:
        prepared = Prepared(statement.text, statement, tuple(declared_oids))
        if statement.kind in (Kind.QUERY, Kind.DML, Kind.DDL):
            try:
                prepared.plan = await self._plan(ctx, statement, declared_oids)
            except PgError as error:
                await self.records.refusal(ctx, statement, error)
                raise
        return prepared

    async def describe(
        self, ctx: SessionContext, prepared: Prepared
    ) -> tuple[tuple[int, ...], tuple[OutputColumn, ...] | None]:
        """ParameterDescription OIDs and RowDescription columns, without running anything."""
        if prepared.statement.kind is Kind.CATALOG:
            if prepared.catalog_description is None:
                async with self.concurrency.slot(ctx.principal, "catalog"):
                    prepared.catalog_description = await self.catalog.describe(
                        prepared.text, prepared.declared_oids, self.catalog_session(ctx)
                    )
            return prepared.catalog_description
        plan = await self._current_plan(ctx, prepared)
        if plan is None:
            return tuple(prepared.declared_oids), None
        if plan.kind == "dml":
            return plan.param_oids, None
        await self._dry_run(ctx, plan, [])
        return plan.param_oids, self._columns(plan, plan.fields or ())

    async def _current_plan(self, ctx: SessionContext, prepared: Prepared) -> DataPlan | None:
        """The prepared plan, made again if the session's TimeZone changed since (the
        translation of time-zone-dependent SQL depends on it)."""
        plan = prepared.plan
        if plan is not None and plan.timezone != ctx.settings.get("TimeZone"):
            plan = prepared.plan = await self._plan(ctx, prepared.statement, prepared.declared_oids)
        return plan

    # -- execute --------------------------------------------------------------------------------

    async def execute(
        self, ctx: SessionContext, prepared: Prepared, params: Sequence[object | None]
    ) -> Outcome:
        kind = prepared.statement.kind
        if kind is Kind.CATALOG:
            return await self._run_catalog(ctx, prepared, params)
        plan = await self._current_plan(ctx, prepared)
        if plan is None:
            raise denied(f"{kind.name} statements are not allowed through pgbridge")
        return await self._run_data(ctx, prepared, plan, params)

    async def _run_catalog(
        self, ctx: SessionContext, prepared: Prepared, params: Sequence[object | None]
    ) -> RowStream:
        if self.catalog is None:
            raise PgError(SqlState.FEATURE_NOT_SUPPORTED, "catalog queries are not available")
        # Reading the catalog is reconnaissance an auditor wants to see: recorded like any
        # statement (write-ahead, fail closed), without its result rows.
        statement_id = secrets.token_hex(8)
        started = time.monotonic()
        await self.records.local(ctx, statement_id, prepared.text, params)
        try:
            async with self.concurrency.slot(ctx.principal, "catalog"):
                result = await self.catalog.run(prepared.text, list(params), self.catalog_session(ctx))
        except Exception as failure:
            failed = failure if isinstance(failure, PgError) else internal_error(failure, "reading a catalog")
            await self.records.local_done(ctx, statement_id, started, 0, failed)
            raise failed from None
        batches = list(result.batches)
        await self.records.local_done(ctx, statement_id, started, sum(b.num_rows for b in batches), None)

        async def stream() -> AsyncIterator[pa.RecordBatch]:
            for batch in batches:
                yield batch

        return RowStream(tuple(result.columns), stream())

    def catalog_session(self, ctx: SessionContext) -> Any:
        from pgbridge.catalog.api import CatalogSession

        return CatalogSession(
            user=ctx.user,
            database=ctx.database,
            search_path=self.search_path(ctx),
            settings={name: value for name, value in ctx.settings.values.items()},
            backend_pid=ctx.backend_pid,
            can_read=lambda dataset, table: self.can_read(ctx.principal, dataset, table),
            row_filtered=lambda dataset, table: self.row_filtered(ctx.principal, dataset, table),
            server_version=ctx.settings.get("server_version"),
        )

    def can_read(self, principal: Principal, dataset: str, table: str) -> bool:
        if self.policy is None:
            return True
        return bool(self.policy.can_read(principal, dataset, table))

    def row_filtered(self, principal: Principal, dataset: str, table: str) -> bool:
        if self.policy is None:
            return False
        return self.policy.row_filter_for(principal, dataset, table) is not None

    def search_path(self, ctx: SessionContext) -> tuple[str, ...]:
        return ctx.settings.search_path(ctx.user)

    # -- planning a data statement ---------------------------------------------------------------

    async def _plan(
        self, ctx: SessionContext, statement: Statement, declared_oids: Sequence[int]
    ) -> DataPlan:
        from pgbridge.sql.resolve import NameContext, resolve
        from pgbridge.sql.translate import translate

        await self.metadata.ensure_fresh()
        names = NameContext(
            self.search_path(ctx),
            self.names.default_dataset,
            dict(self.names.schema_to_dataset),
            timezone=ctx.settings.get("TimeZone"),
        )
        try:
            resolved = resolve(statement, names, self.metadata)
        except PgError as error:
            if error.sqlstate not in (
                SqlState.UNDEFINED_TABLE,
                SqlState.UNDEFINED_SCHEMA,
                SqlState.UNDEFINED_COLUMN,
            ):
                raise
            await self.metadata.refresh_if_stale()
            resolved = resolve(statement, names, self.metadata)
        decision = self._check_statement(ctx, statement, resolved.ast)
        # Masking views first, row filters second: a filter reads the clear table inside the
        # view, and the client's statement reads only the view (masking/views.py).
        mask_plan = self._plan_masks(ctx, resolved.ast)
        ast = mask_plan.wrap(resolved.ast) if mask_plan is not None else resolved.ast
        if self.policy is not None:
            ast = self.policy.apply_row_filters(ctx.principal, ast)
        param_types = [_declared_bq_type(oid) for oid in declared_oids]
        translation = translate(replace(resolved, ast=ast), param_types, self.metadata, text=statement.text)
        return DataPlan(
            ast,
            resolved.tables,
            translation.sql,
            tuple(translation.param_types),
            tuple(translation.output_names),
            tuple(translation.output_types),
            mask_plan,
            decision,
            kind=translation.kind,
            command=translation.command,
            timezone=names.timezone,
            source_sql=statement.text,
        )

    def _check_statement(self, ctx: SessionContext, statement: Statement, ast: Any) -> Any:
        kind = {Kind.QUERY: "query", Kind.DML: "dml", Kind.DDL: "ddl"}.get(statement.kind, "unknown")
        if self.policy is None:
            # Without a policy only reads run (the gateway issue's fail-closed default).
            if kind != "query":
                raise denied(
                    f"{statement.kind.name} statements are not allowed: pgbridge runs read-only queries "
                    "unless the policy grants more"
                )
            return None
        decision = self.policy.check_statement(ctx.principal, statement.text, kind, ast)
        if decision.action == "deny":
            raise denied(f"permission denied by policy rule {decision.rule}: {decision.message}")
        return decision

    def _plan_masks(self, ctx: SessionContext, ast: Any) -> Any:
        if self.masking is None:
            return None
        from pgbridge.masking.plan import plan_masks

        plan = plan_masks(ast, self.metadata.fields, ctx.principal, self.masking)
        return plan if plan.masks or plan.sensitive or plan.views else None

    async def _dry_run(self, ctx: SessionContext, plan: DataPlan, params: Sequence[QueryParam]) -> None:
        if plan.fields is not None:
            return
        params = params or _placeholder_params(plan.param_types)
        try:
            async with self.concurrency.slot(ctx.principal, "statements"):
                dry = await self.backend.dry_run(plan.bigquery_sql, params)
        except PgError as error:
            raise without_sql(error, plan.bigquery_sql) from None
        plan.fields = dry.fields
        plan.bytes_estimate = dry.total_bytes_processed

    def _columns(self, plan: DataPlan, fields: Sequence[Field]) -> tuple[OutputColumn, ...]:
        columns = []
        for index, backend_field in enumerate(fields):
            name = plan.output_names[index] if index < len(plan.output_names) else backend_field.name
            declared = plan.output_types[index] if index < len(plan.output_types) else None
            pg_type = pg_type_for(declared or backend_field.type)
            columns.append(OutputColumn(name, pg_type))
        return tuple(columns)

    # -- running a data statement ------------------------------------------------------------------

    async def _run_data(
        self, ctx: SessionContext, prepared: Prepared, plan: DataPlan, params: Sequence[object | None]
    ) -> Outcome:
        if len(params) < len(plan.param_types):
            # A simple Query cannot bind parameters: PostgreSQL's answer for `$1` there.
            raise PgError("42P02", f"there is no parameter ${len(params) + 1}")
        query_params = [
            QueryParam(f"p{i + 1}", str(t), v)
            for i, (t, v) in enumerate(zip(plan.param_types, params, strict=True))
        ]
        statement_id = secrets.token_hex(8)
        job_id = f"pgbridge_{ctx.session_id}_{statement_id}"
        try:
            decision, approval = await self._admit(ctx, plan, query_params, params)
        except PgError as error:
            # Refused before it ran (dry run, cost, an approval pending, denied or timed out,
            # limits): the attempt is evidence too.
            failed = without_sql(error, plan.bigquery_sql)
            await self.records.refusal(ctx, prepared.statement, failed, translated_sql=plan.bigquery_sql)
            raise failed from None
        started = time.monotonic()
        await self.records.statement(
            ctx, prepared, plan, statement_id, job_id, query_params, decision, approval
        )
        role = _acting_role(ctx.principal, decision)
        options = JobOptions(
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
        ctx.running = (statement_id, job_id)
        if plan.mask_plan is not None and plan.mask_plan.notice:
            ctx.notices.append(("NOTICE", "00000", plan.mask_plan.notice))
        if plan.kind == "dml":
            return await self._run_dml(ctx, plan, statement_id, started, query_params, options)
        try:
            async with self.concurrency.slot(ctx.principal, "statements"):
                result = await self.backend.execute(plan.bigquery_sql, query_params, options)
        except Exception as failure:
            ctx.running = None
            failed = _backend_error(failure, plan)
            await self.records.completion(ctx, statement_id, started, 0, failed, None, plan)
            raise failed from None
        except asyncio.CancelledError:
            ctx.running = None
            canceled = PgError(SqlState.QUERY_CANCELED, "canceling statement")
            await self.records.completion(ctx, statement_id, started, 0, canceled, None, plan)
            raise
        if plan.fields is None or len(plan.fields) != len(result.fields):
            plan.fields = result.fields
        columns = self._columns(plan, result.fields)
        recording = self.audit.recording(statement_id) if self.audit is not None else None
        max_rows = self.policy.max_rows(ctx.principal) if self.policy is not None else None
        names = [c.name for c in columns]
        # A masked value is no longer valid JSON: json / jsonb columns carrying one become NULL
        # instead, so the client's JSON decoder never sees '****'.
        json_masked = [
            m.index
            for m in (plan.mask_plan.gateway_masks if plan.mask_plan is not None else ())
            if columns[m.index].type.name in ("json", "jsonb")
        ]

        async def batches() -> AsyncIterator[pa.RecordBatch]:
            sent = 0
            slot = lambda: self.concurrency.slot(ctx.principal, "statements")  # noqa: E731
            async for batch in _checked(in_slots(result.batches(), slot), plan):
                if max_rows is not None and sent + batch.num_rows > max_rows:
                    raise PgError(
                        SqlState.PROGRAM_LIMIT_EXCEEDED,
                        f"query returned more than the {max_rows} rows your role may read; "
                        "add a LIMIT or narrow the query",
                    )
                if plan.mask_plan is not None:
                    batch = _null_columns(plan.mask_plan.apply(batch), json_masked)
                if recording is not None:
                    recording.add(batch, names)
                sent += batch.num_rows
                yield batch

        async def finish(rows: int, error: PgError | None) -> None:
            ctx.running = None
            await self.records.completion(
                ctx, statement_id, started, rows, error, recording, plan, result.stats
            )

        return RowStream(columns, batches(), finish=finish, close=result.aclose)

    async def _admit(
        self,
        ctx: SessionContext,
        plan: DataPlan,
        query_params: list[QueryParam],
        params: Sequence[object | None],
    ) -> tuple[Any, Any]:
        """Dry run, cost rule (bytes scanned and rows generated), approval and limits: the
        decision and the approval (if one was needed) the statement runs under; raises the
        refusal otherwise."""
        await self._dry_run(ctx, plan, query_params)
        decision = plan.decision
        approval: Any = None
        if self.policy is None:
            return decision, approval
        hidden = self.estimate_hidden(ctx, plan)
        generated = generated_by(plan.ast, ctx.principal, self.policy, self.metadata, params)
        cost = self._cost(ctx, plan, hidden, generated)
        if cost.action == "deny":
            from pgbridge.server.explain import over_limit_message

            if generated is not None:
                cost_decision(self.policy, ctx.principal, plan.bytes_estimate or 0, generated)
            raise PgError(
                SqlState.PROGRAM_LIMIT_EXCEEDED, over_limit_message(plan.bytes_estimate, cost, hidden)
            )
        needs = [d for d in (decision, cost) if d is not None and d.action == "approve"]
        if needs:
            decision = needs[0]  # the record names the rule that asked for a human
            approval = await self._approve(ctx, plan, query_params, decision)
        if self.limits is not None:
            self.limits.start_query(ctx.principal)
            self.limits.check_bytes(ctx.principal, plan.bytes_estimate or 0)
            self.limits.record_bytes(ctx.principal, plan.bytes_estimate or 0)
        return decision, approval

    async def explain(self, ctx: SessionContext, statement: Statement) -> RowStream:
        """The gateway's plan for a statement (EXPLAIN), without running it; a refusal is
        recorded like any refused statement, under the EXPLAIN's own text."""
        from pgbridge.server import explain

        try:
            inner = explain.explained_statement(statement.text)
            plan = await self._plan(ctx, inner, ())
            await self._dry_run(ctx, plan, [])
            hidden = self.estimate_hidden(ctx, plan)
            generated = generated_by(plan.ast, ctx.principal, self.policy, self.metadata, ())
            cost = self._cost(ctx, plan, hidden, generated)
            lines = explain.plan_lines(plan, cost, hidden)
            lines[3:3] = explain_lines(generated)
        except PgError as error:
            await self.records.refusal(ctx, statement, error)
            raise
        statement_id, started = secrets.token_hex(8), time.monotonic()
        await self.records.local(ctx, statement_id, statement.text, (), decision="explain")
        await self.records.local_done(ctx, statement_id, started, len(lines), None)
        batch = pa.RecordBatch.from_arrays([pa.array(lines, pa.string())], names=["QUERY PLAN"])
        return rows_of([OutputColumn("QUERY PLAN", PG_TYPES["text"])], batch, verb="EXPLAIN")

    def estimate_hidden(self, ctx: SessionContext, plan: DataPlan) -> bool:
        """Whether the byte estimate would describe a table the principal reads row-filtered."""
        return any(self.row_filtered(ctx.principal, t.dataset, t.table) for t in plan.tables)

    def _cost(self, ctx: SessionContext, plan: DataPlan, hidden: bool, generated: Any = None) -> Any:
        """The cost rule's decision, its message without the estimate when that is hidden."""
        if self.policy is None:
            return None
        from pgbridge.server.explain import cost_without_figure

        cost = self.policy.check_cost(ctx.principal, plan.bytes_estimate or 0, generated)
        return cost_without_figure(cost, plan.bytes_estimate) if hidden else cost

    async def _run_dml(
        self,
        ctx: SessionContext,
        plan: DataPlan,
        statement_id: str,
        started: float,
        params: Sequence[QueryParam],
        options: JobOptions,
    ) -> CommandDone:
        error: PgError | None = None
        stats: Any = None
        try:
            async with self.concurrency.slot(ctx.principal, "statements"):
                stats = await self.backend.execute_dml(plan.bigquery_sql, params, options)
        except Exception as failure:
            error = _backend_error(failure, plan)
        except asyncio.CancelledError:
            error = PgError(SqlState.QUERY_CANCELED, "canceling statement")
            raise
        finally:
            ctx.running = None
            rows = (stats.affected_rows or 0) if stats is not None else 0
            await self.records.completion(ctx, statement_id, started, rows, error, None, plan, stats)
        if error is not None:
            raise error
        count = stats.affected_rows or 0
        # CommandComplete tags as PostgreSQL writes them: INSERT carries a legacy OID of 0.
        return CommandDone(f"INSERT 0 {count}" if plan.command == "INSERT" else f"{plan.command} {count}")

    async def _approve(
        self, ctx: SessionContext, plan: DataPlan, params: Sequence[QueryParam], decision: Any
    ) -> Any:
        from pgbridge.server.approval import obtain_approval

        return await obtain_approval(self, ctx, plan, params, decision)


def _null_columns(batch: pa.RecordBatch, indexes: Sequence[int]) -> pa.RecordBatch:
    if not indexes:
        return batch
    arrays = [
        pa.nulls(batch.num_rows, column.type) if i in indexes else column
        for i, column in enumerate(batch.columns)
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=batch.schema)


def _acting_role(principal: Principal, decision: Any) -> str | None:
    """The role whose grant let the statement run ("roles.analyst..." -> analyst): its
    identity runs the job, so BigQuery enforces that role's own least privilege too."""
    rule = getattr(decision, "rule", "") or ""
    parts = rule.split(".")
    if len(parts) >= 2 and parts[0] == "roles" and parts[1] in principal.roles:
        return parts[1]
    return principal.roles[0] if principal.roles else None


def _without_values(error: PgError, plan: DataPlan) -> PgError:
    """A backend error about a query that touches masked data, without the backend's text.

    Database errors quote the value they failed on ("could not convert '123-45-6789'"), which
    would hand a masked value to the client; such a query gets a generic message instead.
    """
    if plan.mask_plan is None or not getattr(plan.mask_plan, "sensitive", False):
        return error
    if error.sqlstate in (SqlState.QUERY_CANCELED, SqlState.INSUFFICIENT_PRIVILEGE):
        return error
    return PgError(
        error.sqlstate,
        "the query failed on a value of a masked column; the backend's message is "
        "withheld because it could reveal that value",
        hint="rewrite the query so it does not compute on masked columns",
    )


def _backend_error(failure: Exception, plan: DataPlan) -> PgError:
    """What the client and the audit see of a backend failure: no masked value, no generated SQL."""
    if not isinstance(failure, PgError):
        return internal_error(failure, "running the statement")
    return without_sql(_without_values(failure, plan), plan.bigquery_sql)


async def _checked(batches: AsyncIterator[pa.RecordBatch], plan: DataPlan) -> AsyncIterator[pa.RecordBatch]:
    try:
        async for batch in batches:
            yield batch
    except PgError as error:
        raise _backend_error(error, plan) from None


def _declared_bq_type(oid: int) -> BqType | None:
    try:
        return bq_type_for_pg_oid(oid)
    except ValueError:
        name = PG_TYPES_BY_OID[oid].name if oid in PG_TYPES_BY_OID else str(oid)
        raise PgError(
            SqlState.FEATURE_NOT_SUPPORTED, f"parameters of type {name} are not supported"
        ) from None


_PLACEHOLDERS: dict[str, object] = {"INT64": 0, "FLOAT64": 0.0, "BOOL": False, "STRING": "", "BYTES": b""}


def _placeholder_params(types: Sequence[BqType]) -> list[QueryParam]:
    """Typed NULL-free stand-ins so a statement can be planned before its parameters are bound."""
    import datetime
    import decimal

    extra: dict[str, object] = {
        "NUMERIC": decimal.Decimal(0),
        "DATE": datetime.date(2000, 1, 1),
        "TIMESTAMP": datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC),
        "DATETIME": datetime.datetime(2000, 1, 1),
        "TIME": datetime.time(0),
        "JSON": "null",
    }
    values = {**_PLACEHOLDERS, **extra}
    return [
        QueryParam(f"p{i + 1}", str(t), values.get(t.name, [] if t.name == "ARRAY" else None))
        for i, t in enumerate(types)
    ]
