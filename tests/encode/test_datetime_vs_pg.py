"""date, time, timestamp, timestamptz (several session zones) and interval against PostgreSQL 15."""

from __future__ import annotations

import datetime as dt

import psycopg
import pyarrow as pa
import pytest

from pgbridge.encode import EncodeSettings
from tests.encode.pgside import assert_same, ours, pg_column

UTC = dt.UTC
DATES = [
    dt.date(2024, 1, 2),
    dt.date(1970, 1, 1),
    dt.date(1969, 12, 31),
    dt.date(1999, 12, 31),
    dt.date(2000, 1, 1),
    dt.date(1, 1, 1),
    dt.date(9999, 12, 31),
    dt.date(999, 2, 3),
    None,
    dt.date(1582, 10, 4),
]
TIMES = [
    dt.time(0, 0),
    dt.time(23, 59, 59, 999999),
    dt.time(3, 4, 5, 120000),
    dt.time(12, 0, 0, 1),
    None,
    dt.time(1, 2, 3, 400),
]
STAMPS = [
    dt.datetime(2024, 1, 2, 3, 4, 5, 123456),
    dt.datetime(2024, 1, 2, 3, 4, 5),
    dt.datetime(2024, 1, 2, 3, 4, 5, 500000),
    dt.datetime(1969, 12, 31, 23, 59, 59, 999999),
    dt.datetime(1900, 1, 1),
    dt.datetime(1800, 6, 1, 12),
    dt.datetime(1, 1, 1),
    dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
    None,
    dt.datetime(2024, 3, 10, 7, 30),
    dt.datetime(2024, 11, 3, 5, 30),
    dt.datetime(2024, 7, 1, 12),
    dt.datetime(2100, 7, 1),
    dt.datetime(2100, 1, 1),
    dt.datetime(2037, 11, 1, 6, 30),
    dt.datetime(1937, 6, 30, 22, 40, 28),
    dt.datetime(2000, 1, 1, 0, 0, 0, 10),
]


def _lit(value: object) -> str | None:
    return None if value is None else str(value)


@pytest.mark.parametrize("fmt", [0, 1], ids=["text", "binary"])
def test_date(pg: psycopg.Connection, fmt: int) -> None:
    literals = [_lit(d) for d in DATES]
    assert_same(
        "date",
        pg_column(pg, "date", literals, fmt),
        ours("date", pa.array(DATES, pa.date32()), fmt),
        literals,
    )


@pytest.mark.parametrize("fmt", [0, 1], ids=["text", "binary"])
def test_time(pg: psycopg.Connection, fmt: int) -> None:
    literals = [_lit(t) for t in TIMES]
    for arrow_type in (pa.time64("us"), pa.time64("ns")):
        values = pa.array(TIMES, pa.time64("us")).cast(arrow_type)
        assert_same("time", pg_column(pg, "time", literals, fmt), ours("time", values, fmt), literals)


@pytest.mark.parametrize("fmt", [0, 1], ids=["text", "binary"])
def test_timestamp(pg: psycopg.Connection, fmt: int) -> None:
    literals = [_lit(s) for s in STAMPS]
    values = pa.array(STAMPS, pa.timestamp("us"))
    assert_same(
        "timestamp", pg_column(pg, "timestamp", literals, fmt), ours("timestamp", values, fmt), literals
    )


ZONES = [
    "UTC",
    "America/New_York",
    "Europe/Amsterdam",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Africa/Monrovia",
    "+05:30",
    "-08",
]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("fmt", [0, 1], ids=["text", "binary"])
def test_timestamptz_in_session_zone(pg: psycopg.Connection, zone: str, fmt: int) -> None:
    # The literals name UTC instants; PostgreSQL shows them in the session zone.
    literals = [None if s is None else f"{s}+00" for s in STAMPS]
    pg_zone = {"+05:30": "INTERVAL '+05:30' HOUR TO MINUTE", "-08": "-8"}.get(zone, f"'{zone}'")
    pg.execute(f"SET TIME ZONE {pg_zone}")
    try:
        expected = pg_column(pg, "timestamptz", literals, fmt)
    finally:
        pg.execute("SET TimeZone = 'UTC'")
    values = pa.array(
        [None if s is None else s.replace(tzinfo=UTC) for s in STAMPS], pa.timestamp("us", tz="UTC")
    )
    actual = ours("timestamptz", values, fmt, EncodeSettings(timezone=zone))
    assert_same("timestamptz", expected, actual, literals)


def test_timestamptz_from_nanoseconds_and_other_units(pg: psycopg.Connection) -> None:
    literals = [None if s is None else f"{s}+00" for s in STAMPS if s is None or 1700 < s.year < 2200]
    stamps = [s if s is None else s.replace(tzinfo=UTC) for s in STAMPS if s is None or 1700 < s.year < 2200]
    expected = pg_column(pg, "timestamptz", literals, 0)
    for unit in ("ns", "us"):
        assert_same(
            "timestamptz",
            expected,
            ours("timestamptz", pa.array(stamps, pa.timestamp(unit, tz="UTC")), 0),
            literals,
        )


INTERVALS = [
    (14, 3, (4 * 3600 + 5 * 60 + 6) * 10**9 + 500_000_000),
    (0, 0, 0),
    (-1, 5, -(10**9)),
    (-14, -3, -(10**9)),
    (1, 1, 1000),
    (12, 0, 0),
    (-12, 0, 0),
    (0, 1, 0),
    (0, -1, 0),
    (0, 0, 100 * 3600 * 10**9),
    (120000, 3650000, 10**15),
    (0, 0, -1000),
    None,
    (11, 29, 86399 * 10**9 + 999999000),
]


def _interval_literal(value: tuple[int, int, int] | None) -> str | None:
    if value is None:
        return None
    months, days, nanos = value
    return (
        f"{months} months {days} days {nanos // 1000} microseconds"
        if nanos >= 0
        else f"{months} months {days} days -{(-nanos) // 1000} microseconds"
    )


@pytest.mark.parametrize("fmt", [0, 1], ids=["text", "binary"])
def test_interval(pg: psycopg.Connection, fmt: int) -> None:
    literals = [_interval_literal(v) for v in INTERVALS]
    values = pa.array(
        [None if v is None else pa.MonthDayNano(list(v)) for v in INTERVALS], pa.month_day_nano_interval()
    )
    assert_same("interval", pg_column(pg, "interval", literals, fmt), ours("interval", values, fmt), literals)
