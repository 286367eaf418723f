"""Mask strategies over whole Arrow arrays.

Each strategy takes an array and returns one of exactly the same Arrow type, so the
RowDescription type the query declared never changes (clients would break otherwise).
Work is done by pyarrow.compute kernels over the column; the only per-value Python is the
keyed hash, which runs once per *distinct* value (dictionary encoding), because Arrow has no
HMAC kernel.

Type choices (documented, tested):
- redact: text columns become the fixed text `****` and binary ones b"****"; every other type
  becomes NULL (a fixed number or date would read as real data).
- null: NULL of the column's type.
- hash: HMAC-SHA256 with the gateway's key. Text -> 64-char lowercase hex, binary -> the 32
  digest bytes, integers -> the digest's first 8 bytes as a signed int64 (still joins and
  groups), other types -> NULL.
- partial(keep): text -> `****` + the last `keep` characters, kept only when at least as many
  characters stay hidden (short values become `****`); other types -> NULL.
- email: text -> `****@domain` (the part after the last `@`), `****` when there is no `@`.
- year: dates and timestamps truncated to 1 January of their year; other types -> NULL.
- round(digits): integers, floats and decimals rounded to `digits` places (negative rounds to
  tens, hundreds...); other types -> NULL.
NULL inputs stay NULL under every strategy.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

REDACTED = "****"
Strategy = Callable[[pa.Array, Mapping[str, object], bytes], pa.Array]


def _is_text(t: pa.DataType) -> bool:
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t))


def _is_binary(t: pa.DataType) -> bool:
    return bool(pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_binary_view(t))


def _nulls(arr: pa.Array) -> pa.Array:
    return pa.nulls(len(arr), arr.type)


def _text(arr: pa.Array) -> pa.Array:
    # Kernels are richest on plain utf8; results are cast back to the input type.
    return arr.cast(pa.string()) if arr.type != pa.string() else arr


def _keep_nulls(arr: pa.Array, value: pa.Array | pa.Scalar) -> pa.Array:
    return pc.if_else(pc.is_null(arr), pa.scalar(None, value.type), value)


def redact(arr: pa.Array, options: Mapping[str, object], key: bytes) -> pa.Array:
    if _is_text(arr.type):
        return _keep_nulls(_text(arr), pa.scalar(REDACTED)).cast(arr.type)
    if _is_binary(arr.type):
        return _keep_nulls(arr, pa.scalar(REDACTED.encode(), arr.type))
    return _nulls(arr)


def null(arr: pa.Array, options: Mapping[str, object], key: bytes) -> pa.Array:
    return _nulls(arr)


def hash_values(arr: pa.Array, options: Mapping[str, object], key: bytes) -> pa.Array:
    if not key:
        raise ValueError("the hash strategy needs a hash key")
    if _is_text(arr.type):
        hashed = _hash_distinct(_text(arr), key, str.encode, bytes.hex, pa.string())
        return hashed.cast(arr.type)
    if _is_binary(arr.type):
        return _hash_distinct(arr, key, bytes, bytes, arr.type)
    if pa.types.is_integer(arr.type):
        hashed = _hash_distinct(arr, key, lambda v: str(v).encode(), _digest_to_int64, pa.int64())
        return hashed if arr.type == pa.int64() else _nulls(arr)  # narrower ints cannot hold the pseudonym
    return _nulls(arr)


def _digest_to_int64(digest: bytes) -> int:
    return int.from_bytes(digest[:8], "big", signed=True)


def _hash_distinct(
    arr: pa.Array,
    key: bytes,
    to_bytes: Callable[[Any], bytes],
    from_digest: Callable[[bytes], Any],
    out_type: pa.DataType,
) -> pa.Array:
    encoded = pc.dictionary_encode(arr)
    distinct = encoded.dictionary.to_pylist()
    digests = pa.array([from_digest(hmac.digest(key, to_bytes(v), "sha256")) for v in distinct], out_type)
    return pc.take(digests, encoded.indices)


def partial(arr: pa.Array, options: Mapping[str, object], key: bytes) -> pa.Array:
    if not _is_text(arr.type):
        return _nulls(arr)
    keep = int(options.get("keep", 4))  # type: ignore[call-overload]
    text = _text(arr)
    if keep <= 0:
        return _keep_nulls(text, pa.scalar(REDACTED)).cast(arr.type)
    tail = pc.binary_join_element_wise(REDACTED, pc.utf8_slice_codeunits(text, start=-keep), "")
    long_enough = pc.greater_equal(pc.utf8_length(text), 2 * keep)
    return pc.if_else(long_enough, tail, pa.scalar(REDACTED)).cast(arr.type)


def email(arr: pa.Array, options: Mapping[str, object], key: bytes) -> pa.Array:
    if not _is_text(arr.type):
        return _nulls(arr)
    text = _text(arr)
    domain = pc.replace_substring_regex(text, pattern=r"^.*@", replacement=REDACTED + "@", max_replacements=1)
    return pc.if_else(pc.match_substring(text, "@"), domain, pa.scalar(REDACTED)).cast(arr.type)


def year(arr: pa.Array, options: Mapping[str, object], key: bytes) -> pa.Array:
    if pa.types.is_date(arr.type) or pa.types.is_timestamp(arr.type):
        return pc.floor_temporal(arr, unit="year").cast(arr.type)
    return _nulls(arr)


def round_numbers(arr: pa.Array, options: Mapping[str, object], key: bytes) -> pa.Array:
    digits = int(options.get("digits", 0))  # type: ignore[call-overload]
    t = arr.type
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return pc.round(arr, ndigits=digits).cast(t)
    return _nulls(arr)


STRATEGY_FUNCTIONS: dict[str, Strategy] = {
    "redact": redact,
    "null": null,
    "hash": hash_values,
    "partial": partial,
    "email": email,
    "year": year,
    "round": round_numbers,
}


def apply_strategy(arr: pa.Array, strategy: str, options: Mapping[str, object], key: bytes) -> pa.Array:
    """Mask one column; the result has the input's exact type and length (checked)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_dictionary(arr.type):
        masked = apply_strategy(arr.dictionary_decode(), strategy, options, key)
        return pc.dictionary_encode(masked).cast(arr.type)
    result = STRATEGY_FUNCTIONS[strategy](arr, options, key)
    if isinstance(result, pa.ChunkedArray):
        result = result.combine_chunks()
    if result.type != arr.type or len(result) != len(arr):
        raise ValueError(f"mask {strategy} changed the column from {arr.type} to {result.type}")
    return result
