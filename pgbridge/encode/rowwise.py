"""Values of a few rows, one Python call each: the small-batch twin of render.py.

The vectorised renderers pay a fixed price per column (numeric ~20 numpy calls, text[] ~20
Arrow calls) whatever the batch's size, which is most of a point query's encoding. For a
batch of a few rows (result.py, SMALL_BATCH) a column is instead read with one `to_pylist()`
and each value turned into bytes here. The output must be byte for byte the vectorised
renderers' (tests/encode/test_rowwise.py runs both over every fixture type and the demo
warehouse), so only the common cases are done here: `value_encoder` answers None for any
(PostgreSQL type, format, Arrow type) it does not cover, and that column goes through
render.py as before. Values Python cannot hold (a date in year 10000) make `to_pylist` fail;
that column falls back too, and the vectorised renderer gives the same bytes or the same error.
"""

from __future__ import annotations

import datetime as dt
import re
import struct
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa

from pgbridge.encode import floats, numeric_digits
from pgbridge.encode.columns import BINARY, TEXT
from pgbridge.encode.datetimes import PG_EPOCH_DAYS, PG_EPOCH_MICROS, _far_timestamp
from pgbridge.encode.jsonfmt import jsonb_value
from pgbridge.encode.scalars import ESCAPE_TABLE
from pgbridge.encode.settings import EncodeSettings
from pgbridge.encode.timezones import resolve_zone
from pgbridge.typemap import PG_TYPES_BY_OID, PgType

Encode = Callable[[Any], bytes]  # one non-NULL value, as to_pylist gives it -> its bytes
_TEXT_NAMES = {"text", "varchar", "name", "bpchar", "unknown"}
_INT_WIDTH = {"int2": 16, "int4": 32, "int8": 64}
_INT_PACK = {"int2": struct.Struct("!h").pack, "int4": struct.Struct("!i").pack}
_INT_PACK["int8"] = struct.Struct("!q").pack
_EPOCH = dt.datetime(1970, 1, 1)
_EPOCH_UTC = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICRO = dt.timedelta(microseconds=1)
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_NEEDS_QUOTES = re.compile(rb'[{},"\\ \t\n\r\x0b\x0c]')  # array_out's rule (arrays.py)
_ESCAPE = re.compile(rb'(["\\])')
_I4 = struct.Struct("!i").pack
_I8 = struct.Struct("!q").pack


class RowwiseEncoders:
    """Per-value encoders for one session's settings, cached by (type, format, Arrow type)."""

    def __init__(self, settings: EncodeSettings) -> None:
        self.settings = settings
        self.zone = resolve_zone(settings.timezone)
        self._cache: dict[tuple[int, int, pa.DataType], Encode | None] = {}

    def column(self, pg: PgType, fmt: int, arr: pa.Array | pa.ChunkedArray) -> list[bytes | None] | None:
        """The column's values as bytes, or None when this module does not cover it."""
        encode = self.value_encoder(pg, fmt, arr.type)
        if encode is None:
            return None
        try:
            values = arr.to_pylist()
        except (ValueError, OverflowError, pa.ArrowException):
            return None  # out of Python's range: the vectorised renderer decides
        return [None if v is None else encode(v) for v in values]

    def value_encoder(self, pg: PgType, fmt: int, typ: pa.DataType) -> Encode | None:
        key = (pg.oid, fmt, typ)
        if key not in self._cache:
            self._cache[key] = self._choose(pg, fmt, typ)
        return self._cache[key]

    def _choose(self, pg: PgType, fmt: int, typ: pa.DataType) -> Encode | None:
        if pa.types.is_dictionary(typ) or isinstance(typ, pa.ExtensionType):
            return None
        if pg.element_oid:
            return self._array(PG_TYPES_BY_OID[pg.element_oid], fmt, typ)
        name = pg.name
        if name in _INT_WIDTH:
            return _integer(name, fmt, typ)
        if name in _TEXT_NAMES:
            return _text_like(typ)
        if name == "json":  # json from STRUCT data is built by jsonfmt.py
            return str.encode if _is_string(typ) else None
        chooser = _BINARY if fmt == BINARY else _TEXT
        pick = chooser.get(name)
        return pick(self, typ) if pick is not None else None

    def _array(self, element: PgType, fmt: int, typ: pa.DataType) -> Encode | None:
        if not (pa.types.is_list(typ) or pa.types.is_large_list(typ)) or element.element_oid:
            return None
        inner = self.value_encoder(element, fmt, typ.value_type)
        if inner is None:
            return None
        if fmt == BINARY:
            return _array_binary(inner, element.oid)
        return _array_text(inner)

    # --- per type, text -------------------------------------------------------------------
    def _numeric_text(self, typ: pa.DataType) -> Encode | None:
        if pa.types.is_decimal(typ):
            return lambda v: _decimal_digits(v).encode()
        if _is_string(typ):
            return lambda v: numeric_digits.finish(v).encode()
        return None

    def _float_text(self, typ: pa.DataType, float4: bool) -> Encode | None:
        # Only data of the column's own width: float4 data shown as float8 prints differently.
        if not (pa.types.is_float32(typ) if float4 else pa.types.is_float64(typ)):
            return None
        digits = self.settings.extra_float_digits
        if digits <= 0:
            width = (6 if float4 else 15) + digits
            return lambda v: floats._printf_g(v, width).encode()
        return lambda v: floats.pg_shortest(v, float4).encode()

    def _timestamp_text(self, typ: pa.DataType, with_zone: bool) -> Encode | None:
        micros = _micros_of(typ)
        if micros is None:
            return None
        if not with_zone:
            return lambda v: _far_timestamp(micros(v), None, False)
        zone = self.zone
        if zone.fixed_offset is not None:
            offset = zone.fixed_offset
            return lambda v: _far_timestamp(micros(v) + offset * 1_000_000, offset, False)

        def shown(v: Any) -> bytes:
            utc = micros(v)
            offset = int(zone.offsets_for(np.array([utc], dtype=np.int64))[0])
            return _far_timestamp(utc + offset * 1_000_000, offset, False)

        return shown

    def _bytea_text(self, typ: pa.DataType) -> Encode | None:
        if not _is_bytes(typ):
            return None
        if self.settings.bytea_output == "escape":
            return lambda v: b"".join([ESCAPE_TABLE[b] for b in v])
        return lambda v: b"\\x" + v.hex().encode()

    def _jsonb_text(self, typ: pa.DataType) -> Encode | None:
        return (lambda v: jsonb_value(v).encode()) if _is_string(typ) else None

    # --- per type, binary -----------------------------------------------------------------
    def _numeric_binary(self, typ: pa.DataType) -> Encode | None:
        if pa.types.is_decimal(typ):
            return lambda v: numeric_digits.numeric_send(_decimal_digits(v))
        if _is_string(typ):
            return lambda v: numeric_digits.numeric_send(numeric_digits.finish(v))
        return None

    def _float_binary(self, typ: pa.DataType, float4: bool) -> Encode | None:
        if float4:
            return struct.Struct("!f").pack if pa.types.is_float32(typ) else None
        return struct.Struct("!d").pack if pa.types.is_float64(typ) else None

    def _timestamp_binary(self, typ: pa.DataType) -> Encode | None:
        micros = _micros_of(typ)
        return None if micros is None else (lambda v: _I8(micros(v) - PG_EPOCH_MICROS))

    def _jsonb_binary(self, typ: pa.DataType) -> Encode | None:
        return (lambda v: b"\x01" + jsonb_value(v).encode()) if _is_string(typ) else None


def _integer(name: str, fmt: int, typ: pa.DataType) -> Encode | None:
    """Integer data narrow enough for the column (wider data goes the vectorised way, which
    range checks it)."""
    if not pa.types.is_integer(typ):
        return None
    signed = pa.types.is_signed_integer(typ)
    if typ.bit_width > _INT_WIDTH[name] or (not signed and typ.bit_width == _INT_WIDTH[name]):
        return None
    return _INT_PACK[name] if fmt == BINARY else (lambda v: b"%d" % v)


def _text_like(typ: pa.DataType) -> Encode | None:
    if _is_string(typ):
        return str.encode
    if pa.types.is_binary(typ) or pa.types.is_large_binary(typ):
        return bytes
    return None


def _bool(typ: pa.DataType, true: bytes, false: bytes) -> Encode | None:
    return (lambda v: true if v else false) if pa.types.is_boolean(typ) else None


def _date(typ: pa.DataType, fmt: int) -> Encode | None:
    if not pa.types.is_date(typ):
        return None
    if fmt == BINARY:
        return lambda v: _I4(v.toordinal() - _EPOCH_ORDINAL - PG_EPOCH_DAYS)
    return lambda v: v.isoformat().encode()


def _time(typ: pa.DataType, fmt: int) -> Encode | None:
    if not (pa.types.is_time(typ) and typ.unit in ("s", "ms", "us")):
        return None

    def micros(v: dt.time) -> int:
        return ((v.hour * 60 + v.minute) * 60 + v.second) * 1_000_000 + v.microsecond

    if fmt == BINARY:
        return lambda v: _I8(micros(v))

    def text(v: dt.time) -> bytes:
        clock = f"{v.hour:02d}:{v.minute:02d}:{v.second:02d}"
        return (clock + ("." + f"{v.microsecond:06d}".rstrip("0") if v.microsecond else "")).encode()

    return text


def _uuid(typ: pa.DataType, fmt: int) -> Encode | None:
    if not (pa.types.is_fixed_size_binary(typ) and typ.byte_width == 16):
        return None
    return bytes if fmt == BINARY else (lambda v: str(uuid.UUID(bytes=v)).encode())


def _micros_of(typ: pa.DataType) -> Callable[[dt.datetime], int] | None:
    """Microseconds since 1970 (UTC for zoned data) of a to_pylist timestamp."""
    if not (pa.types.is_timestamp(typ) and typ.unit in ("s", "ms", "us")):
        return None
    epoch = _EPOCH if typ.tz is None else _EPOCH_UTC
    return lambda v: (v - epoch) // _MICRO


def _decimal_digits(value: Decimal) -> str:
    """numeric.py's text: the decimal's digits with trailing fractional zeros trimmed."""
    if value.is_zero():
        return "0"
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _array_text(inner: Encode) -> Encode:
    def element(v: Any) -> bytes:
        if v is None:
            return b"NULL"
        text = inner(v)
        if not text or _NEEDS_QUOTES.search(text) or text.lower() == b"null":
            return b'"' + _ESCAPE.sub(rb"\\\1", text) + b'"'
        return text

    return lambda items: b"{" + b",".join([element(v) for v in items]) + b"}"


def _array_binary(inner: Encode, element_oid: int) -> Encode:
    def send(items: list[Any]) -> bytes:
        fields = [b"\xff\xff\xff\xff" if v is None else _length_prefixed(inner(v)) for v in items]
        has_nulls = int(any(v is None for v in items))
        if not items:
            return struct.pack("!iii", 0, has_nulls, element_oid)
        return struct.pack("!iiiii", 1, has_nulls, element_oid, len(items), 1) + b"".join(fields)

    return send


def _length_prefixed(value: bytes) -> bytes:
    return _I4(len(value)) + value


def _is_string(typ: pa.DataType) -> bool:
    return pa.types.is_string(typ) or pa.types.is_large_string(typ)


def _is_bytes(typ: pa.DataType) -> bool:
    return pa.types.is_binary(typ) or pa.types.is_large_binary(typ) or pa.types.is_fixed_size_binary(typ)


Choose = Callable[[RowwiseEncoders, pa.DataType], Encode | None]
_TEXT: dict[str, Choose] = {
    "numeric": RowwiseEncoders._numeric_text,
    "float4": lambda self, typ: self._float_text(typ, True),
    "float8": lambda self, typ: self._float_text(typ, False),
    "timestamp": lambda self, typ: self._timestamp_text(typ, False),
    "timestamptz": lambda self, typ: self._timestamp_text(typ, True),
    "bytea": RowwiseEncoders._bytea_text,
    "jsonb": RowwiseEncoders._jsonb_text,
    "bool": lambda self, typ: _bool(typ, b"t", b"f"),
    "date": lambda self, typ: _date(typ, TEXT),
    "time": lambda self, typ: _time(typ, TEXT),
    "uuid": lambda self, typ: _uuid(typ, TEXT),
}
_BINARY: dict[str, Choose] = {
    "numeric": RowwiseEncoders._numeric_binary,
    "float4": lambda self, typ: self._float_binary(typ, True),
    "float8": lambda self, typ: self._float_binary(typ, False),
    "timestamp": RowwiseEncoders._timestamp_binary,
    "timestamptz": RowwiseEncoders._timestamp_binary,
    "bytea": lambda self, typ: bytes if _is_bytes(typ) else None,
    "jsonb": RowwiseEncoders._jsonb_binary,
    "bool": lambda self, typ: _bool(typ, b"\x01", b"\x00"),
    "date": lambda self, typ: _date(typ, BINARY),
    "time": lambda self, typ: _time(typ, BINARY),
    "uuid": lambda self, typ: _uuid(typ, BINARY),
}
