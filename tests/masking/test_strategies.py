"""Each strategy over real Arrow arrays: right values, NULLs kept, the column type unchanged."""

from __future__ import annotations

import datetime as dt
import hmac
from decimal import Decimal

import pyarrow as pa
import pytest

from pgbridge.masking.strategies import STRATEGY_FUNCTIONS, apply_strategy

KEY = b"k" * 32
TYPED = [
    pa.array(["123-45-6789", None, "ab"], pa.string()),
    pa.array(["123-45-6789", None], pa.large_string()),
    pa.array([b"\x00secret", None], pa.binary()),
    pa.array([1, None, 1], pa.int64()),
    pa.array([1, None], pa.int32()),
    pa.array([1.5, None], pa.float64()),
    pa.array([Decimal("12.345000000"), None], pa.decimal128(38, 9)),
    pa.array([True, None], pa.bool_()),
    pa.array([dt.date(2020, 5, 6), None], pa.date32()),
    pa.array([dt.datetime(2020, 5, 6, 7, 8, 9), None], pa.timestamp("us")),
    pa.array([dt.datetime(2020, 5, 6, 7, 8, 9, tzinfo=dt.UTC), None], pa.timestamp("us", tz="UTC")),
    pa.array([["a", "b"], None], pa.list_(pa.string())),
    pa.array([{"x": 1}, None], pa.struct([("x", pa.int64())])),
    pa.array(["a@b.c", None, "a@b.c"]).dictionary_encode(),
]


@pytest.mark.parametrize("strategy", sorted(STRATEGY_FUNCTIONS))
@pytest.mark.parametrize("arr", TYPED, ids=[str(a.type) for a in TYPED])
def test_type_and_length_never_change_and_nulls_stay_null(strategy: str, arr: pa.Array) -> None:
    out = apply_strategy(arr, strategy, {"keep": 4, "digits": 1}, KEY)
    assert out.type == arr.type and len(out) == len(arr)
    assert out.is_null().to_pylist()[1] is True


def test_redact_text_is_fixed_other_types_null() -> None:
    assert apply_strategy(pa.array(["x", None]), "redact", {}, KEY).to_pylist() == ["****", None]
    assert apply_strategy(pa.array([b"x"]), "redact", {}, KEY).to_pylist() == [b"****"]
    assert apply_strategy(pa.array([5, 6]), "redact", {}, KEY).to_pylist() == [None, None]


def test_hash_is_keyed_hmac_and_equal_inputs_give_equal_pseudonyms() -> None:
    out = apply_strategy(pa.array(["a", "b", "a", None]), "hash", {}, KEY).to_pylist()
    assert out[0] == out[2] != out[1] and out[3] is None
    assert out[0] == hmac.new(KEY, b"a", "sha256").hexdigest()
    other_key = apply_strategy(pa.array(["a"]), "hash", {}, b"z" * 32).to_pylist()
    assert other_key[0] != out[0]


def test_hash_of_int64_stays_int64_and_joins() -> None:
    left = apply_strategy(pa.array([7, 8]), "hash", {}, KEY).to_pylist()
    right = apply_strategy(pa.array([8, 7, 7]), "hash", {}, KEY).to_pylist()
    assert left[0] == right[1] == right[2] and left[1] == right[0] and 7 not in left


def test_hash_without_key_fails_closed() -> None:
    with pytest.raises(ValueError):
        apply_strategy(pa.array(["a"]), "hash", {}, b"")


def test_partial_keeps_last_n_only_when_as_many_stay_hidden() -> None:
    out = apply_strategy(pa.array(["4111111111111111", "1234", "12345678", ""]), "partial", {"keep": 4}, KEY)
    assert out.to_pylist() == ["****1111", "****", "****5678", "****"]
    assert apply_strategy(pa.array(["abcdef"]), "partial", {"keep": 0}, KEY).to_pylist() == ["****"]


def test_email_hides_everything_before_the_last_at_even_across_lines() -> None:
    values = ["line one\nsecret.person@example.com", "a\r\nb@c\nd.org", "@only.domain", "trailing@", None, ""]
    out = apply_strategy(pa.array(values), "email", {}, KEY).to_pylist()
    assert out == ["****@example.com", "****@c\nd.org", "****@only.domain", "****@", None, "****"]


def test_email_keeps_domain_only() -> None:
    out = apply_strategy(pa.array(["alice@example.com", "odd@x@y.org", "nope"]), "email", {}, KEY)
    assert out.to_pylist() == ["****@example.com", "****@y.org", "****"]


def test_year_truncates_dates_and_timestamps() -> None:
    ts = pa.array([dt.datetime(2021, 7, 8, 9, 10, tzinfo=dt.UTC)], pa.timestamp("us", tz="UTC"))
    assert apply_strategy(ts, "year", {}, KEY).to_pylist() == [dt.datetime(2021, 1, 1, tzinfo=dt.UTC)]
    assert apply_strategy(pa.array([dt.date(2019, 12, 31)]), "year", {}, KEY).to_pylist() == [
        dt.date(2019, 1, 1)
    ]


def test_round_numbers() -> None:
    assert apply_strategy(pa.array([1234, 1250]), "round", {"digits": -2}, KEY).to_pylist() == [1200, 1200]
    assert apply_strategy(pa.array([1.26]), "round", {"digits": 1}, KEY).to_pylist() == [1.3]
    dec = pa.array([Decimal("12.345000000")], pa.decimal128(38, 9))
    assert apply_strategy(dec, "round", {"digits": 0}, KEY).to_pylist() == [Decimal("12.000000000")]


def test_dictionary_and_chunked_inputs() -> None:
    dictionary = pa.array(["a@b.c", "a@b.c"]).dictionary_encode()
    assert apply_strategy(dictionary, "email", {}, KEY).dictionary_decode().to_pylist() == ["****@b.c"] * 2
    chunked = pa.chunked_array([["x"], ["y"]])
    assert apply_strategy(chunked, "redact", {}, KEY).to_pylist() == ["****", "****"]


# Pseudonyms must never change (joins across sessions, recordings, and BigQuery-side copies
# depend on them): the same key and input give these exact values, whatever the implementation.
PINNED_KEY = b"corpus-test-key-0123456789abcdef"


def test_hash_pseudonyms_are_pinned() -> None:
    text = apply_strategy(pa.array(["alice.secret@example.com"]), "hash", {}, PINNED_KEY).to_pylist()
    assert text == ["59cd9d5468e1cfa1ee83c5b76900220a08202cd303aaebed56c82e4b13777fdc"]
    number = apply_strategy(pa.array([42], pa.int64()), "hash", {}, PINNED_KEY).to_pylist()
    assert number == [int.from_bytes(bytes.fromhex("b69b1ff14ed914b8"), "big", signed=True)]


@pytest.mark.parametrize("key", [PINNED_KEY, b"k", b"x" * 64, b"long key " * 20])
def test_hash_equals_hmac_sha256_for_every_shape(key: bytes) -> None:
    """Empty, one-block, multi-block, non-ASCII and repeated values; keys short, 64 bytes, long."""
    values = ["", "a", "é漢字", "x" * 55, "y" * 56, "z" * 200, "a", "+1-555-010-0199"]
    out = apply_strategy(pa.array(values), "hash", {}, key).to_pylist()
    assert out == [hmac.new(key, v.encode(), "sha256").hexdigest() for v in values]
    raw = apply_strategy(pa.array([v.encode() for v in values], pa.binary()), "hash", {}, key).to_pylist()
    assert raw == [hmac.digest(key, v.encode(), "sha256") for v in values]


@pytest.mark.parametrize("arrow_type", [pa.string(), pa.large_string(), pa.binary(), pa.int64()])
def test_redact_hiding_nulls_gives_every_row_the_same_value(arrow_type: pa.DataType) -> None:
    values: list[object] = [1, None, 3] if arrow_type == pa.int64() else ["a", None, "c"]
    if pa.types.is_binary(arrow_type):
        values = [b"a", None, b"c"]
    out = apply_strategy(pa.array(values, arrow_type), "redact", {"hide_nulls": True}, KEY)
    assert out.type == arrow_type and len(set(out.to_pylist())) == 1
