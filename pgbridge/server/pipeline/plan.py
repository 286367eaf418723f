"""Planning a data statement, once per prepared statement: resolve -> policy -> masks -> row
filters -> translate; once per process for every session with the same key (plan_cache.py).

Names are resolved against the session's search_path (once more after a metadata refresh
when a name is not found: a table made since the last refresh). The policy decides on the
resolved statement; a deny is raised here, an approval is asked for at execution (it depends
on the parameters). Masking views go in first and row filters second: a filter reads the
clear table inside the view, and the client's statement reads only the view
(pgbridge.masking.views). The translation is made for the session's TimeZone; a plan made
for another one is made again (`current`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlglot import exp

from pgbridge.backends.base import Field, TableRead
from pgbridge.backends.metadata import MetadataCache
from pgbridge.config import NameSettings
from pgbridge.masking.plan import MaskPlan, plan_masks
from pgbridge.masking.settings import MaskingSettings
from pgbridge.policy.engine import Decision, PolicyEngine
from pgbridge.server.context import DataPlan, Prepared, SessionContext
from pgbridge.server.pipeline.plan_cache import PlanKey, SharedPlans
from pgbridge.server.pipeline.preview import table_preview
from pgbridge.sql.names.resolve import NameContext, Resolved, datasets_on_path, resolve
from pgbridge.sql.statements.model import Kind, Statement
from pgbridge.sql.translate.pipeline import translate
from pgbridge.typemap import (
    PG_TYPES_BY_OID,
    BqType,
    OutputColumn,
    bq_type_for_pg_oid,
    pg_type_for,
    type_modifier_for,
)
from pgbridge.wire.errors import PgError, SqlState, denied

# Not found, perhaps only not yet seen: worth one metadata refresh before the error stands.
_MAYBE_NEW = (SqlState.UNDEFINED_TABLE, SqlState.UNDEFINED_SCHEMA, SqlState.UNDEFINED_COLUMN)
_POLICY_KINDS = {Kind.QUERY: "query", Kind.DML: "dml", Kind.DDL: "ddl"}


@dataclass(frozen=True)
class Planner:
    """Makes a prepared data statement's plan, and makes it again when the TimeZone changed."""

    metadata: MetadataCache
    names: NameSettings
    policy: PolicyEngine | None
    masking: MaskingSettings | None
    cache: SharedPlans | None = None  # plans shared across sessions (plan_cache.py)
    # Bumped when SIGHUP reloads the policy or the masking rules (pgbridge.ops.reload): a plan
    # made under older rules is made again before it runs, so a revoked grant cannot live on
    # in a prepared statement or a cached plan.
    generation: int = 0

    async def plan(self, ctx: SessionContext, statement: Statement, declared_oids: Sequence[int]) -> DataPlan:
        """The statement's plan for this session: the shared one when its key matches."""
        if self.cache is None:
            return await self._make(ctx, statement, declared_oids)
        await self.metadata.ensure_fresh()  # the generation in the key is the one planned against
        cached = self.cache.get(self._key(ctx, statement, declared_oids))
        if cached is not None and cached.generation == self.generation:
            return cached  # a plan made under older rules (SIGHUP) is made again
        plan = await self._make(ctx, statement, declared_oids)
        # After planning: a refresh for a new name inside it made a newer generation.
        self.cache.put(self._key(ctx, statement, declared_oids), plan)
        return plan

    def _key(self, ctx: SessionContext, statement: Statement, declared_oids: Sequence[int]) -> PlanKey | None:
        assert self.cache is not None
        # The datasets the search_path resolves to, not its text: "$user" names the subject,
        # and sessions of different users whose paths mean the same datasets share plans.
        path = datasets_on_path(self._names(ctx), self.metadata)
        timezone = ctx.settings.get("TimeZone")
        return self.cache.key(
            statement.text, declared_oids, ctx.principal, path, timezone, self.metadata.generation
        )

    def _names(self, ctx: SessionContext) -> NameContext:
        return NameContext(
            ctx.settings.search_path(ctx.user),
            self.names.default_dataset,
            dict(self.names.schema_to_dataset),
            timezone=ctx.settings.get("TimeZone"),
        )

    async def _make(
        self, ctx: SessionContext, statement: Statement, declared_oids: Sequence[int]
    ) -> DataPlan:
        resolved = await self._resolve(ctx, statement)
        decision = self._check(ctx, statement, resolved.ast)
        mask_plan = self._masks(ctx, resolved.ast)
        ast = self._narrowed(ctx, resolved.ast, mask_plan)
        param_types = [_declared_bq_type(oid) for oid in declared_oids]
        translation = translate(replace(resolved, ast=ast), param_types, self.metadata, text=statement.text)
        preview = self._preview(ctx, resolved.ast, mask_plan)
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
            timezone=resolved.timezone,
            source_sql=statement.text,
            preview=preview,
            generation=self.generation,
            digit_params=translation.digit_params,
        )

    async def current(self, ctx: SessionContext, prepared: Prepared) -> DataPlan | None:
        """The prepared plan, made again if the session's TimeZone changed since (the
        translation of time-zone-dependent SQL depends on it) or the rules were reloaded."""
        plan = prepared.plan
        stale = plan is not None and plan.generation != self.generation
        if plan is not None and (stale or plan.timezone != ctx.settings.get("TimeZone")):
            plan = prepared.plan = await self.plan(ctx, prepared.statement, prepared.declared_oids)
        return plan

    async def _resolve(self, ctx: SessionContext, statement: Statement) -> Resolved:
        await self.metadata.ensure_fresh()
        names = self._names(ctx)
        try:
            return resolve(statement, names, self.metadata)
        except PgError as error:
            if error.sqlstate not in _MAYBE_NEW:
                raise
        await self.metadata.refresh_if_stale()
        return resolve(statement, names, self.metadata)

    def _check(self, ctx: SessionContext, statement: Statement, ast: exp.Expr) -> Decision | None:
        kind = _POLICY_KINDS.get(statement.kind, "unknown")
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

    def _narrowed(
        self, ctx: SessionContext, ast: exp.Expression, mask_plan: MaskPlan | None
    ) -> exp.Expression:
        """The statement reading masked tables through their views, filtered tables through
        their row filters."""
        narrowed = mask_plan.wrap(ast) if mask_plan is not None else ast
        if self.policy is not None:
            narrowed = self.policy.apply_row_filters(ctx.principal, narrowed)
        assert isinstance(narrowed, exp.Expression)  # every node is; Expr is sqlglot's typing base
        return narrowed

    def _preview(self, ctx: SessionContext, ast: exp.Expr, mask_plan: MaskPlan | None) -> TableRead | None:
        """The free table preview the statement is, unless masks or row filters apply to it
        (then the rows must pass through SQL: preview.py says why)."""
        found = table_preview(ast)
        if found is None or mask_plan is not None:
            return None
        if self.policy is not None:
            filtered = self.policy.apply_row_filters(ctx.principal, ast.copy())
            if filtered.sql() != ast.sql():
                return None
        return found

    def _masks(self, ctx: SessionContext, ast: exp.Expr) -> MaskPlan | None:
        if self.masking is None:
            return None
        plan = plan_masks(ast, self.metadata.fields, ctx.principal, self.masking)
        return plan if plan.masks or plan.sensitive or plan.views else None


def output_columns(plan: DataPlan, fields: Sequence[Field]) -> tuple[OutputColumn, ...]:
    """The RowDescription of a plan's result: the client's names, the translator's types where
    it knows them, else the backend's."""
    columns = []
    for index, backend_field in enumerate(fields):
        name = plan.output_names[index] if index < len(plan.output_names) else backend_field.name
        declared = plan.output_types[index] if index < len(plan.output_types) else None
        typmod = type_modifier_for(declared)  # numeric(P, S) of a column that declares it
        columns.append(OutputColumn(name, pg_type_for(declared or backend_field.type), typmod))
    return tuple(columns)


def _declared_bq_type(oid: int) -> BqType | None:
    try:
        return bq_type_for_pg_oid(oid)
    except ValueError:
        name = PG_TYPES_BY_OID[oid].name if oid in PG_TYPES_BY_OID else str(oid)
        raise PgError(
            SqlState.FEATURE_NOT_SUPPORTED, f"parameters of type {name} are not supported"
        ) from None
