"""From a resolved statement, the principal and the rules: what to mask in each output column.

Planning happens once per statement, before it runs:
1. Rules the principal is exempt from are dropped; with none left, nothing is masked.
2. Lineage (pgbridge.sql.lineage) traces every output column to its source columns and lists
   every place a column is *used* to decide something. If lineage cannot be traced and the
   statement touches a table some rule covers, the statement is refused (42501).
3. Inference guard: a masked source used in WHERE, JOIN, GROUP BY, HAVING, ORDER BY, a window,
   an aggregate (other than count(*)), a CASE condition, a cast or a divisor is refused, except
   equality-only uses of a `hash` rule that sets allow_equality.
4. Each output column from exactly one masked source, passed through unchanged, gets that
   rule's strategy; transformed or from several masked sources, it is fully redacted, NULLs
   included (nullif(ssn, '123-45-6789') would otherwise be NULL exactly on a match).
5. DML may not write a masked value anywhere (INSERT ... SELECT ssn, UPDATE ... SET x = ssn):
   it would be readable unmasked in its new place. Its WHERE is guarded like a query's.
The plan then masks each Arrow batch (MaskPlan.apply) and describes itself for the audit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pyarrow as pa
from sqlglot import exp

from pgbridge.auth.principal import Principal
from pgbridge.backends.base import Field
from pgbridge.masking.detectors import detect_and_mask
from pgbridge.masking.settings import DetectorRule, MaskingSettings, MaskRule
from pgbridge.masking.strategies import HIDE_NULLS, apply_strategy
from pgbridge.sql.lineage import Analysis, ColumnLineage, ColumnUse, LineageError, SourceColumn, analyze
from pgbridge.wire.errors import PgError, SqlState, denied

SchemaLookup = Callable[[str, str], "tuple[Field, ...] | None"]
DETECT = "detect"
_NO_OPTIONS: Mapping[str, object] = MappingProxyType({})
_HIDE_NULLS: Mapping[str, object] = MappingProxyType({HIDE_NULLS: True})


@dataclass(frozen=True)
class ColumnMask:
    index: int
    strategy: str  # a strategy name, or "detect" (value detectors)
    rules: tuple[str, ...]  # rule patterns (or detector kinds) that caused it
    sources: tuple[str, ...]  # "dataset.table.column" of the masked sources
    name: str = ""
    options: Mapping[str, object] = field(default_factory=lambda: _NO_OPTIONS)


@dataclass(frozen=True)
class MaskPlan:
    masks: tuple[ColumnMask, ...]  # empty = nothing to do
    hash_key: bytes = field(default=b"", repr=False)
    expected_columns: int | None = None  # the traced output width; None when not traced
    touches_masked: bool = False  # reads a table some applicable rule covers
    all_text_detectors: tuple[DetectorRule, ...] = ()  # untraced query: detectors over all text

    @property
    def sensitive(self) -> bool:
        """True when backend errors may echo masked values and must not reach the client as is."""
        return self.touches_masked

    def apply(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """Mask one result batch; same schema out as in. Refuses a batch of the wrong shape."""
        if not self.masks and not self.all_text_detectors:
            return batch
        if self.expected_columns is not None and batch.num_columns != self.expected_columns:
            raise PgError(
                SqlState.INTERNAL_ERROR,
                f"the result has {batch.num_columns} columns but masking was planned for "
                f"{self.expected_columns}; refusing to send it",
            )
        columns = list(batch.columns)
        try:
            for mask in self.masks:
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

    def audit_summary(self) -> list[dict[str, object]]:
        summary: list[dict[str, object]] = [
            {
                "column": mask.name or mask.index,
                "index": mask.index,
                "strategy": mask.strategy,
                "rules": list(mask.rules),
                "sources": list(mask.sources),
                "options": _jsonable_options(mask.options),
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
            }
            for d in self.all_text_detectors
        )
        return summary


def _jsonable_options(options: Mapping[str, object]) -> dict[str, object]:
    """A rule's options (partial's `keep`, round's `digits`...) as the audit's JSON can hold them,
    so a record says exactly how a column was masked, not only by which strategy."""
    return {key: list(value) if isinstance(value, tuple) else value for key, value in options.items()}


def plan_masks(
    ast: exp.Expr, schema: SchemaLookup, principal: Principal, settings: MaskingSettings
) -> MaskPlan:
    """The mask plan for one statement; raises PgError 42501 when it must be refused."""
    rules = tuple(rule for rule in settings.rules if rule.applies_to(principal))
    detectors = tuple(d for d in settings.detectors if d.applies_to(principal))
    if not rules and not detectors:
        return MaskPlan(())
    touched = _touched_tables(ast, rules, detectors)
    try:
        analysis = analyze(ast, schema)
    except LineageError as exc:
        if touched:
            raise denied(
                f"query refused: it reads {_table_list(touched)}, which has masked columns, and "
                f"masking cannot trace its output columns ({exc})",
                detail="pgbridge refuses a query on masked tables when it cannot tell which output "
                "column carries which source column; list the columns explicitly.",
            ) from None
        return MaskPlan((), settings.hash_key, None, False, tuple(d for d in detectors if d.all_text))
    _guard(analysis.uses, rules)
    _guard_writes(analysis.writes, rules)
    masks = [m for i, col in enumerate(analysis.columns) if (m := _column_mask(i, col, rules, detectors))]
    touches = bool(touched) or any(r.matches_table(*t) for r in rules for t in analysis.tables)
    return MaskPlan(tuple(masks), settings.hash_key, len(analysis.columns), touches)


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


def _rules_for(source: SourceColumn, rules: tuple[MaskRule, ...]) -> list[MaskRule]:
    return [rule for rule in rules if rule.matches(source.dataset, source.table, source.column)]


def _equality_allowed(rule: MaskRule) -> bool:
    return rule.strategy == "hash" and rule.allow_equality


def _guard(uses: tuple[ColumnUse, ...], rules: tuple[MaskRule, ...]) -> None:
    for use in uses:
        for source in sorted(use.sources):
            matched = _rules_for(source, rules)
            if matched and not (use.equality and all(_equality_allowed(r) for r in matched)):
                raise PgError(
                    SqlState.INSUFFICIENT_PRIVILEGE,
                    f"query refused: column {source} is masked for your role and cannot be used in "
                    f"{use.clause} ({use.sql})",
                    detail="Filtering, joining, grouping, sorting or aggregating on a masked column "
                    "would reveal its values by inference.",
                    hint="Remove the masked column from that clause, or ask for a role exempt from the rule.",
                )


def _guard_writes(writes: tuple[ColumnLineage, ...], rules: tuple[MaskRule, ...]) -> None:
    for write in writes:
        for source in sorted(write.sources):
            if _rules_for(source, rules):
                raise denied(
                    f"query refused: column {source} is masked for your role and cannot be written "
                    f"into another table (it would be stored in {write.name} unmasked)",
                    detail="A masked value copied by INSERT ... SELECT or UPDATE ... SET could be read "
                    "back from its new place without masking.",
                )


def _column_mask(
    index: int, col: ColumnLineage, rules: tuple[MaskRule, ...], detectors: tuple[DetectorRule, ...]
) -> ColumnMask | None:
    masked = {source: found for source in col.sources if (found := _rules_for(source, rules))}
    if not masked:
        return _detector_mask(index, col, detectors)
    patterns = tuple(dict.fromkeys(r.pattern for found in masked.values() for r in found))
    sources = tuple(str(s) for s in sorted(masked))
    ways = {(r.strategy, tuple(sorted(r.options.items()))) for found in masked.values() for r in found}
    if col.direct and len(masked) == 1 and len(ways) == 1:
        rule = next(iter(masked.values()))[0]
        return ColumnMask(index, rule.strategy, patterns, sources, col.name, rule.options)
    return ColumnMask(index, "redact", patterns, sources, col.name, _HIDE_NULLS)


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
