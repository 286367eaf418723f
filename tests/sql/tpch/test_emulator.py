"""The 22 TPC-H queries on the BigQuery backend, through the emulator, against PostgreSQL.

The emulator is not BigQuery: its table schemas drop NUMERIC(15, 2)'s parameters (a plain
NUMERIC, whose values the gateway prints without trailing zeros), and some of its answers and
refusals are its own. What must hold for every query is what holds for a client: PostgreSQL's
rows, equal as numbers where not byte for byte in psql's unaligned output, or an error; never
other rows. The counts are printed.

The emulator runs BigQuery SQL on DuckDB through sqlglot, whose bare DECIMAL is DECIMAL(18, 3):
it reads a NUMERIC literal with 3 decimals (0.0001 is 0 there; on BigQuery NUMERIC keeps 9).
A probe finds out; where it does, queries with such literals (Q11) are reported, not compared.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import pytest

from tests.sql.tpch.clients import psql_gateway, psql_postgres
from tests.sql.tpch.queries import QUERIES
from tests.support.gateway import RunningGateway
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.emulator


def _as_numbers(text: str) -> list[list[object]]:
    def value(field: str) -> object:
        try:
            return Decimal(field)
        except InvalidOperation:
            return field

    return [[value(f) for f in line.split("|")] for line in text.splitlines()]


def test_every_query_is_postgres_or_an_error(
    tpch_postgres: PostgresServer, tpch_emulator_gateway: RunningGateway
) -> None:
    identical, equal, different, failed = [], [], [], {}
    probe = "select 0.0001 * 10000 > 0.5 as kept"
    rounds = psql_gateway(tpch_emulator_gateway, probe).stdout != psql_postgres(tpch_postgres, probe).stdout
    for number in sorted(QUERIES):
        if rounds and re.search(r"\d\.\d{4,}", QUERIES[number]):
            failed[number] = "not compared: the emulator reads NUMERIC literals with 3 decimals"
            continue
        expected = psql_postgres(tpch_postgres, QUERIES[number])
        got = psql_gateway(tpch_emulator_gateway, QUERIES[number])
        if got.returncode != 0:
            failed[number] = got.stderr.strip().splitlines()[0] if got.stderr.strip() else "no message"
            continue
        if _as_numbers(got.stdout) != _as_numbers(expected.stdout):
            different.append(number)
            continue
        (identical if got.stdout == expected.stdout else equal).append(number)
    print(f"\nTPC-H on the emulator: byte-identical {identical}, equal as numbers {equal}, other {different}")
    for number, reason in failed.items():
        print(f"  Q{number} failed: {reason}")
    assert identical or equal, "no query ran on the emulator"
    assert not different, f"other rows than PostgreSQL's: {different}"


# The emulator drops NUMERIC(15, 2)'s scale, so Q17 and Q22 (a value compared with avg(), which
# needs the scales: constructs/avg_compare.py) are refused there as written. With the money
# columns cast to numeric(15, 2) their BigQuery SQL runs on the emulator as on the warehouse.
_CAST_COLUMNS = {17: ("l_quantity", "l_extendedprice"), 22: ("c_acctbal",)}


@pytest.mark.parametrize("number", sorted(_CAST_COLUMNS))
def test_average_comparisons_with_declared_scales(
    tpch_postgres: PostgresServer, tpch_emulator_gateway: RunningGateway, number: int
) -> None:
    sql = QUERIES[number]
    for column in _CAST_COLUMNS[number]:
        sql = re.sub(rf"\b{column}\b", f"{column}::numeric(15, 2)", sql)
    expected = psql_postgres(tpch_postgres, sql)
    assert expected.returncode == 0, expected.stderr
    got = psql_gateway(tpch_emulator_gateway, sql)
    assert got.returncode == 0, got.stderr
    assert got.stdout == expected.stdout
