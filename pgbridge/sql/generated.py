"""How many rows a statement makes up by itself: series, unnest of built arrays, recursion.

The cost rule prices a statement by the bytes it scans, and a statement that reads no table
scans nothing: `SELECT count(*) FROM generate_series(1, 300000000)` was free and ran for a
minute (issue 10); a cross join of two series squares it. This module estimates, from the
parsed statement alone, the rows its generators produce, so the cost rule can price them.

The model, chosen to be simple and to fail closed:
- A generator is generate_series(), unnest() of an array the statement builds (ARRAY[...],
  '{...}'::int[], ARRAY(subquery)), and a recursive CTE. unnest() of a stored array column is
  not one: its elements are data the scan already pays for.
- A query block (one SELECT) that holds a generator, in FROM or in its select list, makes as
  many rows as the product of everything in its FROM clause and its select-list generators:
  joins multiply whatever their condition, since `ON g > 0` keeps every pair. A table counts
  its row count from the metadata; a subquery or CTE its output rows (1 when it aggregates
  without GROUP BY, at most its LIMIT); VALUES its length. A subquery in an expression runs
  once per row of the block around it.
- The statement's generated rows are the sum over its blocks. A bound that is not a
  constant (a column, a subquery, an expression the estimate cannot fold), a table without a
  row count or with a row filter (its size is what the filter hides), and a recursive CTE
  cannot be bounded: the estimate is None and the cost rule treats it as over every limit.
Parameters ($1) count as the constants they are bound to at each execution.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlglot import exp

from pgbridge.sql.literals import parse_interval
from pgbridge.wire.errors import PgError

TableRows = Callable[[str, str], int | None]  # (dataset, table) -> rows, None when unknown
BYTES_PER_ROW = 8  # a generated row is priced as one INT64 value, BigQuery's 8 bytes
_AMPLIFIERS = (exp.ExplodingGenerateSeries, exp.GenerateSeries, exp.Repeat, exp.Pad, exp.Explode)
_INT_TYPES = {"INT", "BIGINT", "SMALLINT", "TINYINT"}
_MICROS_PER_DAY = 86_400_000_000


@dataclass(frozen=True)
class Generated:
    """rows: the estimate, None when it cannot be bounded; what: the generators, for messages."""

    rows: int | None
    what: str

    @property
    def bytes(self) -> int | None:
        return None if self.rows is None else self.rows * BYTES_PER_ROW


def generated_rows(ast: exp.Expr, table_rows: TableRows, params: Sequence[object] = ()) -> Generated | None:
    """The rows `ast`'s generators make (None when it has none)."""
    estimate = _Estimate(table_rows, params)
    estimate.query(ast, 1)
    if not estimate.found:
        return None
    what = ", ".join(dict.fromkeys(estimate.found))
    return Generated(estimate.total, what)


class _Estimate:
    def __init__(self, table_rows: TableRows, params: Sequence[object]) -> None:
        self.table_rows = table_rows
        self.params = params
        self.total: int | None = 0
        self.found: list[str] = []
        self.ctes: dict[str, tuple[int | None, bool]] = {}  # name -> (rows, made by generators)

    def add(self, rows: int | None) -> None:
        self.total = None if rows is None or self.total is None else self.total + rows

    def query(self, node: exp.Expr, times: int | None) -> int | None:
        """Output rows of a query expression, adding the work of its generator blocks."""
        with_ = node.args.get("with_") or node.args.get("with")
        if isinstance(with_, exp.With):
            for cte in with_.expressions:
                before = len(self.found)
                rows = self.query(cte.this, 1)
                if with_.args.get("recursive"):
                    self.found.append("a recursive CTE")
                    self.add(None)
                    rows = None
                self.ctes[cte.alias_or_name] = (rows, len(self.found) > before)
        if isinstance(node, exp.Subquery):
            return self.query(node.this, times)
        if isinstance(node, exp.SetOperation):
            return _sum(self.query(node.this, times), self.query(node.expression, times))
        if isinstance(node, exp.Values):
            return len(node.expressions)
        if isinstance(node, exp.Select):
            return self.select(node, times)
        for select in node.find_all(exp.Select):  # DML: the query blocks it holds
            if select.parent_select is None:
                self.select(select, times)
        return None

    def select(self, select: exp.Select, times: int | None) -> int | None:
        items = _from_items(select)
        rows, carried = [], False
        for item in items:
            before = len(self.found)
            rows.append(self.item(item, times))
            # A subquery or CTE made of generated rows: joining it multiplies them too.
            carried |= len(self.found) > before and rows[-1] != 1
        product = _product(rows)
        srfs = [
            n
            for p in select.expressions
            for n in p.find_all(exp.ExplodingGenerateSeries, exp.Explode)
            if n.find_ancestor(exp.Select) is select
        ]
        product = _product([product, *(self.generator(n) for n in srfs)])
        if carried or srfs:
            self.add(_times(product, times))
        for sub in _expression_subqueries(select):
            self.query(sub, _times(product, times))
        return _output_rows(select, product)

    def item(self, item: exp.Expr, times: int | None) -> int | None:
        if isinstance(item, exp.Lateral):
            item = item.this
        if isinstance(item, exp.Subquery):
            return self.query(item.this, times)
        if isinstance(item, exp.Values):
            return len(item.expressions)
        if isinstance(item, (exp.Unnest, exp.ExplodingGenerateSeries)):
            return self.generator(item)
        if isinstance(item, exp.Table):
            if isinstance(item.this, (exp.ExplodingGenerateSeries, exp.Unnest)):
                return self.generator(item.this)
            if not item.db and item.name in self.ctes:
                rows, generated = self.ctes[item.name]
                if generated:
                    self.found.append("a CTE of generated rows")
                return rows
            return self.table_rows(item.db, item.name) if item.db else None
        return None

    def generator(self, node: exp.Expr) -> int | None:
        """Rows of one generator: a series' length, an array's elements; 1 for a stored array."""
        if isinstance(node, exp.ExplodingGenerateSeries):
            self.found.append("generate_series()")
            return self.series(node)
        array = _array_of(node)
        if array is None or _stored(array):
            return 1  # elements of stored data: priced by the scan
        self.found.append("unnest()")
        return self.array_length(array)

    def series(self, node: exp.ExplodingGenerateSeries) -> int | None:
        start, end, step = node.args.get("start"), node.args.get("end"), node.args.get("step")
        low, high = self.integer(start), self.integer(end)
        if low is not None and high is not None:
            by = 1 if step is None else self.integer(step)
            return None if not by else max(0, (high - low) // by + 1)
        low_t, high_t, micros = _instant(start), _instant(end), _step_micros(step)
        if low_t is None or high_t is None or not micros:
            return None
        span = (high_t - low_t).total_seconds() * 1_000_000
        return max(0, math.floor(span / micros) + 1)

    def array_length(self, array: exp.Expr) -> int | None:
        if isinstance(array, exp.Array):
            if len(array.expressions) == 1 and isinstance(array.expressions[0], (exp.Select, exp.Subquery)):
                return self.query(array.expressions[0], 1)
            return len(array.expressions)
        if isinstance(array, exp.Cast) and isinstance(array.this, exp.Literal) and array.this.is_string:
            text = array.this.this.strip()
            return text.count(",") + 1 if text.startswith("{") and text != "{}" else 0
        return None

    def integer(self, node: exp.Expr | None) -> int | None:
        """A constant integer expression's value (parameters as bound), else None."""
        if isinstance(node, exp.Literal) and node.is_int:
            return int(node.this)
        if isinstance(node, (exp.Paren, exp.Neg)):
            inner = self.integer(node.this)
            return None if inner is None else (-inner if isinstance(node, exp.Neg) else inner)
        if isinstance(node, exp.Cast) and node.to.this.name in _INT_TYPES:
            return self.integer(node.this)
        if isinstance(node, exp.Parameter) and isinstance(node.this, exp.Literal):
            index = int(node.this.this) - 1
            value = self.params[index] if 0 <= index < len(self.params) else None
            return value if isinstance(value, int) and not isinstance(value, bool) else None
        if isinstance(node, (exp.Add, exp.Sub, exp.Mul)):
            left, right = self.integer(node.this), self.integer(node.expression)
            if left is None or right is None:
                return None
            if isinstance(node, exp.Add):
                return left + right
            return left - right if isinstance(node, exp.Sub) else left * right
        return None


def _from_items(select: exp.Select) -> list[exp.Expr]:
    from_ = select.args.get("from_") or select.args.get("from")
    items = [from_.this] if isinstance(from_, exp.From) else []
    return items + [join.this for join in select.args.get("joins") or ()]


def _generates(item: exp.Expr) -> bool:
    """Is this FROM item or select-list call itself a generator (not stored data)?"""
    inner = item.this if isinstance(item, (exp.Table, exp.Lateral)) else item
    if isinstance(inner, exp.ExplodingGenerateSeries):
        return True
    if isinstance(inner, (exp.Unnest, exp.Explode)):
        array = _array_of(inner)
        return array is not None and not _stored(array)
    return False


def _array_of(node: exp.Expr) -> exp.Expr | None:
    if isinstance(node, exp.Unnest):
        return node.expressions[0] if node.expressions else None
    return node.this if isinstance(node.this, exp.Expr) else None


def _stored(array: exp.Expr) -> bool:
    """An array read from a column (not built by the statement): its size is data."""
    return array.find(exp.Column) is not None and array.find(*_AMPLIFIERS, exp.Select) is None


def _expression_subqueries(select: exp.Select) -> list[exp.Expr]:
    """Subqueries in this block's expressions (not in FROM): each runs per row of the block."""
    parts: list[exp.Expr] = list(select.expressions)
    parts += [p for p in (select.args.get(k) for k in ("where", "having", "qualify")) if p is not None]
    found: list[exp.Expr] = [
        sub for part in parts for sub in part.find_all(exp.Select) if sub.parent_select is select
    ]
    for join in select.args.get("joins") or ():
        condition = join.args.get("on")
        if condition is not None:
            found.extend(s for s in condition.find_all(exp.Select) if s.parent_select is select)
    return found


def _output_rows(select: exp.Select, product: int | None) -> int | None:
    aggregated = any(p.find(exp.AggFunc) for p in select.expressions)
    rows = 1 if aggregated and not select.args.get("group") else product
    limit = select.args.get("limit")
    count = limit.expression if isinstance(limit, exp.Limit) else None
    if isinstance(count, exp.Literal) and count.is_int:
        rows = int(count.this) if rows is None else min(rows, int(count.this))
    return rows


def _product(values: Sequence[int | None]) -> int | None:
    total = 1
    for value in values:
        if value is None:
            return None
        total *= value
    return total


def _times(rows: int | None, times: int | None) -> int | None:
    return None if rows is None or times is None else rows * times


def _sum(left: int | None, right: int | None) -> int | None:
    return None if left is None or right is None else left + right


def _instant(node: exp.Expr | None) -> datetime | None:
    """A constant date or timestamp (a string literal, cast or not), naive, else None."""
    if isinstance(node, exp.Cast):
        node = node.this
    if not isinstance(node, exp.Literal) or not node.is_string:
        return None
    try:
        value = datetime.fromisoformat(node.this.strip())
    except ValueError:
        try:
            value = datetime.combine(date.fromisoformat(node.this.strip()), datetime.min.time())
        except ValueError:
            return None
    return value.replace(tzinfo=None)


def _step_micros(step: exp.Expr | None) -> int | None:
    """A constant interval step in microseconds; a month counts as 28 days (the shortest, so
    the estimate is never below the real count)."""
    if isinstance(step, exp.Cast):
        step = step.this
    try:
        if isinstance(step, exp.Interval) and isinstance(step.this, exp.Literal):
            unit = step.args.get("unit")
            value = parse_interval(step.this.this, unit.name if unit is not None else "")
        elif isinstance(step, exp.Literal) and step.is_string:
            value = parse_interval(step.this)
        else:
            return None
    except PgError:
        return None
    micros = (value.months * 28 + value.days) * _MICROS_PER_DAY + value.micros
    return micros if micros > 0 else None
