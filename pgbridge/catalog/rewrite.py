"""Rewrite a client's catalog query (PostgreSQL SQL) into SQL our DuckDB database runs.

The query itself runs, unchanged in meaning, on real relations; only names move:
pg_catalog.* and information_schema.* point at our schemas `pgc` / `pgi` (DuckDB's built-in
pg_catalog is read-only and different), PostgreSQL functions become the macros of
functions.py or constants, reg* casts of constants are resolved to OIDs now, `OPERATOR(
pg_catalog.~)` becomes a regex match, COLLATE is dropped (DuckDB compares bytes, as the "C"
collation does), '{a,b}' array literals become lists, and $n parameters become literals.
Nodes whose PostgreSQL type the rewrite knows carry it in `node.meta["pgtype"]` for infer.py.
Walking in reverse pre-order visits every node after all of its descendants.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pyarrow as pa
from sqlglot import exp

from pgbridge.catalog import regnames
from pgbridge.catalog.database import SCHEMA_OF
from pgbridge.catalog.facts import load_facts, type_by_name
from pgbridge.catalog.functions import FUNCTION_TYPES
from pgbridge.catalog.snapshot import PUBLIC_OID, Snapshot
from pgbridge.catalog.storage import arrow_type, duck_type
from pgbridge.typemap import PgType
from pgbridge.wire.errors import PgError, SqlState
from pgbridge.wire.values import Interval

PARAM = "param"  # meta key: the $n number of a describe-mode parameter placeholder
REG_TYPES = ("regclass", "regtype", "regproc", "regprocedure", "regnamespace", "regrole")
TEXT_TYPES = ("text", "varchar", "name", "bpchar")


@dataclass(frozen=True)
class RewriteContext:
    snapshot: Snapshot
    search_path: tuple[str, ...]
    params: Sequence[object] | None  # None: describing, parameters are typed NULLs
    server_version: str
    settings: frozenset[str]  # names current_setting() may ask for


def rewrite(tree: exp.Expr, ctx: RewriteContext) -> exp.Expr:
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    for node in reversed(list(tree.walk())):
        replacement = _rewrite_node(node, ctx, ctes)
        if replacement is not None and replacement is not node:
            if "pgname" in node.meta:  # the column name PostgreSQL gives the original expression
                replacement.meta.setdefault("pgname", node.meta["pgname"])
            if node is tree:
                tree = replacement
            else:
                node.replace(replacement)
    return tree


def _rewrite_node(node: exp.Expr, ctx: RewriteContext, ctes: set[str]) -> exp.Expr | None:
    if isinstance(node, exp.Table):
        return _table(node, ctes)
    if isinstance(node, exp.Column):
        return _column(node)
    if isinstance(node, exp.Dot) and isinstance(node.this, exp.Identifier) and node.this.name in SCHEMA_OF:
        return node.expression  # a schema-qualified function call: pg_catalog.f(), information_schema.f()
    if isinstance(node, exp.Cast):
        return _cast(node, ctx)
    if isinstance(node, exp.Operator) and _names_default_dataset(node, ctx):
        node.set("expression", exp.Literal.string("^(public)$"))
    if isinstance(node, exp.Operator):
        return _operator(node)
    if isinstance(node, exp.Collate):
        return node.this
    if isinstance(node, (exp.Parameter, exp.Placeholder)):
        return _parameter(node, ctx)
    if isinstance(node, (exp.EQ, exp.NEQ)):
        return _array_literal_compare(node)
    if isinstance(node, exp.DPipe):
        return _array_concat(node)
    if isinstance(node, exp.Any):
        return _any_of_array_literal(node)
    if isinstance(node, exp.Func):
        return _function(node, ctx)
    return None


def _array_concat(node: exp.DPipe) -> exp.Expr | None:
    # PostgreSQL's array || treats a NULL array as empty; DuckDB's || would return NULL.
    if not any(isinstance(side, exp.Array) for side in (node.this, node.expression)):
        return None
    return exp.Anonymous(this="list_concat", expressions=[node.this, node.expression])


# -- relations ----------------------------------------------------------------------------


def _table(node: exp.Table, ctes: set[str]) -> exp.Expr | None:
    if not isinstance(node.this, exp.Identifier):
        node.set("db", None)  # a table function (generate_series, unnest): its call is rewritten alone
        return None
    schema, name = node.db or "", node.name
    if not schema and name in ctes:
        return None
    relations = load_facts().relations
    if not schema:
        schema = "pg_catalog" if f"pg_catalog.{name}" in relations else ""
    if schema in SCHEMA_OF and f"{schema}.{name}" in relations:
        node.set("db", exp.to_identifier(SCHEMA_OF[schema]))
        node.set("catalog", None)
        return node
    shown = f"{node.db}.{name}" if node.db else name
    raise PgError(SqlState.UNDEFINED_TABLE, f'relation "{shown}" does not exist')


def _column(node: exp.Column) -> exp.Expr | None:
    # SQLAlchemy writes pg_catalog.pg_class.relname: the schema part moves with the table.
    if node.args.get("db") is not None and node.db in SCHEMA_OF:
        node.set("db", exp.to_identifier(SCHEMA_OF[node.db]))
        node.set("catalog", None)
    if node.name == "tableoid" and isinstance(node.this, exp.Identifier) and not node.this.quoted:
        return _tableoid(node)
    return None


def _tableoid(node: exp.Column) -> exp.Expr | None:
    """The system column tableoid (pg_dump reads `x.tableoid` of every catalog it scans): the
    OID of the relation the row comes from, known from the FROM item the column names."""
    select = node.find_ancestor(exp.Select)
    if select is None:
        return None
    tables = [t for t in select.find_all(exp.Table) if t.find_ancestor(exp.Select) is select]
    named = [t for t in tables if not node.table or node.table in (t.alias_or_name, t.name)]
    if len(named) != 1:
        return None  # ambiguous or not a table: DuckDB's own error says so
    schema = named[0].db if named[0].db in SCHEMA_OF else "pg_catalog"
    oid = load_facts().relation_oids.get(f"{schema}.{named[0].name}")
    if oid is None:
        return None
    out = exp.Cast(this=exp.Literal.number(oid), to=exp.DataType.build("UINTEGER", dialect="duckdb"))
    out.meta["pgtype"] = "oid"
    return out


# -- casts ----------------------------------------------------------------------------------


def type_name_of(datatype: exp.DataType) -> str:
    return datatype.sql("postgres").lower().replace("pg_catalog.", "")


def _cast(node: exp.Cast, ctx: RewriteContext) -> exp.Expr:
    spelled = type_name_of(node.to)
    pg = type_by_name(spelled)
    if pg is None:
        raise PgError(SqlState.UNDEFINED_OBJECT, f'type "{spelled}" does not exist')
    inner = node.this
    if pg.name in REG_TYPES:
        out = _reg_cast(pg.name, inner, ctx)
    elif pg.name in TEXT_TYPES and inner.meta.get("pgtype") in REG_TYPES:
        out = exp.Anonymous(this=f"pgb_{_reg_family(inner.meta['pgtype'])}_out", expressions=[inner])
    elif pg.element_oid and isinstance(inner, exp.Literal) and inner.is_string:
        out = exp.cast(_pg_array(inner.this), exp.DataType.build(_duck_sql(pg), dialect="duckdb"))
    else:
        # A node of its own: exp.cast would fold `$1::regclass::oid` into one cast and lose regclass.
        out = exp.Cast(this=inner, to=exp.DataType.build(_duck_sql(pg), dialect="duckdb"))
    out.meta["pgtype"] = pg.name
    return out


# Storage types a top-level cast names exactly; storage.duck_type gives the rest (and the
# elements of arrays, which keep its coarser names).
_CAST_NAMES = {
    pa.float64(): "DOUBLE",
    pa.float32(): "REAL",
    pa.month_day_nano_interval(): "INTERVAL",
    pa.date32(): "DATE",
    pa.timestamp("us"): "TIMESTAMP",
}


def _duck_sql(pg: PgType) -> str:
    storage = arrow_type(pg)
    if pa.types.is_list(storage):
        return duck_type(storage.value_type) + "[]"
    return _CAST_NAMES.get(storage) or duck_type(storage)


def _reg_family(name: str) -> str:
    return "regproc" if name == "regprocedure" else name


def _reg_cast(target: str, inner: exp.Expr, ctx: RewriteContext) -> exp.Expr:
    if isinstance(inner, exp.Literal) and inner.is_string:
        return exp.Literal.number(_resolve_reg(target, inner.this, ctx))
    if inner.meta.get("pgtype") in TEXT_TYPES or (isinstance(inner, exp.Literal) and inner.is_string):
        return exp.Anonymous(this=f"pgb_{_reg_family(target)}_in", expressions=[inner])
    return exp.Cast(this=inner, to=exp.DataType.build("UINTEGER", dialect="duckdb"))


def _resolve_reg(target: str, text: str, ctx: RewriteContext) -> int:
    if target == "regclass":
        return regnames.regclass_oid(ctx.snapshot, text, ctx.search_path)
    if target == "regtype":
        return regnames.regtype_oid(text)
    if target == "regnamespace":
        return regnames.regnamespace_oid(ctx.snapshot, text)
    if target == "regrole":
        raise PgError(
            SqlState.FEATURE_NOT_SUPPORTED, "regrole constants are not supported by pgbridge's catalog"
        )
    return regnames.regproc_oid(text)


_ARRAY_ITEM = re.compile(r'"((?:[^"\\]|\\.)*)"|([^,{}]+)')


def _pg_array(text: str) -> exp.Expr:
    """'{1,2}' -> [1, 2] as strings; the surrounding cast gives the element type."""
    body = text.strip()
    if not (body.startswith("{") and body.endswith("}")):
        raise PgError(SqlState.INVALID_TEXT_REPRESENTATION, f'malformed array literal: "{text}"')
    items = []
    for quoted, bare in _ARRAY_ITEM.findall(body[1:-1]):
        value = quoted if quoted else bare.strip()
        items.append(exp.null() if not quoted and value.upper() == "NULL" else exp.Literal.string(value))
    return exp.Array(expressions=items)


def _array_literal_compare(node: exp.Binary) -> exp.Expr | None:
    # psql compares oid[] columns with '{0}'; DuckDB cannot cast that text to a list itself.
    for side in ("this", "expression"):
        value = node.args.get(side)
        if isinstance(value, exp.Literal) and value.is_string and re.fullmatch(r"\{.*\}", value.this):
            other = node.args.get("expression" if side == "this" else "this")
            del other
            node.set(side, _pg_array(value.this))
    return None


def _any_of_array_literal(node: exp.Any) -> exp.Expr | None:
    # pgcli's `\dt`: `c.relkind = ANY('{r,p,""}')`; DuckDB would unnest the text itself.
    inner = node.this.unnest() if isinstance(node.this, exp.Paren) else node.this
    if isinstance(inner, exp.Literal) and inner.is_string and re.fullmatch(r"\{.*\}", inner.this, re.S):
        node.set("this", _pg_array(inner.this))
    return None


# -- operators and parameters ---------------------------------------------------------------


_COMPARISONS: dict[str, type[exp.Binary]] = {
    "=": exp.EQ,
    "<>": exp.NEQ,
    "!=": exp.NEQ,
    "<": exp.LT,
    "<=": exp.LTE,
    ">": exp.GT,
    ">=": exp.GTE,
}


# Columns naming a schema: a lookup of the default dataset by its own name finds `public`.
_SCHEMA_COLUMNS = ("nspname", "table_schema", "schema_name")


def _names_default_dataset(node: exp.Operator, ctx: RewriteContext) -> bool:
    r"""`n.nspname OPERATOR(pg_catalog.~) '^(shop)$'` (psql's `\d shop.customers`), where shop
    is the dataset listed as `public` (snapshot.py): a lookup of `public`, as
    `'shop'::regnamespace` and `shop.customers` in SQL already are. (A listing filtered on
    `nspname = 'shop'` still finds nothing: the name is not listed as a schema.)"""
    column, literal = node.this, node.expression
    if not (isinstance(column, exp.Column) and column.name in _SCHEMA_COLUMNS):
        return False
    if not (isinstance(literal, exp.Literal) and literal.is_string):
        return False
    pattern = re.fullmatch(r"\^\((\w+)\)\$", literal.this)  # psql's pattern of one exact name
    name = pattern.group(1) if pattern else "public"
    return name != "public" and ctx.snapshot.namespaces.get(name) == PUBLIC_OID



def _operator(node: exp.Operator) -> exp.Expr:
    op = str(node.args.get("operator") or "").replace("pg_catalog.", "").strip()
    if op in _COMPARISONS:  # pg_dump: `c.relkind OPERATOR(pg_catalog.=) ANY (array[...])`
        return _COMPARISONS[op](this=node.this, expression=node.expression)
    regex = {"~": (False, ""), "!~": (True, ""), "~*": (False, "i"), "!~*": (True, "i")}
    if op not in regex:
        raise PgError(SqlState.UNDEFINED_FUNCTION, f"operator does not exist: {op}")
    negate, flags = regex[op]
    args = [node.this, node.expression] + ([exp.Literal.string(flags)] if flags else [])
    match: exp.Expr = exp.Anonymous(this="regexp_matches", expressions=args)
    match.meta["pgtype"] = "bool"
    return exp.Not(this=match) if negate else match


def _parameter(node: exp.Expr, ctx: RewriteContext) -> exp.Expr:
    index = int(node.name) if node.name.isdigit() else 0
    if ctx.params is None:
        placeholder = exp.null()
        placeholder.meta[PARAM] = index  # params.py types it from where it stands
        return placeholder
    if not 1 <= index <= len(ctx.params):
        raise PgError(SqlState.PROTOCOL_VIOLATION, f"there is no parameter ${index}")
    return param_literal(ctx.params[index - 1])


def param_literal(value: object) -> exp.Expr:
    """A decoded Bind value as a DuckDB literal (never spliced text: sqlglot quotes it)."""
    if isinstance(value, Interval):
        spelled = f"{value.months} months {value.days} days {value.microseconds} microseconds"
        return exp.cast(exp.Literal.string(spelled), exp.DataType.build("INTERVAL"))
    try:
        return exp.convert(value)
    except ValueError:
        return exp.Literal.string(str(value))


# -- functions -----------------------------------------------------------------------------

Handler = Callable[[list[exp.Expr], RewriteContext], exp.Expr]


def _call(name: str) -> Handler:
    return lambda args, ctx: exp.Anonymous(this=name, expressions=args)


def _const(value: object) -> Handler:
    return lambda args, ctx: exp.convert(value)


def _null_text(args: list[exp.Expr], ctx: RewriteContext) -> exp.Expr:
    return exp.cast(exp.null(), exp.DataType.build("VARCHAR"))


def _var(name: str) -> Handler:
    return lambda args, ctx: exp.Anonymous(this="getvariable", expressions=[exp.Literal.string(name)])


def _first(name: str, count: int = 1) -> Handler:
    return lambda args, ctx: exp.Anonymous(this=name, expressions=args[:count])


def _current_setting(args: list[exp.Expr], ctx: RewriteContext) -> exp.Expr:
    name = args[0] if args else exp.null()
    missing_ok = len(args) > 1 and isinstance(args[1], exp.Boolean) and args[1].this
    if isinstance(name, exp.Literal) and name.this.lower() not in ctx.settings and not missing_ok:
        raise PgError(SqlState.UNDEFINED_OBJECT, f'unrecognized configuration parameter "{name.this}"')
    if isinstance(name, exp.Literal):
        name = exp.Literal.string(name.this.lower())
    return exp.Anonymous(this="pgb_current_setting", expressions=[name])


def _obj_description(args: list[exp.Expr], ctx: RewriteContext) -> exp.Expr:
    catalog: exp.Expr = exp.null()
    if len(args) > 1 and isinstance(args[1], exp.Literal):
        catalog = exp.Literal.number(regnames.regclass_oid(ctx.snapshot, args[1].this, ("pg_catalog",)))
    return exp.Anonymous(this="pgb_obj_description", expressions=[args[0], catalog])


def _privilege(allowed: tuple[str, ...]) -> Handler:
    """Visible objects may be read; the gateway never lets a client change them."""

    def handler(args: list[exp.Expr], ctx: RewriteContext) -> exp.Expr:
        privilege = args[-1]
        if isinstance(privilege, exp.Literal):
            words = {w.strip().split(" ")[0].upper() for w in privilege.this.split(",")}
            return exp.convert(words <= set(allowed))
        return exp.false()

    return handler


def _current_schemas(args: list[exp.Expr], ctx: RewriteContext) -> exp.Expr:
    return exp.Case(
        ifs=[
            exp.If(
                this=args[0],
                true=exp.Anonymous(
                    this="getvariable", expressions=[exp.Literal.string("pgb_schemas_implicit")]
                ),
            )
        ],
        default=exp.Anonymous(this="getvariable", expressions=[exp.Literal.string("pgb_schemas")]),
    )


HANDLERS: dict[str, Handler] = {
    "version": lambda args, ctx: exp.Literal.string(f"PostgreSQL {ctx.server_version} (pgbridge catalog)"),
    "current_database": _var("pgb_database"),
    "current_catalog": _var("pgb_database"),
    "current_user": _var("pgb_user"),
    "session_user": _var("pgb_user"),
    "user": _var("pgb_user"),
    "current_role": _var("pgb_user"),
    "current_schema": _var("pgb_current_schema"),
    "current_schemas": _current_schemas,
    "current_setting": _current_setting,
    "set_config": lambda args, ctx: args[1],
    "pg_get_userbyid": _call("pgb_get_userbyid"),
    "pg_table_is_visible": _call("pgb_table_is_visible"),
    "pg_type_is_visible": _call("pgb_type_is_visible"),
    "pg_function_is_visible": _call("pgb_function_is_visible"),
    "pg_collation_is_visible": _const(True),
    "format_type": _call("pgb_format_type"),
    "pg_get_expr": _null_text,
    "pg_get_constraintdef": _null_text,
    "pg_get_indexdef": _null_text,
    "pg_get_viewdef": _null_text,
    "pg_get_statisticsobjdef_columns": _null_text,
    "pg_get_triggerdef": _null_text,
    "pg_get_ruledef": _null_text,
    "pg_get_serial_sequence": _null_text,
    "shobj_description": _null_text,
    "pg_encoding_to_char": _call("pgb_encoding_to_char"),
    "pg_client_encoding": _const("UTF8"),
    "obj_description": _obj_description,
    "col_description": _call("pgb_col_description"),
    "has_table_privilege": _privilege(("SELECT",)),
    "has_column_privilege": _privilege(("SELECT",)),
    "has_any_column_privilege": _privilege(("SELECT",)),
    "has_schema_privilege": _privilege(("USAGE",)),
    "has_database_privilege": _privilege(("CONNECT",)),
    "has_function_privilege": _privilege(("EXECUTE",)),
    "has_type_privilege": _privilege(("USAGE",)),
    "pg_has_role": _privilege(("MEMBER", "USAGE")),
    "quote_ident": _call("pgb_quote_ident"),
    "quote_literal": _call("pgb_quote_literal"),
    "array_remove": _call("pgb_array_remove"),
    # No object has a privilege list (its ACL is NULL, the default), so neither has a default.
    "acldefault": lambda args, ctx: exp.cast(exp.null(), exp.DataType.build("VARCHAR[]")),
    "parse_ident": _first("pgb_parse_ident"),
    "array_upper": _call("pgb_array_upper"),
    "array_lower": _call("pgb_array_lower"),
    "to_regtype": _call("pgb_regtype_in"),
    "to_regclass": _call("pgb_regclass_in"),
    "to_regproc": _call("pgb_regproc_in"),
    "to_regnamespace": _call("pgb_regnamespace_in"),
    "to_regrole": _call("pgb_regrole_in"),
    "pg_relation_size": _first("pgb_relation_size"),
    "pg_total_relation_size": _first("pgb_relation_size"),
    "pg_table_size": _first("pgb_relation_size"),
    "pg_indexes_size": _const(0),
    "pg_backend_pid": _var("pgb_pid"),
    "pg_postmaster_start_time": lambda args, ctx: exp.cast(
        _var("pgb_start")(args, ctx), exp.DataType.build("TIMESTAMPTZ")
    ),
    "pg_is_in_recovery": _const(False),
    "pg_get_function_result": _call("pgb_function_result"),
    "pg_get_function_arguments": _call("pgb_function_arguments"),
    "pg_get_function_identity_arguments": _call("pgb_function_arguments"),
    "pg_relation_is_publishable": _const(False),
    "json_build_object": _call("json_object"),
    "pg_my_temp_schema": _const(0),
    "pg_is_other_temp_schema": _const(False),
    "_pg_expandarray": lambda args, ctx: exp.Anonymous(
        this="unnest", expressions=[exp.Anonymous(this="pgb_expandarray", expressions=args[:1])]
    ),
}

_KNOWN_CLASSES: dict[type[exp.Expr], str] = {
    exp.CurrentUser: "current_user",
    exp.SessionUser: "session_user",
    exp.CurrentSchema: "current_schema",
    exp.CurrentCatalog: "current_catalog",
    exp.CurrentVersion: "version",
}


def function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    for cls, name in _KNOWN_CLASSES.items():
        if isinstance(node, cls):
            return name
    return node.sql_name().lower()


def _function(node: exp.Func, ctx: RewriteContext) -> exp.Expr | None:
    name = function_name(node)
    if name == "pg_get_keywords" and isinstance(node.parent, exp.Table):
        node.parent.replace(exp.to_table("pgb.keywords", alias=node.parent.alias or None))
        return None
    if name == "pg_options_to_table" and isinstance(node.parent, exp.Table):
        # Options of foreign tables and servers: pgbridge has none, so never a row.
        empty = exp.select("CAST(NULL AS VARCHAR) AS option_name", "CAST(NULL AS VARCHAR) AS option_value")
        node.parent.replace(empty.where("false").subquery(node.parent.alias or "pg_options_to_table"))
        return None
    handler = HANDLERS.get(name)
    if handler is None:
        return None
    if isinstance(node, exp.Anonymous):
        args = list(node.expressions)
    else:
        args = [a for a in node.args.values() if isinstance(a, exp.Expr)]
    out = handler(args, ctx)
    out.meta["pgtype"] = FUNCTION_TYPES.get(name)
    out.meta["pgname"] = name
    return out
