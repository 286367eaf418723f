"""From a resolved statement, the principal and the rules: what to mask, where, and what to refuse.

Masking protects the value, not only the output (docs/security.md). Planning happens once
per statement, before it runs:
1. Rules the principal is exempt from are dropped; with none left, nothing is masked.
2. Each masked source column gets one treatment: the rule's strategy when every rule that
   matches it masks the same way, full redaction otherwise. Strategies with an SQL form are
   computed *in the warehouse* by a masking view that replaces every read of the table
   (pgbridge.masking.views): the statement then only ever computes on masked values, so no
   query shape (WHERE, joins, string work, casts, series bounds, timeouts) can make the
   warehouse's time, memory, errors or row counts depend on a clear value. Such columns need
   no guard: filtering `email LIKE '%@example.com'` filters the masked value, as BigQuery's
   column data masking does, and a notice says so.
3. `hash` is computed by the gateway (its key never leaves it), so the clear value does reach
   the warehouse. Lineage (pgbridge.sql.lineage) restricts it to work that depends only on
   what the pseudonyms reveal anyway: returned unchanged (hashed on the way out), and, with
   allow_equality, grouped, DISTINCT, or compared for equality with another hashed column.
   Anything else (a function of it, ORDER BY, an aggregate, equality with a literal or a
   parameter, which is a guessing oracle over a small space such as phone numbers) is
   refused (42501). If lineage cannot be traced and the statement reads a table with a hashed
   column (or a column-specific detector), the statement is refused too.
4. DML cannot read its target through a view, so it keeps the strict guard: a masked column
   may not be used in its WHERE or written anywhere (INSERT ... SELECT ssn would store it
   unmasked elsewhere).
The plan then hashes / detects in each Arrow batch (MaskPlan.apply), wraps the statement in
its masking views (MaskPlan.wrap) and describes itself for the audit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TypedDict

import pyarrow as pa
from sqlglot import exp

from pgbridge.auth.principal import Principal
from pgbridge.backends.base import Field
from pgbridge.masking.detectors import detect_and_mask
from pgbridge.masking.settings import DetectorRule, MaskingSettings, MaskRule
from pgbridge.masking.strategies import HIDE_NULLS, apply_strategy
from pgbridge.masking.views import MaskedTables, in_warehouse, masked_expression, wrap_masked_tables
from pgbridge.sql.lineage.model import Analysis, ColumnLineage, ColumnUse, LineageError, SourceColumn
from pgbridge.sql.lineage.walker import analyze
from pgbridge.wire.errors import PgError, SqlState, denied

SchemaLookup = Callable[[str, str], "tuple[Field, ...] | None"]
DETECT = "detect"
COMPUTED = "computed"  # an output computed from masked values (in the warehouse)
GATEWAY = "gateway"  # applied to result batches
WAREHOUSE = "warehouse"  # computed by the masking view
_NO_OPTIONS: Mapping[str, object] = MappingProxyType({})
_HIDE_NULLS: Mapping[str, object] = MappingProxyType({HIDE_NULLS: True})
_REDACT = MaskRule("*.*.*", "redact")  # where several rules meet on one column


class MaskSummary(TypedDict):
    """How one output column was masked, as the audit records it."""

    column: str | int
    index: int | None
    strategy: str
    rules: list[str]
    sources: list[str]
    options: dict[str, object]
    where: str


@dataclass(frozen=True)
class ColumnMask:
    index: int
    strategy: str  # a strategy name, "detect" (value detectors) or "computed"
    rules: tuple[str, ...]  # rule patterns (or detector kinds) that caused it
    sources: tuple[str, ...]  # "dataset.table.column" of the masked sources
    name: str = ""
    options: Mapping[str, object] = field(default_factory=lambda: _NO_OPTIONS)
    where: str = GATEWAY  # GATEWAY: MaskPlan.apply masks it; WAREHOUSE: the view already did


@dataclass(frozen=True)
class MaskPlan:
    masks: tuple[ColumnMask, ...]  # empty = nothing to do
    hash_key: bytes = field(default=b"", repr=False)
    expected_columns: int | None = None  # the traced output width; None when not traced
    touches_masked: bool = False  # reads a table some applicable rule covers
    all_text_detectors: tuple[DetectorRule, ...] = ()  # untraced query: detectors over all text
    views: MaskedTables = field(default_factory=dict)  # masking views to put in the statement
    table_columns: Mapping[tuple[str, str], list[str]] = field(default_factory=dict)
    notice: str = ""  # said to the client when it computes on masked values
    # Every source column the statement reads through a masking view, with how it was masked:
    # the audit's answer to "what was masked" for values computed on but not returned.
    inputs: tuple[tuple[str, str], ...] = ()  # ("dataset.table.column", strategy)

    @property
    def sensitive(self) -> bool:
        """True when backend errors may echo masked values and must not reach the client as is."""
        return self.touches_masked

    @property
    def gateway_masks(self) -> tuple[ColumnMask, ...]:
        return tuple(m for m in self.masks if m.where == GATEWAY)

    def wrap(self, ast: exp.Expr) -> exp.Expr:
        """The statement with every read of a masked table going through its masking view."""
        return wrap_masked_tables(ast, self.views, self.table_columns) if self.views else ast

    def apply(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """Mask one result batch; same schema out as in. Refuses a batch of the wrong shape."""
        masks = self.gateway_masks
        if not masks and not self.all_text_detectors:
            return batch
        if self.expected_columns is not None and batch.num_columns != self.expected_columns:
            raise PgError(
                SqlState.INTERNAL_ERROR,
                f"the result has {batch.num_columns} columns but masking was planned for "
                f"{self.expected_columns}; refusing to send it",
            )
        columns = list(batch.columns)
        try:
            for mask in masks:
                columns[mask.index] = self._apply_one(columns[mask.index], mask)
            for detector in self.all_text_detectors:
                columns = [detect_and_mask(c, detector.kinds, detector.replacement) for c in columns]
        except (ValueError, pa.ArrowException) as exc:
            raise PgError(SqlState.INTERNAL_ERROR, f"masking failed, result withheld: {exc}") from None
        return pa.RecordBatch.from_arrays(columns, schema=batch.schema)

    def _apply_one(self, column: pa.Array, mask: ColumnMask) -> pa.Array:
        if mask.strategy == DETECT:
            kinds = tuple(str(k) for k in mask.options.get("kinds", ()))  # type: ignore[attr-defined]
            return detect_and_mask(column, kinds, str(mask.options.get("replacement", "****")))
        return apply_strategy(column, mask.strategy, mask.options, self.hash_key)

    def inputs_summary(self) -> list[dict[str, str]]:
        return [{"source": source, "strategy": strategy} for source, strategy in self.inputs]

    def audit_summary(self) -> list[MaskSummary]:
        summary: list[MaskSummary] = [
            {
                "column": mask.name or mask.index,
                "index": mask.index,
                "strategy": mask.strategy,
                "rules": list(mask.rules),
                "sources": list(mask.sources),
                "options": _jsonable_options(mask.options),
                "where": mask.where,
            }
            for mask in self.masks
        ]
        summary.extend(
            {
                "column": "*",
                "index": None,
                "strategy": DETECT,
                "rules": list(d.kinds),
                "sources": [],
                "options": {"kinds": list(d.kinds), "replacement": d.replacement},
                "where": GATEWAY,
            }
            for d in self.all_text_detectors
        )
        return summary


def _jsonable_options(options: Mapping[str, object]) -> dict[str, object]:
    """A rule's options (partial's `keep`, round's `digits`...) as the audit's JSON can hold them,
    so a record says exactly how a column was masked, not only by which strategy."""
    return {key: list(value) if isinstance(value, tuple) else value for key, value in options.items()}


class _Rules:
    """The applicable rules, and each source column's one treatment under them."""

    def __init__(self, rules: tuple[MaskRule, ...]) -> None:
        self.rules = rules

    def matching(self, dataset: str, table: str, column: str) -> list[MaskRule]:
        return [rule for rule in self.rules if rule.matches(dataset, table, column)]

    def effective(self, dataset: str, table: str, column: str) -> MaskRule | None:
        """The rule a column is masked by: the one way all matching rules agree on, else redact."""
        found = self.matching(dataset, table, column)
        if not found:
            return None
        ways = {(r.strategy, tuple(sorted(r.options.items())), r.allow_equality) for r in found}
        return found[0] if len(ways) == 1 else _REDACT

    def of(self, source: SourceColumn) -> MaskRule | None:
        return self.effective(source.dataset, source.table, source.column)

    def hashed(self, source: SourceColumn) -> bool:
        rule = self.of(source)
        return rule is not None and not in_warehouse(rule)

    def patterns(self, source: SourceColumn) -> tuple[str, ...]:
        return tuple(r.pattern for r in self.matching(source.dataset, source.table, source.column))


def plan_masks(
    ast: exp.Expr, schema: SchemaLookup, principal: Principal, settings: MaskingSettings
) -> MaskPlan:
    """The mask plan for one statement; raises PgError 42501 when it must be refused."""
    rules = _Rules(tuple(rule for rule in settings.rules if rule.applies_to(principal)))
    detectors = tuple(d for d in settings.detectors if d.applies_to(principal))
    if not rules.rules and not detectors:
        return MaskPlan(())
    if isinstance(ast, (exp.Insert, exp.Update, exp.Delete)):
        return _plan_dml(ast, schema, rules, detectors, settings.hash_key)
    views, table_columns = _views(ast, schema, rules)
    touched = _touched_tables(ast, rules.rules, detectors)
    base = MaskPlan((), settings.hash_key, None, bool(touched), (), views, table_columns)
    try:
        analysis = analyze(ast, schema)
    except LineageError as exc:
        _refuse_untraced(touched, schema, rules, detectors, exc)
        every = {SourceColumn(d, t, c) for (d, t), cols in views.items() for c in cols}
        return replace(
            base,
            all_text_detectors=tuple(d for d in detectors if d.all_text),
            inputs=_inputs(every, rules),
        )
    _guard_hashed(analysis.uses, rules)
    masks = [m for i, col in enumerate(analysis.columns) if (m := _column_mask(i, col, rules, detectors))]
    touches = bool(touched) or any(r.matches_table(*t) for r in rules.rules for t in analysis.tables)
    return replace(
        base,
        masks=tuple(masks),
        expected_columns=len(analysis.columns),
        touches_masked=touches,
        notice=_notice(analysis, rules),
        inputs=_inputs(
            {s for u in analysis.uses for s in u.sources} | {s for c in analysis.columns for s in c.sources},
            rules,
        ),
    )


def _inputs(sources: set[SourceColumn], rules: _Rules) -> tuple[tuple[str, str], ...]:
    found = {
        (str(s), rule.strategy) for s in sources if (rule := rules.of(s)) is not None and in_warehouse(rule)
    }
    return tuple(sorted(found))


def _plan_dml(
    ast: exp.Expr,
    schema: SchemaLookup,
    rules: _Rules,
    detectors: tuple[DetectorRule, ...],
    hash_key: bytes,
) -> MaskPlan:
    touched = _touched_tables(ast, rules.rules, detectors)
    try:
        analysis = analyze(ast, schema)
    except LineageError as exc:
        if touched:
            raise _untraced(touched, exc) from None
        return MaskPlan((), hash_key)
    _guard(analysis.uses, rules)
    _guard_writes(analysis.writes, rules)
    return MaskPlan((), hash_key, 0, bool(touched))


def _views(
    ast: exp.Expr, schema: SchemaLookup, rules: _Rules
) -> tuple[MaskedTables, dict[tuple[str, str], list[str]]]:
    """The masking view of every warehouse table the statement reads that has a masked column."""
    views: dict[tuple[str, str], dict[str, exp.Expr]] = {}
    columns: dict[tuple[str, str], list[str]] = {}
    for table in ast.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier) or not table.db:
            continue
        key = (table.db.lower(), table.name.lower())
        fields = schema(*key) if key not in columns else None
        if fields is None:
            continue
        columns[key] = [f.name for f in fields]
        masked = {
            f.name.lower(): masked_expression(rule, f.type)
            for f in fields
            if (rule := rules.effective(*key, f.name.lower())) is not None and in_warehouse(rule)
        }
        if masked:
            views[key] = masked
    return views, {k: v for k, v in columns.items() if k in views}


def _refuse_untraced(
    touched: set[tuple[str, str]],
    schema: SchemaLookup,
    rules: _Rules,
    detectors: tuple[DetectorRule, ...],
    exc: LineageError,
) -> None:
    """Without lineage only what the views mask is safe: refuse reads of hashed columns or of
    columns a column-specific detector watches (both need to know which output carries them)."""
    for dataset, table in sorted(touched):
        fields = schema(dataset, table) if dataset else None
        names = [f.name.lower() for f in fields] if fields is not None else None
        hashed = names is None or any(rules.hashed(SourceColumn(dataset, table, name)) for name in names)
        watched = any(d.matches_table(dataset, table) for d in detectors)
        if hashed or watched:
            raise _untraced(touched, exc)


def _untraced(touched: set[tuple[str, str]], exc: LineageError) -> PgError:
    return denied(
        f"query refused: it reads {_table_list(touched)}, which has masked columns, and "
        f"masking cannot trace its output columns ({exc})",
        detail="pgbridge refuses a query on masked tables when it cannot tell which output "
        "column carries which source column; list the columns explicitly.",
    )


def _touched_tables(
    ast: exp.Expr, rules: tuple[MaskRule, ...], detectors: tuple[DetectorRule, ...]
) -> set[tuple[str, str]]:
    """Warehouse tables in the statement that some applicable rule covers (CTE names excluded)."""
    cte_names = {cte.alias_or_name.lower() for cte in ast.find_all(exp.CTE)}
    covering: tuple[MaskRule | DetectorRule, ...] = (*rules, *detectors)
    touched = set()
    for table in ast.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            continue
        dataset, name = table.db.lower(), table.name.lower()
        if not dataset and name in cte_names:
            continue
        if any(r.matches_table(dataset, name) for r in covering):
            touched.add((dataset, name))
    return touched


def _table_list(tables: set[tuple[str, str]]) -> str:
    return ", ".join(sorted(f"{d or '?'}.{t}" for d, t in tables))


def _guard_hashed(uses: tuple[ColumnUse, ...], rules: _Rules) -> None:
    """Hashed columns reach the warehouse in clear: only equality-class work on them."""
    for use in uses:
        for source in sorted(use.sources):
            rule = rules.of(source)
            if rule is None or in_warehouse(rule) or _equality_class(use, rule, rules):
                continue
            raise PgError(
                SqlState.INSUFFICIENT_PRIVILEGE,
                f"query refused: column {source} is pseudonymised (keyed hash) for your role and "
                f"cannot be used in {use.clause} ({use.sql})",
                detail="A hashed column can be returned as it is"
                + (
                    ", grouped, or compared for equality with another hashed column"
                    if rule.allow_equality
                    else ""
                )
                + "; any other use would compute on its clear value.",
                hint="Remove the hashed column from that clause, or ask for a role exempt from the rule.",
            )


def _equality_class(use: ColumnUse, rule: MaskRule, rules: _Rules) -> bool:
    """Grouping, or equality with another pseudonym: what equal hashes reveal anyway.
    Equality with a constant, a parameter or any other column is a guessing oracle."""
    if not (rule.allow_equality and use.equality):
        return False
    if use.versus is None:
        return True
    return (
        bool(use.versus)
        and use.versus_direct
        and all(
            (peer := rules.of(s)) is not None and not in_warehouse(peer) and peer.allow_equality
            for s in use.versus
        )
    )


def _guard(uses: tuple[ColumnUse, ...], rules: _Rules) -> None:
    """DML: no masked column may decide which rows are written."""
    for use in uses:
        for source in sorted(use.sources):
            rule = rules.of(source)
            if rule is not None and not _equality_class(use, rule, rules):
                raise PgError(
                    SqlState.INSUFFICIENT_PRIVILEGE,
                    f"query refused: column {source} is masked for your role and cannot be used in "
                    f"{use.clause} ({use.sql})",
                    detail="Filtering, joining, grouping, sorting or aggregating on a masked column "
                    "would reveal its values by inference.",
                    hint="Remove the masked column from that clause, or ask for a role exempt from the rule.",
                )


def _guard_writes(writes: tuple[ColumnLineage, ...], rules: _Rules) -> None:
    for write in writes:
        for source in sorted(write.sources):
            if rules.of(source) is not None:
                raise denied(
                    f"query refused: column {source} is masked for your role and cannot be written "
                    f"into another table (it would be stored in {write.name} unmasked)",
                    detail="A masked value copied by INSERT ... SELECT or UPDATE ... SET could be read "
                    "back from its new place without masking.",
                )


def _column_mask(
    index: int, col: ColumnLineage, rules: _Rules, detectors: tuple[DetectorRule, ...]
) -> ColumnMask | None:
    masked = {source: rule for source in col.sources if (rule := rules.of(source)) is not None}
    if not masked:
        return _detector_mask(index, col, detectors)
    patterns = tuple(dict.fromkeys(p for source in masked for p in rules.patterns(source)))
    sources = tuple(str(s) for s in sorted(masked))
    hashed = [s for s, rule in masked.items() if not in_warehouse(rule)]
    if hashed and not col.direct:
        raise PgError(
            SqlState.INSUFFICIENT_PRIVILEGE,
            f"query refused: output column {col.name} computes on {hashed[0]}, which is "
            "pseudonymised (keyed hash) for your role",
            detail="A hashed column can only be returned as it is: computing on it would work on "
            "its clear value.",
            hint=f"select {hashed[0].column} itself, or ask for a role exempt from the rule",
        )
    if hashed and len(masked) == 1:
        rule = masked[hashed[0]]
        return ColumnMask(index, rule.strategy, patterns, sources, col.name, rule.options)
    if hashed:  # a set operation meets a hashed column and another: nothing of either shows
        return ColumnMask(index, "redact", patterns, sources, col.name, _HIDE_NULLS)
    if col.direct and len(masked) == 1:
        rule = next(iter(masked.values()))
        return ColumnMask(index, rule.strategy, patterns, sources, col.name, rule.options, WAREHOUSE)
    return ColumnMask(index, COMPUTED, patterns, sources, col.name, _NO_OPTIONS, WAREHOUSE)


def _notice(analysis: Analysis, rules: _Rules) -> str:
    """Which masked columns the statement computes on (not just returns): their masked values."""
    computed = {
        s
        for use in analysis.uses
        for s in use.sources
        if (rule := rules.of(s)) is not None and in_warehouse(rule)
    }
    computed |= {
        s
        for col in analysis.columns
        if not col.direct
        for s in col.sources
        if (rule := rules.of(s)) is not None and in_warehouse(rule)
    }
    if not computed:
        return ""
    names = ", ".join(str(s) for s in sorted(computed))
    return (
        f"masked for your role: {names}; the query computed on the masked values "
        "(as your role sees them), not on the clear values"
    )


def _parts(source: SourceColumn) -> tuple[str, str, str]:
    return source.dataset, source.table, source.column


def _detector_mask(index: int, col: ColumnLineage, detectors: tuple[DetectorRule, ...]) -> ColumnMask | None:
    found = [d for d in detectors if d.all_text or any(d.matches(*_parts(s)) for s in col.sources)]
    if not found:
        return None
    kinds = tuple(dict.fromkeys(k for d in found for k in d.kinds))
    options = MappingProxyType({"kinds": kinds, "replacement": found[0].replacement})
    sources = tuple(str(s) for s in sorted(col.sources))
    return ColumnMask(index, DETECT, kinds, sources, col.name, options)


__all__ = ["Analysis", "ColumnMask", "MaskPlan", "plan_masks"]
