"""The walker's picture of a query: scopes of FROM items whose columns carry their lineage.

A Lin is one value's lineage: the source columns it derives from, and whether it is one
source's value unchanged. A FromItem is one FROM entry as the enclosing SELECT sees it; a
Scope holds a SELECT's FROM items, its CTEs and an outer link (correlated subqueries,
LATERAL).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlglot import exp

from pgbridge.sql.lineage.model import LineageError, SourceColumn


@dataclass(frozen=True, slots=True)
class Lin:
    sources: frozenset[SourceColumn] = frozenset()
    direct: bool = False


EMPTY = Lin()


Cols = list[tuple[str, Lin]]


QUERY_NODES = (exp.Select, exp.SetOperation)


def merge(lins: Iterable[Lin], direct: bool = False) -> Lin:
    sources: frozenset[SourceColumn] = frozenset().union(*(lin.sources for lin in lins))
    return Lin(sources, direct)


def name_of(identifier: exp.Expression | str | None) -> str:
    if isinstance(identifier, exp.Expression):
        return identifier.name.lower()
    return (identifier or "").lower()


@dataclass
class FromItem:
    """One FROM item, as the enclosing SELECT sees it."""

    alias: str
    columns: Cols | None  # None: a table the schema does not know
    table: tuple[str, str] | None = None  # for unknown tables: columns are still nameable
    fallback: Lin | None = None  # table functions: any column derives from the arguments

    def column(self, name: str) -> Lin | None:
        if self.columns is not None:
            return next((lin for n, lin in self.columns if n == name), None)
        if self.table is not None:
            return Lin(frozenset({SourceColumn(*self.table, name)}), True)
        return self.fallback

    def known(self, name: str) -> bool | None:
        """True/False when this source's columns are known; None when it might have any name."""
        if self.columns is None:
            return None
        return any(n == name for n, _ in self.columns)

    def all_columns(self) -> Cols:
        if self.columns is None:
            what = ".".join(self.table) if self.table else self.alias
            raise LineageError(
                f"the columns of {what} are unknown, so `*` or a whole-row reference to it cannot be traced"
            )
        return self.columns

    def whole_row(self) -> Lin:
        return merge(lin for _, lin in self.all_columns())


@dataclass
class Scope:
    sources: dict[str, FromItem] = field(default_factory=dict)
    outer: Scope | None = None
    ctes: dict[str, Cols] = field(default_factory=dict)
    merged: Cols = field(default_factory=list)  # JOIN USING / NATURAL columns, in order
    projection: Cols = field(default_factory=list)  # for ORDER BY / GROUP BY output names

    def add(self, source: FromItem) -> None:
        if source.alias in self.sources:
            raise LineageError(f"table name {source.alias!r} is specified more than once")
        self.sources[source.alias] = source

    def lookup_alias(self, alias: str) -> FromItem | None:
        scope: Scope | None = self
        while scope is not None:
            if alias in scope.sources:
                return scope.sources[alias]
            scope = scope.outer
        return None


def ordered_items(order: exp.Expression | None) -> list[exp.Ordered]:
    if order is None:
        return []
    return [o if isinstance(o, exp.Ordered) else exp.Ordered(this=o) for o in order.expressions]
