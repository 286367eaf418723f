"""Translate a resolved PostgreSQL query into BigQuery SQL that returns what PostgreSQL would.

The pipeline: type every node under PostgreSQL rules and refuse what is not on the
allow-list (typer.py with the catalogue's rules), rewrite the known differences (the
catalogue's fix-ups, rewrite.py), turn $n into typed named parameters @pn, give every output
column a unique alias, and let sqlglot print BigQuery SQL with every identifier quoted.
Output names are PostgreSQL's (names/outputs.py), and output types PostgreSQL's, in
BigQuery spelling. INSERT, UPDATE and DELETE take the same steps per part (dml.py).

Translations can be cached (cache.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.errors import ErrorLevel, UnsupportedError

from pgbridge.sql import pgtypes as T
from pgbridge.sql.names.outputs import META_KEY
from pgbridge.sql.names.resolve import Resolved, SchemaLookup, TableRef
from pgbridge.sql.translate import dml, scales
from pgbridge.sql.translate.catalogue import REGISTRY
from pgbridge.sql.translate.constructs import avg_compare, numeric_exact
from pgbridge.sql.translate.rewrite import apply_fixups
from pgbridge.sql.translate.scopes import type_query
from pgbridge.sql.translate.typer import Typer, undetermined_parameter
from pgbridge.typemap import BqType, parse_bq_type
from pgbridge.wire.errors import unsupported


@dataclass(frozen=True)
class Translation:
    sql: str
    param_types: tuple[BqType, ...]
    output_names: tuple[str, ...]
    output_types: tuple[str | None, ...]  # BigQuery type per output column when known, else None
    kind: str = "query"  # "query" (returns rows) or "dml" (INSERT / UPDATE / DELETE: a row count)
    table: TableRef | None = None  # for "dml": the table written
    command: str = "SELECT"  # "SELECT", "INSERT", "UPDATE" or "DELETE": the CommandComplete verb
    digit_params: tuple[int, ...] = ()  # numeric $n printed with its own digits (scales.py)


def translate(
    resolved: Resolved, param_types: Sequence[BqType | None], schema: SchemaLookup, text: str = ""
) -> Translation:
    """BigQuery SQL for a resolved query. Raises PgError 0A000 for anything not allow-listed."""
    ast: exp.Expr = resolved.ast.copy()
    declared = [str(p) if p is not None else None for p in param_types]
    text = text or resolved.ast.sql("postgres")
    typer = Typer(REGISTRY.rules, resolved.metas, text, declared, resolved.timezone)
    if isinstance(ast, (exp.Insert, exp.Update, exp.Delete)):
        return _translate_dml(typer, ast, resolved, len(param_types))
    if not isinstance(ast, exp.Query):
        raise unsupported(
            f"statement {type(ast).__name__.upper()}", hint="only queries and DML are translated"
        )
    type_query(typer, ast)
    avg_compare.check_claimed(typer)
    numeric_exact.mark_outputs(typer, ast)
    names, types = _outputs(typer, ast)
    params = _param_types(typer, len(param_types))
    ast = apply_fixups(typer, ast, REGISTRY.fixups)
    scales.add_companions(ast)
    ast = numeric_exact.finish_outputs(ast)
    _alias_outputs(ast, names)
    return Translation(
        _generate(ast), params, tuple(names), tuple(types), digit_params=tuple(sorted(typer.digit_params))
    )


def _translate_dml(typer: Typer, ast: exp.Expr, resolved: Resolved, declared_count: int) -> Translation:
    typer.digit_outputs = False
    dml.refuse_extras(ast)
    meta = dml.target_of(ast, resolved)
    if isinstance(ast, exp.Update):
        out = dml.update_sql(typer, ast, meta)
    elif isinstance(ast, exp.Delete):
        out = dml.delete_sql(typer, ast, meta)
    else:
        assert isinstance(ast, exp.Insert)
        out = dml.insert_sql(typer, ast, meta, resolved.metas)
    avg_compare.check_claimed(typer)
    params = _param_types(typer, declared_count)
    command = ast.key.upper()
    return Translation(_generate(out), params, (), (), "dml", dml.ref_of(meta), command)


def _projections(ast: exp.Expr) -> list[exp.Expr]:
    node = ast
    while isinstance(node, (exp.SetOperation, exp.Subquery)):
        node = node.this
    return list(node.expressions) if isinstance(node, exp.Select) else []


def _outputs(typer: Typer, ast: exp.Expr) -> tuple[list[str], list[str | None]]:
    names: list[str] = []
    types: list[str | None] = []
    setop_types = typer.setop_out.get(id(ast)) if isinstance(ast, exp.SetOperation) else None
    for index, projection in enumerate(_projections(ast)):
        inner = projection.this if isinstance(projection, exp.Alias) else projection
        name = projection.meta.get(META_KEY) or inner.meta.get(META_KEY) or projection.alias_or_name
        names.append(str(name))
        type_ = setop_types[index] if setop_types else typer.types.get(id(projection))
        if type_ == T.UNKNOWN:
            typer.settle(inner, T.STRING)
            type_ = T.STRING
        declared = typer.column_typmods.get(id(inner)) if isinstance(inner, exp.Column) else None
        if declared is not None and type_ == T.NUMERIC and not setop_types:
            type_ = f"NUMERIC({declared[0]}, {declared[1]})"  # RowDescription's typmod says numeric(P,S)
        types.append(type_ if type_ != T.ROW else None)
    return names, types


def _param_types(typer: Typer, declared_count: int) -> tuple[BqType, ...]:
    highest = max([declared_count, *typer.param_nodes.keys()], default=0)
    result: list[BqType] = []
    for number in range(1, highest + 1):
        decided = typer.param_types.get(number)
        if decided is None and (number in typer.undecidable or number not in typer.param_nodes):
            raise undetermined_parameter(number)
        result.append(parse_bq_type(decided or T.STRING))
    return tuple(result)


def _alias_outputs(ast: exp.Expr, names: list[str]) -> None:
    """Unique, BigQuery-valid aliases on the first SELECT's outputs (which name the result)."""
    node = ast
    while isinstance(node, (exp.SetOperation, exp.Subquery)):
        node = node.this
    if not isinstance(node, exp.Select):
        return
    seen: set[str] = set()
    aliased = []
    for index, projection in enumerate(node.expressions):
        alias = _unique(_safe_alias(names[index] if index < len(names) else "col"), seen)
        inner = projection.this if isinstance(projection, exp.Alias) else projection
        new = exp.alias_(inner, alias, quoted=True)
        new.meta["old_alias"] = projection.alias_or_name
        aliased.append(new)
    node.set("expressions", aliased)
    _rename_order_refs(ast, node)


def _rename_order_refs(ast: exp.Expr, select: exp.Select) -> None:
    # ORDER BY may name an output by its old alias; point it at the new one (or the ordinal).
    order = ast.args.get("order")
    if order is None:
        return
    by_old = {p.meta.get("old_alias"): i for i, p in enumerate(select.expressions) if p.meta.get("old_alias")}
    for ordered in order.expressions:
        target = ordered.this
        if isinstance(target, exp.Column) and not target.table and target.name in by_old:
            ordered.set("this", exp.Literal.number(by_old[target.name] + 1))


def _safe_alias(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_]", "_", name).strip("_") or "col"
    return cleaned if not cleaned[0].isdigit() else "_" + cleaned


def _unique(name: str, seen: set[str]) -> str:
    candidate, n = name, 1
    while candidate.lower() in seen:
        candidate, n = f"{name}_{n}", n + 1
    seen.add(candidate.lower())
    return candidate


def _generate(ast: exp.Expr) -> str:
    try:
        return ast.sql(dialect="bigquery", identify=True, unsupported_level=ErrorLevel.RAISE)
    except UnsupportedError as error:
        raise unsupported("this query in BigQuery", hint=str(error)) from None
