"""What lineage reports: per output column its sources, and every use of a column's value.

The masking guard decides from these (pgbridge.masking): an output derived from a masked
source is masked, a use of a masked source outside what the role allows is refused. Names
compare case-insensitively (BigQuery column names are).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pgbridge.backends.base import Field

SchemaLookup = Callable[[str, str], "tuple[Field, ...] | None"]


class LineageError(Exception):
    """The lineage of some output column (or a use of a column) cannot be determined."""


@dataclass(frozen=True, slots=True, order=True)
class SourceColumn:
    dataset: str  # "" when the table reached us without a dataset (matches any dataset)
    table: str
    column: str

    def __str__(self) -> str:
        return f"{self.dataset or '?'}.{self.table}.{self.column}"


@dataclass(frozen=True, slots=True)
class ColumnLineage:
    """One output column: where its value comes from and whether it is passed through as is."""

    name: str
    sources: frozenset[SourceColumn]
    direct: bool  # the value is one source's value unchanged (alias, subquery, set op, USING)


@dataclass(frozen=True, slots=True)
class ColumnUse:
    """A value used to decide something rather than returned (a possible inference channel)."""

    clause: str  # "WHERE", "JOIN ON", "GROUP BY", "ORDER BY", "AGGREGATE", "CAST", ...
    sources: frozenset[SourceColumn]
    equality: bool  # only compared for equality / grouped, on the unchanged value
    sql: str  # the expression, for error messages
    # For an equality comparison (=, IN, CASE x WHEN, JOIN USING): the sources of what the value
    # is compared with (empty: a constant or a parameter) and whether that is a column's value
    # unchanged. None: grouped rather than compared (GROUP BY, DISTINCT, count, set operations).
    versus: frozenset[SourceColumn] | None = None
    versus_direct: bool = False


@dataclass(frozen=True, slots=True)
class Analysis:
    columns: tuple[ColumnLineage, ...]
    uses: tuple[ColumnUse, ...]
    tables: frozenset[tuple[str, str]]  # warehouse (dataset, table) pairs the statement reads
    # DML: the values written, named by target column (INSERT ... SELECT, UPDATE ... SET). A
    # masked value written into a table would be readable there unmasked.
    writes: tuple[ColumnLineage, ...] = ()
