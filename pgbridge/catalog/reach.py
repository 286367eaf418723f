"""What a catalog query may reach: catalog relations and the listed catalog functions, nothing
of the engine it runs on.

Catalog queries run on a local DuckDB (engine.py), whose own table functions and settings
describe the gateway's host, not the warehouse: `duckdb_settings()` shows the working
directory, `duckdb_secrets()` the service user's home, `read_csv`/`glob` touch files even when
they then fail, `range(10^10)` burns a core, `getvariable` reads other internals. rewrite.py
already admits only pg_catalog and information_schema relations (and CTEs); this module admits
only the functions a PostgreSQL client's catalog query uses, checked on the client's own tree
before the rewrite (whose output calls our internal macros), failing closed with PostgreSQL's
42883 "function ... does not exist" for anything else, exactly as PostgreSQL answers a function
it does not have.

The list is written in PostgreSQL's names. sqlglot reads some calls into typed nodes named its
own way (string_agg -> group_concat, unnest -> explode, ~ -> regexp_like), so each listed name
is also read the way sqlglot reads a client's call of it, and those node names are admitted too:
the check compares like with like. Syntax that sqlglot represents as function nodes (AND, CASE,
CAST, ARRAY[...], ROW(...), EXISTS, COLLATE, regex operators) is admitted by its node name.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from pgbridge.catalog.database import SCHEMA_OF
from pgbridge.catalog.functions import FUNCTION_TYPES
from pgbridge.catalog.rewrite import HANDLERS, function_name
from pgbridge.wire.errors import PgError, SqlState

# PostgreSQL functions clients call in catalog queries that DuckDB runs as PostgreSQL does
# (the catalog-specific ones are rewrite.HANDLERS and functions.FUNCTION_TYPES). Nothing here
# builds large values (repeat, lpad) or reads beyond the query's own rows.
STANDARD_FUNCTIONS = frozenset(
    {
        "coalesce", "nullif", "greatest", "least", "abs", "round", "floor", "ceil", "ceiling", "mod",
        "sign", "lower", "upper", "length", "char_length", "character_length", "octet_length",
        "substring", "substr", "position", "strpos", "replace", "trim", "btrim", "ltrim", "rtrim",
        "left", "right", "split_part", "concat", "concat_ws", "starts_with", "regexp_replace",
        "string_agg", "array_agg", "array_to_string", "array_length", "array_upper", "array_lower",
        "array_position", "cardinality", "unnest", "generate_series", "generate_subscripts",
        "count", "sum", "min", "max", "avg", "bool_and", "bool_or", "every", "row_number", "rank",
        "dense_rank", "extract", "date_part", "now", "current_date", "current_timestamp",
        "current_time", "localtime", "localtimestamp", "json_agg", "json_build_object", "to_json",
        "row_to_json", "quote_ident", "exists", "pg_get_keywords", "_pg_expandarray",
    }
)  # fmt: skip
# Node names of syntax sqlglot represents as function nodes.
SYNTAX = frozenset(
    {
        "and", "or", "xor", "case", "if", "cast", "try_cast", "collate", "array", "struct", "row",
        "exists", "regexp_like", "regexp_i_like", "extract", "current_date", "current_timestamp",
        "current_time", "current_user", "session_user", "current_schema", "current_catalog",
        "version", "interval",
    }
)  # fmt: skip
# Functions that may stand where a relation does (FROM f(...)).
TABLE_FUNCTIONS = frozenset(
    {
        "generate_series",
        "unnest",
        "generate_subscripts",
        "pg_get_keywords",
        "_pg_expandarray",
        "pg_options_to_table",
    }
)


def check_reach(tree: exp.Expr) -> None:
    """Raise 42883 for the first function of `tree` a catalog query may not call."""
    for node in tree.walk():
        if not isinstance(node, exp.Func):
            continue
        name = function_name(node)
        allowed = _TABLE_NODE_NAMES if isinstance(node.parent, exp.Table) else _NODE_NAMES
        if name not in allowed or not _schema_allowed(node):
            raise _no_such_function(node, name)


def _schema_allowed(node: exp.Func) -> bool:
    """A qualified call is admitted only under pg_catalog or information_schema."""
    parent = node.parent
    if isinstance(parent, exp.Dot) and parent.expression is node:
        return isinstance(parent.this, exp.Identifier) and parent.this.name in SCHEMA_OF
    if isinstance(parent, exp.Table) and parent.this is node and parent.args.get("db") is not None:
        return parent.db in SCHEMA_OF
    return True


def _no_such_function(node: exp.Func, name: str) -> PgError:
    shown = str(node.this) if isinstance(node, exp.Anonymous) else name
    return PgError(
        SqlState.UNDEFINED_FUNCTION,
        f"function {shown.lower()} does not exist",
        hint="pgbridge's catalog answers the catalog functions PostgreSQL clients use for introspection; "
        "data queries go to the warehouse",
    )


def _node_names(pg_names: set[str] | frozenset[str]) -> frozenset[str]:
    return frozenset(set(pg_names) | {n for name in pg_names for n in _as_read(name)})


def _as_read(name: str) -> set[str]:
    """The node names sqlglot gives a client's call of `name`, over the usual argument counts."""
    found = set()
    for args in ("", "a", "a, b", "a, b, c"):
        try:
            tree = sqlglot.parse_one(f"SELECT {name}({args})", read="postgres")
        except SqlglotError:
            continue
        select = tree.expressions[0] if isinstance(tree, exp.Select) and tree.expressions else None
        call = select.unalias() if select is not None else None
        if isinstance(call, exp.Func):
            found.add(function_name(call))
    return found


# Built once when the catalog engine is imported (about 0.1 s), not on a client's first query.
_NODE_NAMES = _node_names(set(HANDLERS) | set(FUNCTION_TYPES) | STANDARD_FUNCTIONS) | SYNTAX
_TABLE_NODE_NAMES = _node_names(TABLE_FUNCTIONS)
