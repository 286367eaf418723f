"""Walking a resolved statement: what kind it is, which tables it reads and writes, which
functions it calls, and the constructs that are refused whoever asks.

This is the engine's own reading of the AST, independent of the classifier that ran before
it. The walk is an allow-list at the top (the statement kinds we understand) and a deny-list
inside (constructs with side effects or hidden reach). Table names must look like what the
resolver produces: `dataset.table`, plain identifiers, no project or region part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot import exp

from pgbridge.policy.functions import function_name

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_WILDCARD = re.compile(r"^[A-Za-z0-9_-]*\*$")  # BigQuery's `dataset.events_*`
_TABLE_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_CATALOG_SCHEMAS = frozenset({"information_schema", "pg_catalog", "pg_temp", "pg_toast"})

_DDL_ROOTS = (exp.Create, exp.Drop, exp.Alter, exp.TruncateTable)
_DML_ROOTS = {exp.Insert: "insert", exp.Update: "update", exp.Delete: "delete", exp.Merge: "merge"}
# Nodes refused anywhere in a statement, with the rule that names them.
_REFUSED_NODES: tuple[tuple[type[exp.Expr], str, str], ...] = (
    (exp.Command, "classifier.command", "this statement cannot be checked by the policy classifier"),
    (exp.Copy, "classifier.copy", "COPY is not allowed through pgbridge"),
    (exp.Into, "classifier.select_into", "SELECT ... INTO creates a table and is not allowed"),
    (exp.Lock, "classifier.locking", "locking clauses (FOR UPDATE / FOR SHARE) are not allowed"),
    (exp.SessionParameter, "classifier.session_parameter", "system variables (@@name) are not allowed"),
    (exp.Set, "classifier.command", "SET inside a statement is not allowed"),
    (exp.Transaction, "classifier.command", "transaction control cannot be checked by policy"),
    (exp.Commit, "classifier.command", "transaction control cannot be checked by policy"),
    (exp.Rollback, "classifier.command", "transaction control cannot be checked by policy"),
    (exp.Use, "classifier.command", "USE is not allowed"),
    (exp.Pragma, "classifier.command", "PRAGMA is not allowed"),
    (exp.Grant, "classifier.command", "GRANT is not allowed through pgbridge"),
    (exp.Revoke, "classifier.command", "REVOKE is not allowed through pgbridge"),
    (exp.LoadData, "classifier.command", "LOAD DATA is not allowed"),
    (exp.Export, "classifier.command", "EXPORT DATA is not allowed"),
    (exp.Describe, "classifier.command", "DESCRIBE cannot be checked by policy"),
    (exp.Execute, "classifier.command", "EXECUTE is not allowed"),
    (exp.Attach, "classifier.command", "ATTACH is not allowed"),
    (exp.Install, "classifier.command", "INSTALL is not allowed"),
)


class Refusal(Exception):
    """A statement refused by a structural rule, whoever runs it."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


@dataclass(frozen=True)
class StatementFacts:
    kind: str  # select | insert | update | delete | merge | ddl
    reads: frozenset[tuple[str, str]]
    writes: frozenset[tuple[str, str]]
    functions: frozenset[str]
    table_functions: frozenset[str]


def inspect_statement(ast: exp.Expr) -> StatementFacts:
    """Classify `ast` and collect what it touches; raise `Refusal` for anything odd."""
    for node in ast.walk():
        _check_node(node, ast)  # first: its reasons are more specific than "unknown kind"
    kind = statement_kind(ast)
    reads: set[tuple[str, str]] = set()
    writes: set[tuple[str, str]] = set()
    table_functions: set[str] = set()
    for table in ast.find_all(exp.Table):
        _collect_table(table, ast, reads, writes, table_functions)
    # sqlglot models operators such as AND, OR, ->, ~ as Func subclasses; they are operators,
    # not function calls, so the allow-list of functions does not apply to them.
    functions = {
        function_name(f)
        for f in ast.find_all(exp.Func)
        if not _is_table_source(f) and not isinstance(f, exp.Connector | exp.Binary | exp.Unary)
    }
    return StatementFacts(
        kind, frozenset(reads), frozenset(writes), frozenset(functions), frozenset(table_functions)
    )


def statement_kind(ast: exp.Expr) -> str:
    if isinstance(ast, exp.Subquery):
        return "select" if statement_kind(ast.this) == "select" else _unknown(ast)
    if isinstance(ast, (exp.Select, exp.SetOperation, exp.Values)):
        return "select"
    for cls, kind in _DML_ROOTS.items():
        if type(ast) is cls:
            target = ast.this.this if isinstance(ast.this, exp.Schema) else ast.this
            if not isinstance(target, exp.Table) or not isinstance(target.this, exp.Identifier):
                raise Refusal("classifier.statement", f"the target of this {kind.upper()} cannot be found")
            return kind
    if isinstance(ast, _DDL_ROOTS):
        return _ddl_kind(ast)
    return _unknown(ast)


def _ddl_kind(ast: exp.Expr) -> str:
    """Only table and view DDL is understood; functions, schemas, indexes... are refused."""
    target = ast.this.this if isinstance(ast.this, exp.Schema) else ast.this
    kind = str(ast.args.get("kind") or "TABLE").upper()
    if isinstance(ast, exp.TruncateTable) or (kind in ("TABLE", "VIEW") and target is None):
        return "ddl"  # DROP / TRUNCATE list their tables
    if kind in ("TABLE", "VIEW") and isinstance(target, exp.Table):
        return "ddl"
    verb = type(ast).__name__.upper()
    raise Refusal("classifier.ddl", f"{verb} {kind} cannot be checked by policy; only TABLE and VIEW DDL")


def _unknown(ast: exp.Expr) -> str:
    name = type(ast).__name__.upper()
    raise Refusal("classifier.statement", f"statement of type {name} cannot be classified by policy")


def _check_node(node: exp.Expr, root: exp.Expr) -> None:
    for cls, rule, message in _REFUSED_NODES:
        if isinstance(node, cls):
            raise Refusal(rule, message)
    if isinstance(node, exp.Identifier) and any(c in node.name for c in "`\\\x00"):
        # BigQuery quotes with backticks and reads backslash escapes inside them
        raise Refusal("classifier.identifier", f"identifier {node.name!r} holds a backtick or backslash")
    if node is root:
        return
    if isinstance(node, tuple(_DML_ROOTS)):
        if isinstance(root, exp.Merge) and isinstance(node.parent, exp.When):
            # MERGE's WHEN ... THEN UPDATE / INSERT / DELETE act on the MERGE target only
            if node.this is not None and not isinstance(node.this, exp.Tuple):
                raise Refusal("classifier.nested_statement", "a MERGE action may not name another table")
            return
        if node.find_ancestor(exp.CTE) is not None:
            message = "data-modifying statements inside WITH are not allowed"
            raise Refusal("classifier.data_modifying_cte", message)
        raise Refusal("classifier.nested_statement", "a data-modifying statement may only stand alone")
    if isinstance(node, _DDL_ROOTS):
        raise Refusal("classifier.nested_statement", "a DDL statement may only stand alone")


def _collect_table(
    table: exp.Table,
    root: exp.Expr,
    reads: set[tuple[str, str]],
    writes: set[tuple[str, str]],
    table_functions: set[str],
) -> None:
    source = table.this
    if isinstance(source, exp.Func):
        # `shop.generate_series(...)` is a dataset's own function, not the built-in one
        prefix = [p.name.upper() for p in (table.args.get("catalog"), table.args.get("db")) if p is not None]
        table_functions.add(".".join([*prefix, function_name(source)]))
        return
    if source is None:
        if table.args.get("rows_from"):
            return  # ROWS FROM (f(), g()): each call is its own Table node
        raise Refusal("classifier.table", "a table reference without a name cannot be checked")
    if not isinstance(source, exp.Identifier):
        shown = table.sql(dialect="postgres")
        raise Refusal("classifier.table", f"table reference {shown} cannot be checked")
    name = check_table_name(table)
    if name is None:
        if is_cte_reference(table):
            return
        raise Refusal("classifier.unqualified_table", f"table {table.name!r} was not resolved to a dataset")
    role = write_role(table, root)
    if role != "write":
        reads.add(name)
    if role != "read":
        writes.add(name)


def check_table_name(table: exp.Table) -> tuple[str, str] | None:
    """(dataset, table) for a qualified name, None for an unqualified one; Refusal if odd."""
    parts = [table.args.get(k) for k in ("catalog", "db", "this")]
    for part in parts:
        if part is not None and not isinstance(part, exp.Identifier):
            raise Refusal("classifier.identifier", f"table name {table.sql(dialect='postgres')} is not plain")
    texts = [p.name if p is not None else None for p in parts]
    for text in texts:
        if text is not None and _WILDCARD.match(text):
            raise Refusal("classifier.wildcard_table", f"wildcard table {text!r} is not allowed")
    for text in texts:
        if text is not None and (text.lower() in _CATALOG_SCHEMAS or text.lower().startswith("region-")):
            raise Refusal("classifier.catalog_path", f"{text!r} may only be queried through the catalog")
    catalog, db, name = texts
    if catalog is not None:
        raise Refusal("classifier.qualified_name", "project- or region-qualified table names are not allowed")
    _check_identifier(db, _IDENT)
    _check_identifier(name, _TABLE_IDENT)
    assert name is not None
    if name.startswith("__"):
        raise Refusal("classifier.meta_table", f"meta-table {name!r} is not allowed")
    return None if db is None else (db, name)


def _check_identifier(text: str | None, pattern: re.Pattern[str]) -> None:
    if text is not None and not pattern.match(text):
        raise Refusal("classifier.identifier", f"identifier {text!r} holds characters a table name may not")


def is_cte_reference(table: exp.Table) -> bool:
    """True when an enclosing WITH defines this unqualified name."""
    if table.args.get("db") is not None:
        return False
    node: exp.Expr | None = table.parent
    while node is not None:
        with_ = node.args.get("with_") or node.args.get("with")
        if isinstance(with_, exp.With) and any(cte.alias == table.name for cte in with_.expressions):
            return True
        node = node.parent
    return False


def write_role(table: exp.Table, root: exp.Expr) -> str:
    """'read', 'write' or 'both' for a table node, from its place in the statement."""
    if isinstance(root, _DDL_ROOTS):
        # every table a DDL statement names is changed, except those its AS SELECT reads
        inside_query = any(isinstance(a, exp.Query) for a in _ancestors(table, root))
        return "read" if inside_query else "write"
    target = root.this
    if isinstance(target, exp.Schema):
        target = target.this
    if table is not target:
        return "read"
    if isinstance(root, exp.Insert):
        return "write"
    if isinstance(root, (exp.Update, exp.Delete, exp.Merge)):
        return "both"  # their WHERE / RETURNING / WHEN clauses read the target
    return "read"


def _ancestors(node: exp.Expr, root: exp.Expr) -> list[exp.Expr]:
    found: list[exp.Expr] = []
    parent = node.parent
    while parent is not None and parent is not root:
        found.append(parent)
        parent = parent.parent
    return found


def _is_table_source(func: exp.Func) -> bool:
    return isinstance(func.parent, exp.Table) and func.parent.this is func
