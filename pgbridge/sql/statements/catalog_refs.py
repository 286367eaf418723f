"""What a parsed query refers to: warehouse tables, catalog relations, catalog functions.

Classification routes a query to the catalog engine only when it touches no warehouse
table; a query touching both is refused. So this module errs towards "catalog" for any
pg_* name and towards "warehouse" for every other table (CTE names excluded).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

_CATALOG_SCHEMAS = {"pg_catalog", "information_schema"}
_CATALOG_FUNCTIONS = {
    "current_setting",
    "set_config",
    "format_type",
    "obj_description",
    "col_description",
    "shobj_description",
    "version",
    "current_schema",
    "current_schemas",
    "current_database",
    "current_catalog",
    "current_user",
    "session_user",
    "current_role",
    "user",
    "inet_server_addr",
    "inet_server_port",
    "inet_client_addr",
    "txid_current",
}
_REG_TYPES = {
    "regclass",
    "regtype",
    "regproc",
    "regprocedure",
    "regnamespace",
    "regrole",
    "regoper",
    "regoperator",
    "regconfig",
    "regdictionary",
    "oid",
}


@dataclass(frozen=True)
class CatalogRefs:
    warehouse_tables: tuple[exp.Table, ...]
    catalog_relations: tuple[exp.Table, ...]
    catalog_functions: tuple[str, ...]


def catalog_refs(ast: exp.Expr) -> CatalogRefs:
    cte_names = {cte.alias_or_name for cte in ast.find_all(exp.CTE)}
    warehouse: list[exp.Table] = []
    catalog: list[exp.Table] = []
    for table in ast.find_all(exp.Table):
        if not table.name or isinstance(table.this, exp.Func):
            continue  # table functions (generate_series, unnest) read no table
        if _is_catalog_table(table):
            catalog.append(table)
        elif not (table.name in cte_names and not table.db):
            warehouse.append(table)
    return CatalogRefs(tuple(warehouse), tuple(catalog), tuple(_catalog_functions(ast)))


def _is_catalog_table(table: exp.Table) -> bool:
    if table.db:
        return table.db.lower() in _CATALOG_SCHEMAS
    return table.name.lower().startswith("pg_") or table.name.lower() in ("information_schema",)


def _catalog_functions(ast: exp.Expr) -> list[str]:
    names: list[str] = []
    for func in ast.find_all(exp.Func):
        name = (func.name if isinstance(func, exp.Anonymous) else func.sql_name()).lower()
        if name.startswith("pg_") or name.startswith("has_") or name in _CATALOG_FUNCTIONS:
            names.append(name)
    for cast in ast.find_all(exp.Cast):
        if cast.to.sql("postgres").lower() in _REG_TYPES:
            names.append("::" + cast.to.sql("postgres").lower())
    for node in ast.find_all(exp.CurrentUser, exp.CurrentSchema, exp.CurrentVersion):
        names.append(node.sql_name().lower())
    return names
