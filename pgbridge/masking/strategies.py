"""Mask strategies over whole Arrow arrays.

Each strategy takes an array and returns one of exactly the same Arrow type, so the
RowDescription type the query declared never changes (clients would break otherwise).
Work is done by pyarrow.compute kernels over the column; the only per-value Python is the
keyed hash, which runs once per *distinct* value (dictionary encoding), because Arrow has no
HMAC kernel.

Type choices (documented, tested):
- redact: text columns become the fixed text `****` and binary ones b"****"; every other type
  becomes NULL (a fixed number or date would read as real data). With `hide_nulls` (what the
  plan uses for computed values) NULL rows become `****` as well.
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
NULL inputs stay NULL under every strategy (except redact with hide_nulls).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

REDACTED = "****"
HIDE_NULLS = "hide_nulls"  # redact option: NULLs become `****` too (computed values)
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
    if options.get(HIDE_NULLS):
        # A computed value's NULL-ness can answer a question about the masked value
        # (nullif(ssn, '123-45-6789') is NULL exactly when it matches): every row the same.
        return _constant(arr)
    if _is_text(arr.type):
        return _keep_nulls(_text(arr), pa.scalar(REDACTED)).cast(arr.type)
    if _is_binary(arr.type):
        return _keep_nulls(arr, pa.scalar(REDACTED.encode(), arr.type))
    return _nulls(arr)


def _constant(arr: pa.Array) -> pa.Array:
    if _is_text(arr.type):
        return pa.repeat(pa.scalar(REDACTED), len(arr)).cast(arr.type)
    if _is_binary(arr.type):
        return pa.repeat(pa.scalar(REDACTED.encode(), pa.binary()), len(arr)).cast(arr.type)
    return _nulls(arr)


def null(arr: pa.Array, options: Mapping[str, object], key: bytes) -> pa.Array:
    return _nulls(arr)


def hash_values(arr: pa.Array, options: Mapping[str, object], key: bytes) -> pa.Array:
    if not key:
        raise ValueError("the hash strategy needs a hash key")
    mac = _HmacSha256(key)
    if _is_text(arr.type):
        encoded = pc.dictionary_encode(_text(arr))
        digests = mac.digests(encoded.dictionary.cast(pa.binary()).to_pylist())
        return pc.take(_hex_array(digests), encoded.indices).cast(arr.type)
    if _is_binary(arr.type):
        encoded = pc.dictionary_encode(arr)
        digests = mac.digests(encoded.dictionary.to_pylist())
        return pc.take(pa.array(_split(digests), arr.type), encoded.indices)
    if arr.type == pa.int64():  # narrower integer types cannot hold the pseudonym: NULL below
        encoded = pc.dictionary_encode(arr)
        digests = mac.digests([str(v).encode() for v in encoded.dictionary.to_pylist()])
        leading = np.frombuffer(digests, dtype=">i8").reshape(-1, 4)[:, 0].astype(np.int64)
        return pc.take(pa.array(leading, pa.int64()), encoded.indices)
    return _nulls(arr)


class _HmacSha256:
    """HMAC-SHA256 (RFC 2104) with the keyed inner and outer states computed once.

    This loop is the one place masking spends Python time per (distinct) value. Measured on
    65,536 distinct values (`bench/masking_bench.py --hmac`, 2 shared cores): copying the two
    prepared OpenSSL states ~0.5 µs a value; hmac.digest() ~1.4 µs (OpenSSL 3 sets up a keyed
    context each call); copying a C hmac.HMAC ~0.9 µs; sha256(opad + sha256(ipad + m)) through
    map() ~0.77 µs; DuckDB's sha256() twice in SQL ~1.5 µs; SHA-256 vectorised over numpy
    lanes ~1.0 µs (two compressions at ~0.5 µs each). The cost is the per-call overhead
    around OpenSSL's compression, not the hashing itself, so this stays.
    """

    def __init__(self, key: bytes) -> None:
        block = hashlib.sha256(key).digest() if len(key) > 64 else key
        block = block.ljust(64, b"\0")
        self.inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self.outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def digests(self, values: list[bytes]) -> bytes:
        """The 32-byte MACs of all values, concatenated."""
        inner, outer = self.inner, self.outer
        out = []
        for value in values:
            step = inner.copy()
            step.update(value)
            final = outer.copy()
            final.update(step.digest())
            out.append(final.digest())
        return b"".join(out)


_HEX_PAIRS = np.frombuffer(b"".join(f"{i:02x}".encode() for i in range(256)), dtype=np.uint16)


def _hex_array(digests: bytes) -> pa.Array:
    """Concatenated 32-byte digests -> a utf8 array of 64-char hex strings, built in numpy."""
    count = len(digests) // 32
    text = _HEX_PAIRS[np.frombuffer(digests, dtype=np.uint8)].tobytes()
    offsets = np.arange(0, (count + 1) * 64, 64, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), count, [None, pa.py_buffer(offsets), pa.py_buffer(text)])


def _split(digests: bytes) -> list[bytes]:
    return [digests[i : i + 32] for i in range(0, len(digests), 32)]


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
    # The domain is what follows the last "@". RE2's `[^@]` also matches newlines, where `.`
    # would not (a line break before the "@" must not make the whole value pass through), and
    # one anchored extraction is ~3x faster than a `^.*@` replacement.
    domain = pc.struct_field(pc.extract_regex(text, pattern=r"@(?P<domain>[^@]*)$"), "domain")
    masked = pc.binary_join_element_wise(REDACTED + "@", domain, "")
    no_at = pc.if_else(pc.is_null(text), pa.scalar(None, pa.string()), pa.scalar(REDACTED))
    return pc.if_else(pc.is_null(domain), no_at, masked).cast(arr.type)


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
