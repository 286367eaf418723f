"""values.py on its own: errors, refusals, round trips and fuzzing (no server needed)."""

from __future__ import annotations

import contextlib
import random
import string
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest

from pgbridge.typemap import PG_TYPES
from pgbridge.wire.errors import PgError
from pgbridge.wire.values import Interval, decode_param, encode_binary, encode_text, supported_oids
from tests.wire.test_values_vs_postgres import VALUE_CASES, canon, oid_of

INT4, TEXT, DATE, TSTZ, TS, NUMERIC = 23, 25, 1082, 1184, 1114, 1700


def error_of(type_oid: int, fmt: int, data: bytes) -> PgError:
    with pytest.raises(PgError) as info:
        decode_param(type_oid, fmt, data, index=1)
    return info.value


def test_errors_name_type_and_parameter() -> None:
    err = error_of(INT4, 0, b"12x")
    assert (err.sqlstate, err.message) == (
        "22P02",
        'invalid input syntax for type integer: "12x" (parameter $1)',
    )
    err = error_of(INT4, 1, b"\x00\x01")
    assert (err.sqlstate, err.message) == (
        "22P03",
        "incorrect binary data format for type integer (parameter $1)",
    )
    assert error_of(DATE, 0, b"soon").sqlstate == "22007"
    assert error_of(INT4, 0, b"99999999999").sqlstate == "22003"


def test_bad_utf8_and_nul_are_22021() -> None:
    assert error_of(TEXT, 0, b"\xff").sqlstate == "22021"
    assert error_of(TEXT, 1, b"a\x00b").sqlstate == "22021"
    with pytest.raises(PgError) as info:
        encode_text(TEXT, "a\x00b")
    assert info.value.sqlstate == "22021"


def test_infinite_dates_and_bc_are_refused_with_22008() -> None:
    for oid, data in ((DATE, b"infinity"), (TS, b"-infinity"), (TSTZ, b"infinity"), (DATE, b"0044-03-15 BC")):
        err = error_of(oid, 0, data)
        assert err.sqlstate == "22008", err.message
    assert error_of(DATE, 1, b"\x7f\xff\xff\xff").sqlstate == "22008"
    assert error_of(TS, 1, b"\x7f\xff\xff\xff\xff\xff\xff\xff").sqlstate == "22008"
    assert error_of(DATE, 0, b"10000-01-01").sqlstate == "22008"
    assert error_of(1083, 0, b"24:00:00").sqlstate == "22008"


def test_unsupported_type_and_format() -> None:
    err = error_of(PG_TYPES["tsrange"].oid, 0, b"x")
    assert err.sqlstate == "0A000" and "tsrange" in err.message
    err = error_of(INT4, 2, b"1")
    assert (err.sqlstate, err.message) == ("22023", "unsupported format code: 2 (parameter $1)")


def test_multidimensional_arrays_are_refused() -> None:
    assert error_of(1007, 0, b"{{1,2},{3,4}}").sqlstate == "0A000"
    two_dims = bytes.fromhex(
        "00000002 00000000 00000017 00000001 00000001 00000001 00000001 00000004 00000001"
    )
    assert error_of(1007, 1, two_dims).sqlstate == "0A000"
    wrong_element = bytes.fromhex("00000001 00000000 00000019 00000001 00000001 00000001 31")
    assert error_of(1007, 1, wrong_element).sqlstate == "42804"


def test_unspecified_parameter_type_reads_text() -> None:
    assert decode_param(0, 0, b"42") == "42"
    assert decode_param(705, 1, "é".encode()) == "é"


def test_timestamptz_results_are_utc_and_aware() -> None:
    value = decode_param(TSTZ, 0, b"2024-06-01 12:00:00-07")
    assert value == datetime(2024, 6, 1, 19, tzinfo=UTC)
    assert isinstance(value, datetime) and value.utcoffset() == timedelta(0)
    naive = decode_param(TS, 0, b"2024-06-01 12:00:00-07")
    assert naive == datetime(2024, 6, 1, 12)


def test_encoders_accept_friendly_python_types() -> None:
    assert encode_text(1186, timedelta(days=1, seconds=1)) == b"1 day 00:00:01"
    assert (
        encode_text(TSTZ, datetime(2024, 1, 1, 1, tzinfo=timezone(timedelta(hours=1))))
        == b"2024-01-01 00:00:00+00"
    )
    assert (
        encode_text(TSTZ, datetime(2024, 1, 1)) == b"2024-01-01 00:00:00+00"
    )  # naive is the session zone, UTC
    assert encode_text(NUMERIC, 3) == b"3" and encode_text(NUMERIC, 0.5) == b"0.5"
    assert encode_text(701, 2) == b"2"
    assert encode_text(3802, {"b": [1, 2], "a": None}) == b'{"a": null, "b": [1, 2]}'
    assert encode_text(DATE, datetime(2024, 5, 6, 7)) == b"2024-05-06"
    with pytest.raises(TypeError):
        encode_text(INT4, "1")
    with pytest.raises(PgError) as info:
        encode_binary(21, 40000)
    assert info.value.sqlstate == "22003"


def test_iso_and_verbose_intervals() -> None:
    assert decode_param(1186, 0, b"P1Y2M3DT4H5M6S") == Interval(14, 3, 14706000000)
    assert decode_param(1186, 0, b"PT0.5S") == Interval(0, 0, 500000)
    assert decode_param(1186, 0, b"@ 2 days 3 hours ago") == Interval(0, -2, -10800000000)
    assert decode_param(1186, 0, b"1.5 days") == Interval(0, 1, 43200000000)


def random_value(rng: random.Random, type_name: str) -> object:
    """Python values of each type, for encode/decode round trips beyond the fixed cases."""
    makers = {
        "int2": lambda: rng.randint(-(2**15), 2**15 - 1),
        "int4": lambda: rng.randint(-(2**31), 2**31 - 1),
        "int8": lambda: rng.randint(-(2**63), 2**63 - 1),
        "float8": lambda: rng.choice([rng.uniform(-1e6, 1e6), rng.random() * 10 ** rng.randint(-300, 300)]),
        "numeric": lambda: Decimal(f"{rng.randint(-(10**30), 10**30)}E-{rng.randint(0, 40)}"),
        "text": lambda: "".join(rng.choice(string.printable + 'é✓{}",\\') for _ in range(rng.randint(0, 12))),
        "bytea": lambda: rng.randbytes(rng.randint(0, 20)),
        "date": lambda: date(1, 1, 1) + timedelta(days=rng.randint(0, 3652058)),
        "time": lambda: time(
            rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59), rng.randint(0, 999999)
        ),
        "timestamp": lambda: datetime(1, 1, 1) + timedelta(microseconds=rng.randint(0, 315537897599999999)),
        "interval": lambda: Interval(
            rng.randint(-5000, 5000), rng.randint(-5000, 5000), rng.randint(-(10**14), 10**14)
        ),
    }
    return makers[type_name]()


@pytest.mark.parametrize(
    "type_name",
    ["int2", "int4", "int8", "float8", "numeric", "text", "bytea", "date", "time", "timestamp", "interval"],
)
def test_random_round_trips(type_name: str) -> None:
    rng = random.Random(type_name)
    oid = oid_of(type_name)
    for _ in range(300):
        value = random_value(rng, type_name)
        for fmt, encoder in ((0, encode_text), (1, encode_binary)):
            assert canon(decode_param(oid, fmt, encoder(oid, value))) == canon(value), (value, fmt)
        array = [value, None, value]
        array_oid = oid_of(type_name + "[]")
        assert canon(decode_param(array_oid, 0, encode_text(array_oid, array))) == canon(array)


def test_fuzz_decode_param_only_raises_pgerror() -> None:
    rng = random.Random(11)
    seeds = [(oid_of(t), encode_text(oid_of(t), v), encode_binary(oid_of(t), v)) for t, _, v in VALUE_CASES]
    oids = sorted(supported_oids())
    for _ in range(4000):
        if rng.random() < 0.5:
            oid, text, binary = rng.choice(seeds)
            mutable = bytearray(rng.choice((text, binary)))
            for _ in range(rng.randint(1, 3)):
                if mutable:
                    mutable[rng.randrange(len(mutable))] = rng.randrange(256)
            data = bytes(mutable)
        else:
            oid = rng.choice(oids)
            data = (
                rng.randbytes(rng.randint(0, 24))
                if rng.random() < 0.5
                else "".join(
                    rng.choice('0123456789-+:.eE {}",\\NaTPYMDHSx') for _ in range(rng.randint(0, 24))
                ).encode()
            )
        for fmt in (0, 1):
            with contextlib.suppress(PgError):
                decode_param(oid, fmt, data)


def test_deeply_nested_json_is_an_error_not_a_crash() -> None:
    for oid in (114, 3802):
        err = error_of(oid, 0, b"[" * 200_000 + b"]" * 200_000)
        assert err.sqlstate == "54000"


def test_float4_text_shows_float4_digits_for_any_double() -> None:
    assert encode_text(700, 0.1) == b"0.1"
    assert encode_text(700, 0.123456789012) == b"0.12345679"
    with pytest.raises(PgError) as info:
        encode_text(700, 1e39)
    assert info.value.sqlstate == "22003"
