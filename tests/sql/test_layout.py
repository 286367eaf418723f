"""pgbridge/sql keeps its shape: no import inside a function, no import circle, each subpackage
importing only what its __init__ says it may, short modules and functions, and every
construct module listed in the catalogue."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

from pgbridge.sql.translate import constructs
from pgbridge.sql.translate.catalogue import CONSTRUCTS
from pgbridge.sql.translate.registry import Construct

SQL = Path(__file__).resolve().parents[2] / "pgbridge" / "sql"
PREFIX = "pgbridge.sql"

# What each part of pgbridge.sql may import from the rest of pgbridge.sql (module-name prefixes;
# its own part is always allowed).
_ALLOWED_INSIDE = {
    "statements": (),
    "names": ("pgbridge.sql.statements", "pgbridge.sql.pgtypes"),
    "translate": ("pgbridge.sql.names", "pgbridge.sql.pgtypes", "pgbridge.sql.literals"),
    "lineage": (),
    "generated": ("pgbridge.sql.literals",),
    "literals": ("pgbridge.sql.pgtypes",),
    "pgtypes": (),
}
# What pgbridge.sql may import from the rest of pgbridge (pgbridge/sql/__init__.py says so).
_ALLOWED_OUTSIDE = (
    "pgbridge.wire.errors",
    "pgbridge.backends.base",
    "pgbridge.typemap",
    "pgbridge.encode.jsonfmt",
)


def _modules() -> dict[str, ast.Module]:
    found = {}
    for path in sorted(SQL.rglob("*.py")):
        parts = path.relative_to(SQL).with_suffix("").parts
        name = ".".join((PREFIX, *parts[:-1])) if parts[-1] == "__init__" else ".".join((PREFIX, *parts))
        found[name] = ast.parse(path.read_text(), str(path))
    return found


def _imported(node: ast.Import | ast.ImportFrom, known: set[str]) -> list[str]:
    """The modules an import statement loads (`from package import module` names the module)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]


def _import_graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    graph: dict[str, set[str]] = {}
    for name, tree in modules.items():
        # Every import counts, a late one inside a function or behind TYPE_CHECKING too: it
        # only hides a circle.
        imports = [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
        graph[name] = {target for node in imports for target in _imported(node, known)}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle among pgbridge.sql's modules, as a path, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, path: list[str]) -> list[str] | None:
        state[name] = 1
        for target in sorted(t for t in graph.get(name, ()) if t in graph):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target] if target in path else [name, target]
            if state.get(target) is None and (found := visit(target, [*path, target])):
                return found
        state[name] = 2
        return None

    for name in sorted(graph):
        if state.get(name) is None and (found := visit(name, [name])):
            return found
    return None


def test_no_import_inside_a_function_or_behind_type_checking() -> None:
    late = []
    for name, tree in _modules().items():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inner = [n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))]
                late += [f"{name}.{node.name}"] * len(inner)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                late.append(f"{name}: import behind TYPE_CHECKING")
    assert late == []


def test_the_cycle_check_finds_a_circle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_no_import_circle() -> None:
    assert _cycle(_import_graph()) is None


def _part(module: str) -> str:
    return module.removeprefix(PREFIX + ".").split(".")[0]


@pytest.mark.parametrize("part", sorted(_ALLOWED_INSIDE))
def test_each_part_imports_only_what_it_may(part: str) -> None:
    wrong = set()
    for module, targets in _import_graph().items():
        if module == PREFIX or _part(module) != part:
            continue
        for target in targets:
            inside = target.startswith(PREFIX + ".") and _part(target) != part
            outside = target.startswith("pgbridge.") and not target.startswith(PREFIX)
            if inside and not target.startswith(_ALLOWED_INSIDE[part]):
                wrong.add(f"{module} -> {target}")
            if outside and target not in _ALLOWED_OUTSIDE:
                wrong.add(f"{module} -> {target}")
    assert sorted(wrong) == []


def test_every_module_belongs_to_a_known_part() -> None:
    assert {_part(m) for m in _import_graph() if m != PREFIX} == set(_ALLOWED_INSIDE)


def test_short_modules_and_functions() -> None:
    long = []
    for path in SQL.rglob("*.py"):
        source = path.read_text()
        if len(source.splitlines()) > 600:
            long.append(f"{path.name}: {len(source.splitlines())} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > 60:
                    long.append(f"{path.name}:{node.name}: {lines} lines")
    assert long == []


def test_every_construct_module_is_in_the_catalogue() -> None:
    defined = []
    for info in pkgutil.iter_modules(constructs.__path__):
        module = importlib.import_module(f"{constructs.__name__}.{info.name}")
        defined += [value for value in vars(module).values() if isinstance(value, Construct)]
    assert sorted(c.name for c in defined) == sorted(c.name for c in CONSTRUCTS)
    assert len({id(c) for c in CONSTRUCTS}) == len(CONSTRUCTS)
