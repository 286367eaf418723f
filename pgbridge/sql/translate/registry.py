"""The translation's two tables: one typing rule per node, and the fix-ups of each node.

Every construct module owns a `Construct` and fills it with its decorated rules and fix-ups
(`@construct.rule(exp.Case)`, `@construct.fixup("octet_length")`): the decorator only writes
into that module's own table. The catalogue lists those modules in one tuple, and
`assemble` merges their tables into the `Registry` the translator reads, so what takes part
in translation is written down in one place instead of following from which modules
happen to be imported.

Duplicates are refused when the registry is assembled, at import: two typing rules for one
node (which would decide its type?), or one fix-up listed twice for it. A node may have
several fix-ups, from several constructs: they run in the catalogue's order (rewrite.py), so
a construct adds its own repair to a node class without taking the class over.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from sqlglot import exp

from pgbridge.sql.translate.typer import Key, Rule, Typer

Fixup = Callable[[Typer, Any], "exp.Expr | None"]


class RegistryError(Exception):
    """Two constructs claim the same thing: a programming error, raised at import."""


def _named(key: Key) -> str:
    return f"function {key}()" if isinstance(key, str) else f"exp.{key.__name__}"


class Construct:
    """The typing rules and fix-ups one module contributes, by node class or function name."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.rules: dict[Key, Rule] = {}
        self.fixups: dict[Key, list[Fixup]] = {}

    def rule(self, *keys: Key) -> Callable[[Rule], Rule]:
        def register(func: Rule) -> Rule:
            for key in keys:
                if key in self.rules:
                    raise RegistryError(f"{self.name}: two typing rules for {_named(key)}")
                self.rules[key] = func
            return func

        return register

    def fixup(self, *keys: Key) -> Callable[[Fixup], Fixup]:
        def register(func: Fixup) -> Fixup:
            for key in keys:
                _append(self.fixups.setdefault(key, []), func, key, self.name)
            return func

        return register


def _append(listed: list[Fixup], func: Fixup, key: Key, where: str) -> None:
    if func in listed:
        raise RegistryError(f"{where}: fix-up {func.__name__} listed twice for {_named(key)}")
    listed.append(func)


@dataclass(frozen=True)
class Registry:
    rules: Mapping[Key, Rule]
    fixups: Mapping[Key, tuple[Fixup, ...]]  # in the order they run


def assemble(constructs: Sequence[Construct]) -> Registry:
    """One registry from the constructs' tables; RegistryError on any duplicate."""
    rules: dict[Key, Rule] = {}
    owners: dict[Key, str] = {}
    fixups: dict[Key, list[Fixup]] = {}
    names = [construct.name for construct in constructs]
    if len(set(names)) != len(names):
        raise RegistryError(f"a construct is listed twice: {sorted(n for n in names if names.count(n) > 1)}")
    for construct in constructs:
        for key, rule in construct.rules.items():
            if key in rules:
                raise RegistryError(f"two typing rules for {_named(key)}: {owners[key]} and {construct.name}")
            rules[key], owners[key] = rule, construct.name
        for key, funcs in construct.fixups.items():
            for func in funcs:
                _append(fixups.setdefault(key, []), func, key, construct.name)
    frozen = {key: tuple(funcs) for key, funcs in fixups.items()}
    return Registry(MappingProxyType(rules), MappingProxyType(frozen))
