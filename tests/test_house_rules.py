"""The house rules of docs/architecture.md, checked on the source so that they hold as it grows:
no function over 60 lines and no module over 600 lines in pgbridge/, and the sql and catalog
packages import pgbridge's modules at the top (a lazy import there would hide an import circle)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pgbridge"
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 600


def _modules() -> list[tuple[Path, str]]:
    return [(path, path.read_text(encoding="utf-8")) for path in sorted(PACKAGE.rglob("*.py"))]


def _functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def test_no_module_is_over_600_lines() -> None:
    long = [
        f"{path.relative_to(PACKAGE)} ({text.count(chr(10))} lines)"
        for path, text in _modules()
        if text.count("\n") > MAX_MODULE_LINES
    ]
    assert long == []


def test_no_function_is_over_60_lines() -> None:
    long = []
    for path, text in _modules():
        for fn in _functions(ast.parse(text)):
            lines = (fn.end_lineno or fn.lineno) - fn.lineno + 1
            if lines > MAX_FUNCTION_LINES:
                long.append(f"{path.relative_to(PACKAGE)}:{fn.lineno} {fn.name} ({lines} lines)")
    assert long == []


LAZY_IMPORT_FREE = ("sql", "catalog")


def test_the_sql_and_catalog_packages_have_no_lazy_import_of_pgbridge() -> None:
    lazy = []
    for path, text in _modules():
        if path.relative_to(PACKAGE).parts[0] not in LAZY_IMPORT_FREE:
            continue
        for fn in _functions(ast.parse(text)):
            for node in ast.walk(fn):
                module = node.module if isinstance(node, ast.ImportFrom) else None
                if isinstance(node, ast.Import):
                    module = node.names[0].name
                if module and module.startswith("pgbridge"):
                    lazy.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {fn.name} imports {module}")
    assert lazy == []
