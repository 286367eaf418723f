"""Name resolution: every warehouse table gets its BigQuery dataset, every column its table.

PostgreSQL rules apply: unquoted names fold to lower case, quoted names keep theirs; an
unqualified table is looked up along the session's search_path, where each schema maps to a
BigQuery dataset ("public" to the default dataset unless mapped). The result is a copy of the
AST with `dataset.table` references, table-qualified columns and `*` expanded from the
table metadata (sqlglot's qualify does the column work; this module decides the tables and
turns its failures into PostgreSQL's errors). Lineage, policy and translation all read it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlglot import exp
from sqlglot.errors import OptimizeError
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from pgbridge.backends.base import TableMeta
from pgbridge.sql.names.outputs import tag_output_names
from pgbridge.sql.pgtypes import sqlglot_type_for
from pgbridge.sql.statements.model import Statement
from pgbridge.wire.errors import PgError, SqlState, unsupported


@dataclass(frozen=True)
class TableRef:
    dataset: str
    table: str


class SchemaLookup(Protocol):
    def table(self, dataset: str, name: str) -> TableMeta | None: ...

    def datasets(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class NameContext:
    search_path: tuple[str, ...]
    default_dataset: str
    schema_to_dataset: Mapping[str, str]
    timezone: str = "UTC"  # the session's TimeZone setting: timestamptz arithmetic happens there


@dataclass(frozen=True)
class Resolved:
    ast: exp.Expression
    tables: tuple[TableRef, ...]
    metas: tuple[TableMeta, ...] = ()  # metadata of `tables`, same order
    timezone: str = "UTC"  # NameContext.timezone, for the translator


def resolve(stmt: Statement, names: NameContext, schema: SchemaLookup) -> Resolved:
    if stmt.ast is None:
        raise unsupported(f"statement {stmt.tag or stmt.kind.name}", hint="it could not be parsed")
    ast = _name_unnest_columns(_name_values_columns(stmt.ast.copy()))
    _refuse_backticks(ast)
    _refuse_group_by_all(ast)
    tag_output_names(ast, stmt.text)
    metas = _qualify_tables(ast, names, schema)
    _qualify_column_schemas(ast, names, schema)
    ast = qualify_columns(ast, metas)
    refs = tuple(TableRef(m.dataset, m.name) for m in metas)
    return Resolved(ast, refs, tuple(metas), names.timezone)


def _refuse_group_by_all(ast: exp.Expression) -> None:
    """Bare `GROUP BY ALL` is not PostgreSQL (a syntax error there), but sqlglot reads it and
    BigQuery and DuckDB run it as "group by every other select item" — which once let masked
    columns be grouped on without appearing in GROUP BY. `GROUP BY ALL a` is PostgreSQL's
    spelling of plain `GROUP BY a` and loses the keyword."""
    for group in ast.find_all(exp.Group):
        if not group.args.get("all"):
            continue
        if not group.expressions:
            raise PgError(SqlState.SYNTAX_ERROR, 'syntax error at or near "ALL"')
        group.set("all", None)


def _name_values_columns(ast: exp.Expression) -> exp.Expression:
    """VALUES lists get PostgreSQL's column names column1, column2, ... where none are given."""
    for values in list(ast.find_all(exp.Values)):
        alias = values.args.get("alias")
        if (alias is not None and alias.columns) or isinstance(values.parent, exp.Insert):
            continue  # INSERT ... VALUES stays VALUES
        width = len(values.expressions[0].expressions) if values.expressions else 0
        columns = [exp.to_identifier(f"column{i + 1}") for i in range(width)]
        name = alias.this if alias is not None and alias.this else exp.to_identifier("_values")
        values.set("alias", exp.TableAlias(this=name, columns=columns))
        if values is ast or not isinstance(values.parent, (exp.From, exp.Join, exp.Subquery)):
            query = exp.select("*").from_(values.copy())
            if values is ast:
                return query
            values.replace(exp.Subquery(this=query))
    return ast


def _name_unnest_columns(ast: exp.Expression) -> exp.Expression:
    """unnest() and generate_series() in FROM: LATERAL is implied, and the column is named as
    PostgreSQL names it (the alias's column list, else the table alias, else the function)."""
    for lateral in list(ast.find_all(exp.Lateral)):
        if isinstance(lateral.this, exp.Unnest) and not lateral.this.args.get("alias"):
            unnest = lateral.this
            unnest.set("alias", lateral.args.get("alias"))
            lateral.replace(unnest)
    for unnest in ast.find_all(exp.Unnest):
        if isinstance(unnest.parent, (exp.From, exp.Join)) and len(unnest.expressions) == 1:
            _name_single_column(unnest, "unnest")
    for table in ast.find_all(exp.Table):
        if isinstance(table.this, exp.ExplodingGenerateSeries):
            _name_single_column(table, "generate_series")
    return ast


def _name_single_column(node: exp.Expression, function: str) -> None:
    alias = node.args.get("alias")
    if alias is None or not alias.name:
        alias = exp.TableAlias(this=exp.to_identifier(function), columns=alias.columns if alias else [])
        node.set("alias", alias)
    if not alias.columns:
        alias.set("columns", [alias.this.copy()])


def _refuse_backticks(ast: exp.Expression) -> None:
    # A backtick would let a quoted PostgreSQL name break out of BigQuery's `quoting`.
    for ident in ast.find_all(exp.Identifier):
        if "`" in ident.name:
            raise PgError(SqlState.UNDEFINED_TABLE, f'relation "{ident.name}" does not exist')


def fold(ident: exp.Identifier | None) -> str:
    """A PostgreSQL identifier's name: unquoted folds to lower case."""
    if ident is None:
        return ""
    return ident.name if ident.quoted else ident.name.lower()


def _qualify_tables(ast: exp.Expression, names: NameContext, schema: SchemaLookup) -> list[TableMeta]:
    ctes = {fold(cte.args["alias"].this) for cte in ast.find_all(exp.CTE)}
    metas: dict[tuple[str, str], TableMeta] = {}
    for table in list(ast.find_all(exp.Table)):
        if isinstance(table.this, exp.Func) or not isinstance(table.this, exp.Identifier):
            continue  # table functions are the translator's business
        if not table.args.get("db") and fold(table.this) in ctes:
            continue
        meta = _lookup(table, names, schema)
        metas[(meta.dataset, meta.name)] = meta
        _rewrite_table(table, meta)
    return list(metas.values())


def _qualify_column_schemas(ast: exp.Expression, names: NameContext, schema: SchemaLookup) -> None:
    """`public.products.id` (SQLAlchemy writes columns so): the schema part names a dataset as
    a table's does, so `public` becomes the default dataset the table was resolved to."""
    for column in ast.find_all(exp.Column):
        db = column.args.get("db")
        if isinstance(db, exp.Identifier) and column.args.get("table") is not None:
            column.set("db", exp.to_identifier(_dataset_for(fold(db), names, schema), quoted=True))


def _lookup(table: exp.Table, names: NameContext, schema: SchemaLookup) -> TableMeta:
    if table.args.get("catalog"):
        raise unsupported(f"cross-database reference {table.sql('postgres')}")
    name = fold(table.this)
    if "." in name:
        raise PgError(SqlState.UNDEFINED_TABLE, f'relation "{name}" does not exist')
    schema_ident = table.args.get("db")
    if schema_ident is not None:
        schema_name = fold(schema_ident)
        dataset = _dataset_for(schema_name, names, schema)
        meta = schema.table(dataset, name)
        if meta is None:
            raise PgError(SqlState.UNDEFINED_TABLE, f'relation "{schema_name}.{name}" does not exist')
        return meta
    for entry in names.search_path:
        found = _dataset_or_none(entry, names, schema)
        meta = schema.table(found, name) if found else None
        if meta is not None:
            return meta
    raise PgError(SqlState.UNDEFINED_TABLE, f'relation "{name}" does not exist')


def datasets_on_path(names: NameContext, schema: SchemaLookup) -> tuple[str, ...]:
    """The datasets an unqualified name is looked up in, in order: what the search_path means
    for resolution (a schema naming no dataset, such as an absent "$user", drops out)."""
    found = (_dataset_or_none(entry, names, schema) for entry in names.search_path)
    return tuple(dataset for dataset in found if dataset)


def _dataset_or_none(schema_name: str, names: NameContext, schema: SchemaLookup) -> str | None:
    if schema_name in names.schema_to_dataset:
        return names.schema_to_dataset[schema_name]
    if schema_name == "public":
        return names.default_dataset
    if "." in schema_name or schema_name not in schema.datasets():
        return None
    return schema_name


def _dataset_for(schema_name: str, names: NameContext, schema: SchemaLookup) -> str:
    dataset = _dataset_or_none(schema_name, names, schema)
    if dataset is None:
        raise PgError(SqlState.UNDEFINED_SCHEMA, f'schema "{schema_name}" does not exist')
    return dataset


def _rewrite_table(table: exp.Table, meta: TableMeta) -> None:
    if not table.alias:
        # Keep the name PostgreSQL would let the query use (`orders.id`) as the alias.
        table.set("alias", exp.TableAlias(this=exp.to_identifier(fold(table.this), quoted=True)))
    table.set("this", exp.to_identifier(meta.name, quoted=True))
    table.set("db", exp.to_identifier(meta.dataset, quoted=True))
    table.set("catalog", None)


def qualify_columns(ast: exp.Expression, metas: list[TableMeta]) -> exp.Expression:
    """Table-qualify every column and expand `*` (sqlglot's qualify), errors as PostgreSQL's."""
    mapping: dict[str, object] = {}
    for meta in metas:
        columns = {f.name: sqlglot_type_for(f.type, f.mode) for f in meta.fields}
        tables = mapping.setdefault(meta.dataset, {})
        assert isinstance(tables, dict)
        tables[meta.name] = columns
    mschema = MappingSchema(mapping, dialect="postgres", normalize=False)
    for alias in ast.find_all(exp.Alias):
        alias.meta["pg_written"] = True
    try:
        qualified = qualify(
            ast,
            schema=mschema,
            dialect="postgres",
            quote_identifiers=False,
            identify=False,
            validate_qualify_columns=True,
        )
    except OptimizeError as error:
        raise _column_error(str(error), ast, metas) from None
    _plain_generated_aliases(qualified)
    return qualified


def _plain_generated_aliases(ast: exp.Expression) -> None:
    """sqlglot names an unaliased output after its text (`'\\x01'::bytea` -> "\\x01"); policy
    refuses identifiers holding backslashes or backticks, so such generated names become _col_N."""
    for select in ast.find_all(exp.Select):
        for index, projection in enumerate(select.expressions):
            if (
                isinstance(projection, exp.Alias)
                and not projection.meta.get("pg_written")
                and any(c in projection.alias for c in "`\\\x00")
            ):
                projection.set("alias", exp.to_identifier(f"_col_{index}"))


def _column_error(message: str, ast: exp.Expression, metas: list[TableMeta]) -> PgError:
    match = re.search(r"column:? '?([^'\s.]+)'?", message, re.IGNORECASE)
    name = match.group(1) if match else message
    owners = [m for m in metas if any(f.name == name for f in m.fields)]
    if len(owners) > 1:
        return PgError(SqlState.AMBIGUOUS_COLUMN, f'column reference "{name}" is ambiguous')
    if "could not be resolved" in message or "Unknown column" in message or "not found" in message:
        return PgError(SqlState.UNDEFINED_COLUMN, f'column "{name}" does not exist')
    return unsupported("this query's name resolution", hint=message)
