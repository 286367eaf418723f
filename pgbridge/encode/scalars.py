"""Integers, oid and reg*, bool, text, bytea, uuid and "char": text and binary.

Everything here is a cast or a byte-table lookup over the whole column. Integers are range
checked against the PostgreSQL type first (a backend's int64 in an int2 column must fail the
way PostgreSQL would, not wrap). bytea text is PostgreSQL's hex (\\x0a1b) or escape format;
both are a per-byte expansion table applied with numpy.repeat.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pgbridge.encode import arrowutil as au
from pgbridge.wire.errors import PgError, SqlState

_INT_TYPES = {"int2": (pa.int16(), ">i2"), "int4": (pa.int32(), ">i4"), "int8": (pa.int64(), ">i8")}


def integers(arr: pa.Array, pg_name: str) -> pa.Array:
    """The values cast to the PostgreSQL integer width, refusing values that do not fit."""
    target = _INT_TYPES[pg_name][0] if pg_name in _INT_TYPES else pa.uint32()
    if pa.types.is_boolean(arr.type) or pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        raise TypeError(f"{arr.type} is not integer data")
    try:
        return arr.cast(target)
    except pa.ArrowInvalid as exc:
        kind = (
            "OID"
            if target == pa.uint32()
            else ("smallint" if pg_name == "int2" else "integer" if pg_name == "int4" else "bigint")
        )
        raise PgError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, f"{kind} out of range") from exc


def integer_text(arr: pa.Array, pg_name: str) -> pa.Array:
    return pc.cast(integers(arr, pg_name), pa.string())


def integer_binary(arr: pa.Array, pg_name: str) -> pa.Array:
    values = integers(arr, pg_name)
    dtype = _INT_TYPES[pg_name][1] if pg_name in _INT_TYPES else ">u4"
    return au.from_matrix(au.big_endian(au.numbers(values, dtype.replace(">", "=")), dtype), au.validity(arr))


def oid_text(arr: pa.Array, pg_name: str) -> pa.Array:
    """oid and reg* types: integer data prints as digits, names (string data) as they are."""
    if _is_stringish(arr.type):
        return arr.cast(pa.string())
    text = integer_text(arr, "oid")
    if pg_name.startswith("reg"):  # regclassout and friends print InvalidOid as "-"
        text = pc.if_else(pc.equal(text, "0"), "-", text)
    return text


def oid_binary(arr: pa.Array, pg_name: str) -> pa.Array:
    if _is_stringish(arr.type):
        raise PgError(
            SqlState.FEATURE_NOT_SUPPORTED,
            f"binary output of {pg_name} given as names is not supported by pgbridge",
            hint="Request text format for this column, or cast it to oid.",
        )
    return integer_binary(arr, "oid")


def _is_stringish(typ: pa.DataType) -> bool:
    return pa.types.is_string(typ) or pa.types.is_large_string(typ)


def bool_text(arr: pa.Array) -> pa.Array:
    return pc.if_else(arr.cast(pa.bool_()), pa.scalar(b"t"), pa.scalar(b"f"))


def bool_binary(arr: pa.Array) -> pa.Array:
    values = au.numbers(arr.cast(pa.bool_()).cast(pa.uint8()), "uint8")
    return au.from_matrix(values.reshape(-1, 1), au.validity(arr))


def text_values(arr: pa.Array) -> pa.Array:
    """text, varchar, name, GEOGRAPHY (WKT): the UTF-8 bytes as they are."""
    if pa.types.is_binary(arr.type) or pa.types.is_large_binary(arr.type):
        return au.as_binary(arr)
    return au.as_binary(arr.cast(pa.string()))


def _bytes_of(arr: pa.Array) -> pa.Array:
    if pa.types.is_fixed_size_binary(arr.type):
        return arr.cast(pa.binary())
    return au.as_binary(arr)


def expand_bytes(arr: pa.Array, table: list[bytes], prefix: bytes = b"") -> pa.Array:
    """Replace every byte b of every value by table[b], then put `prefix` before each value."""
    arr = _bytes_of(arr).cast(pa.large_binary())
    n = len(arr)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64, count=n + 1, offset=8 * arr.offset)
    start = int(offsets[0]) if n else 0
    end = int(offsets[-1]) if n else 0
    data_buffer = arr.buffers()[2]
    source = (
        np.frombuffer(data_buffer, dtype=np.uint8, count=end - start, offset=start)
        if end > start and data_buffer is not None
        else np.zeros(0, dtype=np.uint8)
    )
    widths = np.array([len(t) for t in table], dtype=np.int64)
    relative = offsets - start
    if (widths == widths[0]).all():  # hex: every byte becomes the same number of bytes
        matrix = np.frombuffer(b"".join(table), dtype=np.uint8).reshape(256, int(widths[0]))
        data, out_offsets = matrix[source].reshape(-1), relative * widths[0]
    else:
        data, out_offsets = _ragged_expand(source, table, widths, relative)
    result = au.from_parts(data, out_offsets, au.validity(arr))
    if prefix:
        result = pc.binary_join_element_wise(pa.scalar(prefix), result, pa.scalar(b""))
    return result


def _ragged_expand(
    source: np.ndarray, table: list[bytes], widths: np.ndarray, relative: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    flat = np.frombuffer(b"".join(table), dtype=np.uint8)
    table_start = np.concatenate([[0], np.cumsum(widths)[:-1]])
    lengths = widths[source]
    ends = np.cumsum(lengths)
    index = np.repeat(table_start[source] - (ends - lengths), lengths) + np.arange(
        int(ends[-1]) if len(ends) else 0
    )
    out_offsets = np.concatenate([[0], ends])[relative]
    return flat[index], out_offsets


HEX_TABLE = [f"{b:02x}".encode() for b in range(256)]
ESCAPE_TABLE = [
    b"\\\\" if b == 0x5C else bytes([b]) if 0x20 <= b < 0x7F else f"\\{b:03o}".encode() for b in range(256)
]


def bytea_text(arr: pa.Array, bytea_output: str) -> pa.Array:
    if bytea_output == "escape":
        return expand_bytes(arr, ESCAPE_TABLE)
    return expand_bytes(arr, HEX_TABLE, prefix=b"\\x")


def bytea_binary(arr: pa.Array) -> pa.Array:
    return _bytes_of(arr)


def uuid_bytes(arr: pa.Array) -> pa.Array:
    """16-byte values from fixed_size_binary(16) / binary or from text (any case, dashes, braces)."""
    if _is_stringish(arr.type):
        cleaned = pc.replace_substring_regex(pc.utf8_lower(arr), r"[{}-]", "")
        bad = pc.invert(pc.match_substring_regex(cleaned, r"^[0-9a-f]{32}$")).fill_null(False)
        if pc.any(bad).as_py():
            raise PgError(SqlState.INVALID_TEXT_REPRESENTATION, "invalid input syntax for type uuid")
        return _hex_decode(cleaned)
    values = _bytes_of(arr)
    if pc.any(pc.not_equal(pc.binary_length(values), 16)).as_py():
        raise PgError(SqlState.INVALID_BINARY_REPRESENTATION, "uuid values must be 16 bytes")
    return values


def _hex_decode(arr: pa.Array) -> pa.Array:
    valid = au.validity(arr)
    filled = au.fill_text(arr, b"0" * 32)
    raw = np.frombuffer(pa.concat_arrays([filled]).buffers()[2], dtype=np.uint8)
    offsets = np.frombuffer(
        filled.buffers()[1], dtype=np.int32, count=len(filled) + 1, offset=4 * filled.offset
    )
    digits = raw[offsets[0] : offsets[-1]].reshape(-1, 32)
    nibbles = np.where(digits >= ord("a"), digits - ord("a") + 10, digits - ord("0")).astype(np.uint8)
    return au.from_matrix(nibbles[:, 0::2] * 16 + nibbles[:, 1::2], valid)


def uuid_text(arr: pa.Array) -> pa.Array:
    values = uuid_bytes(arr)
    hexed = expand_bytes(values, HEX_TABLE)
    valid = au.validity(values)
    raw = np.frombuffer(au.fill_text(hexed, b"0" * 32).buffers()[2], dtype=np.uint8)
    n = len(values)
    digits = raw[: 32 * n].reshape(n, 32) if n else np.zeros((0, 32), dtype=np.uint8)
    dash = np.full((n, 1), ord("-"), dtype=np.uint8)
    matrix = np.hstack(
        [
            digits[:, :8],
            dash,
            digits[:, 8:12],
            dash,
            digits[:, 12:16],
            dash,
            digits[:, 16:20],
            dash,
            digits[:, 20:],
        ]
    )
    return au.from_matrix(matrix, valid)


def uuid_binary(arr: pa.Array) -> pa.Array:
    return uuid_bytes(arr)


def char_values(arr: pa.Array) -> pa.Array:
    """The one byte of "char" values: first byte of string data, or the integer itself."""
    if pa.types.is_integer(arr.type):
        values = au.numbers(arr, "int64") & 0xFF
        return au.from_matrix(values.astype(np.uint8).reshape(-1, 1), au.validity(arr))
    text = _bytes_of(arr.cast(pa.binary()) if _is_stringish(arr.type) else arr)
    first = pc.binary_slice(text, 0, 1)
    return pc.if_else(pc.equal(pc.binary_length(first), 0), pa.scalar(b"\x00"), first)  # '' is NUL


# charout: NUL prints as nothing, high-bit bytes as \ooo, everything else as itself.
CHAR_TABLE = [b"" if b == 0 else f"\\{b:03o}".encode() if b >= 0x80 else bytes([b]) for b in range(256)]


def char_text(arr: pa.Array) -> pa.Array:
    return expand_bytes(char_values(arr), CHAR_TABLE)


def char_binary(arr: pa.Array) -> pa.Array:
    return char_values(arr)
