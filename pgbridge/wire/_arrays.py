"""One-dimensional arrays in text (`{1,NULL,"a b"}`) and binary form.

BigQuery arrays are one-dimensional and have no lower bound, so a multi-dimensional
array is refused (0A000) rather than flattened, and a `[lo:hi]=` decoration on input is
accepted and dropped. Text quoting follows array_out: an element is quoted when it is
empty, spells NULL, or holds a brace, comma, quote, backslash or white space; inside the
quotes, quote and backslash are backslash-escaped. Binary is array_send's layout: ndim,
has-nulls flag, element OID, (size, lower bound) per dimension, then length-prefixed
elements.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Sequence

from pgbridge.wire.errors import PgError, SqlState

_NEEDS_QUOTES = re.compile(r'[{},"\\\s]|^$|^null$', re.I | re.ASCII)
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"', re.S)
_UNQUOTED = re.compile(r'(?:[^,"\\{}]|\\.)*', re.S)
_UNESCAPE = re.compile(r"\\(.)", re.S)
_DIMS = re.compile(r"\s*\[\s*[+-]?\d+\s*:\s*[+-]?\d+\s*\]\s*=", re.ASCII)
_WS = " \t\n\r\v\f"
_HEADER = struct.Struct("!iiI")
_DIM = struct.Struct("!ii")
_I32 = struct.Struct("!i")


def multidimensional() -> PgError:
    return PgError(SqlState.FEATURE_NOT_SUPPORTED, "multidimensional arrays are not supported by pgbridge")


def _quote(text: str) -> str:
    if _NEEDS_QUOTES.search(text) is None:
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_array(values: object, element: Callable[[object], str]) -> str:
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise TypeError(f"an array needs a list or tuple, not {type(values).__name__}")
    return "{" + ",".join("NULL" if v is None else _quote(element(v)) for v in values) + "}"


def split_array(text: str) -> list[str | None]:
    """The raw element strings of a one-dimensional array literal (None for NULL)."""
    dims = _DIMS.match(text)
    body = text[dims.end() :] if dims else text
    body = body.strip(_WS)
    if len(body) < 2 or body[0] != "{" or body[-1] != "}":
        raise ValueError('array value must start with "{" or dimension information')
    inner = body[1:-1]
    if inner.strip(_WS) == "":
        return []
    out: list[str | None] = []
    pos = 0
    while True:
        pos, value = _element(inner, pos)
        out.append(value)
        if pos == len(inner):
            return out
        pos += 1  # the comma


def _element(inner: str, pos: int) -> tuple[int, str | None]:
    while pos < len(inner) and inner[pos] in _WS:
        pos += 1
    if inner.startswith("{", pos):
        raise multidimensional()
    quoted = _QUOTED.match(inner, pos)
    if quoted is not None:
        value: str | None = _UNESCAPE.sub(r"\1", quoted.group(1))
        end = quoted.end()
        while end < len(inner) and inner[end] in _WS:
            end += 1
    else:
        raw = _UNQUOTED.match(inner, pos)
        assert raw is not None  # the pattern matches the empty string
        end = raw.end()
        text = raw.group(0).rstrip(_WS)
        if not text:
            raise ValueError("unexpected end of array element")
        value = None if text.upper() == "NULL" else _UNESCAPE.sub(r"\1", text)
    if end < len(inner) and inner[end] != ",":
        raise ValueError(f"unexpected {inner[end]!r} in array")
    if end == len(inner) - 1:
        raise ValueError("unexpected end of array after ','")
    return end, value


def array_binary(values: object, element_oid: int, element: Callable[[object], bytes]) -> bytes:
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise TypeError(f"an array needs a list or tuple, not {type(values).__name__}")
    if not values:
        return _HEADER.pack(0, 0, element_oid)
    has_null = any(v is None for v in values)
    parts = [_HEADER.pack(1, int(has_null), element_oid), _DIM.pack(len(values), 1)]
    for value in values:
        if value is None:
            parts.append(b"\xff\xff\xff\xff")
        else:
            raw = element(value)
            parts.append(_I32.pack(len(raw)))
            parts.append(raw)
    return b"".join(parts)


def split_array_binary(data: bytes, element_oid: int) -> list[bytes | None]:
    ndim, flags, oid = _HEADER.unpack_from(data)
    if ndim > 1:
        raise multidimensional() if ndim <= 6 else ValueError(f"invalid number of dimensions: {ndim}")
    if ndim < 0 or flags not in (0, 1):
        raise ValueError("invalid array header")
    if oid != element_oid:
        raise PgError(
            SqlState.DATATYPE_MISMATCH,
            f"binary data has array element type {oid} instead of expected {element_oid}",
        )
    if ndim == 0:
        if len(data) != _HEADER.size:
            raise ValueError("trailing bytes after an empty array")
        return []
    count, _lower = _DIM.unpack_from(data, _HEADER.size)
    pos = _HEADER.size + _DIM.size
    if count < 0 or count * 4 > len(data) - pos:
        raise ValueError(f"invalid array size {count}")
    out: list[bytes | None] = []
    for _ in range(count):
        (length,) = _I32.unpack_from(data, pos)
        pos += 4
        if length == -1:
            out.append(None)
            continue
        if length < 0 or pos + length > len(data):
            raise ValueError("invalid array element length")
        out.append(data[pos : pos + length])
        pos += length
    if pos != len(data):
        raise ValueError("trailing bytes after the array")
    return out
