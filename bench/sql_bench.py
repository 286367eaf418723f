"""Time of a statement's way through pgbridge/sql: split, classify + parse, resolve, translate.

Run: .venv/bin/python bench/sql_bench.py [rounds]

The two statements are tests/sql/speed_queries.py's one-line join and 60-line report, over
the sql tests' fixture schema (no database is touched: resolution reads table metadata from
memory). Each stage is timed on its own, starting from the previous stage's output, and the
whole way from the raw simple-query text; best and median of `rounds` runs (default 200),
in milliseconds. Translation is not cached here: TranslationCache would hide it.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

from pgbridge.sql.names.resolve import NameContext, resolve
from pgbridge.sql.statements.classify import parse_statement
from pgbridge.sql.statements.split import split_statements
from pgbridge.sql.translate.pipeline import translate
from tests.sql.fixtures import FixtureSchema
from tests.sql.speed_queries import ONE_LINE, SIXTY_LINES

NAMES = NameContext(search_path=("shop", "public"), default_dataset="shop", schema_to_dataset={})


def _times(work: Callable[[], object], rounds: int) -> tuple[float, float]:
    spent = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        spent.append(time.perf_counter() - start)
    return min(spent) * 1000, statistics.median(spent) * 1000


def _stages(text: str, schema: FixtureSchema) -> dict[str, Callable[[], object]]:
    (piece,) = split_statements(text)
    statement = parse_statement(piece)
    resolved = resolve(statement, NAMES, schema)

    def whole() -> object:
        (source,) = split_statements(text)
        parsed = parse_statement(source)
        return translate(resolve(parsed, NAMES, schema), (), schema, text=parsed.text)

    return {
        "split": lambda: split_statements(text),
        "classify + parse": lambda: parse_statement(piece),
        "resolve": lambda: resolve(statement, NAMES, schema),
        "translate": lambda: translate(resolved, (), schema, text=statement.text),
        "whole way": whole,
    }


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    schema = FixtureSchema()
    print(f"{'statement':<10} {'stage':<18} {'best ms':>8} {'median ms':>10}")
    for name, text in (("one line", ONE_LINE), ("60 lines", SIXTY_LINES)):
        for stage, work in _stages(text, schema).items():
            best, median = _times(work, rounds)
            print(f"{name:<10} {stage:<18} {best:>8.3f} {median:>10.3f}")


if __name__ == "__main__":
    main()
