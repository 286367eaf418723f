"""PostgreSQL values <-> Python values, in text and binary format, for scalars and arrays.

`decode_param` reads a Bind parameter; `encode_text` / `encode_binary` write a value the way
PostgreSQL 15 itself would (DateStyle ISO, MDY; IntervalStyle postgres; extra_float_digits 1;
bytea hex; timestamptz in UTC as `+00`), which the tests check byte for byte against a real
server. Each type is one `_Codec` row, so adding a type is adding a row; arrays are built
from their element's row. Python types: int, float, Decimal, bool, str, bytes, date, time,
naive datetime (timestamp), aware UTC datetime (timestamptz), Interval, list.

Errors name the type and, when the caller passes `index`, the parameter ($1 is index 1):
bad text is 22P02 (22007 for date/time types, 22021 for bad UTF-8), bad binary is 22P03,
out-of-range values keep their own SQLSTATE (22003, 22008).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

from pgbridge.typemap import PG_TYPES, PG_TYPES_BY_OID
from pgbridge.wire import _arrays, _datetimes, _numbers, _strings
from pgbridge.wire.errors import PgError, SqlState
from pgbridge.wire.interval import (
    Interval,
    format_interval,
    interval_binary,
    parse_interval,
    parse_interval_binary,
)

__all__ = ["Interval", "decode_param", "encode_binary", "encode_text", "supported_oids"]


@dataclass(frozen=True, slots=True)
class _Codec:
    sql_name: str  # as PostgreSQL names the type in its messages
    syntax_state: str
    from_text: Callable[[str], object]
    to_text: Callable[[object], str]
    from_binary: Callable[[bytes], object]
    to_binary: Callable[[object], bytes]


_Reader = Callable[[bytes], object]
_Writer = Callable[[object], bytes]


def _struct_codec(fmt: str, check: Callable[[object], object]) -> tuple[_Reader, _Writer]:
    packer = struct.Struct(fmt)
    return (lambda data: packer.unpack(data)[0]), (lambda value: packer.pack(check(value)))


def _int_codec(bits: int, fmt: str, name: str) -> _Codec:
    check = _numbers.checked_int(bits, name)
    from_binary, to_binary = _struct_codec(fmt, check)
    return _Codec(name, SqlState.INVALID_TEXT_REPRESENTATION, _numbers.int_parser(bits, name),
                  lambda v: str(check(v)), from_binary, to_binary)


def _check_oid(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**32:
        raise TypeError("oid needs an int in 0..4294967295")
    return value


def _as_float(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"a float needs a float or int, not {type(value).__name__}")
    return float(value)


def _text_codec(name: str, parse: Callable[[str], object] = lambda s: s) -> _Codec:
    return _Codec(name, SqlState.INVALID_TEXT_REPRESENTATION, parse, _strings.check_text,
                  lambda data: parse(_utf8(data)), lambda v: _strings.check_text(v).encode("utf-8"))


def _utf8(data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PgError(SqlState.CHARACTER_NOT_IN_REPERTOIRE,
                      f'invalid byte sequence for encoding "UTF8": 0x{data[exc.start]:02x}') from None
    if "\0" in text:
        raise PgError(SqlState.CHARACTER_NOT_IN_REPERTOIRE, 'invalid byte sequence for encoding "UTF8": 0x00')
    return text


_DT = SqlState.INVALID_DATETIME_FORMAT
_TXT = SqlState.INVALID_TEXT_REPRESENTATION
_f4_from, _ = _struct_codec("!f", _as_float)
_f8_from, _f8_to = _struct_codec("!d", _as_float)
_oid_from, _oid_to = _struct_codec("!I", _check_oid)

_SCALARS: dict[str, _Codec] = {
    "int2": _int_codec(16, "!h", "smallint"),
    "int4": _int_codec(32, "!i", "integer"),
    "int8": _int_codec(64, "!q", "bigint"),
    "oid": _Codec("oid", _TXT, _numbers.parse_oid, lambda v: str(_check_oid(v)), _oid_from, _oid_to),
    "float4": _Codec("real", _TXT, lambda s: _numbers.parse_float(s, "real", True),
                     lambda v: _numbers.format_float(_numbers.as_float4(_as_float(v)), True), _f4_from,
                     lambda v: _numbers.float4_binary(_as_float(v))),
    "float8": _Codec("double precision", _TXT, lambda s: _numbers.parse_float(s, "double precision", False),
                     lambda v: _numbers.format_float(_as_float(v), False), _f8_from, _f8_to),
    "numeric": _Codec("numeric", _TXT, _numbers.parse_numeric, _numbers.format_numeric,
                      _numbers.parse_numeric_binary, _numbers.numeric_binary),
    "bool": _Codec("boolean", _TXT, _numbers.parse_bool, lambda v: "t" if _numbers.check_bool(v) else "f",
                   lambda d: {b"\x00": False}.get(d, True) if len(d) == 1 else _bad(),
                   lambda v: b"\x01" if _numbers.check_bool(v) else b"\x00"),
    "text": _text_codec("text"),
    "varchar": _text_codec("character varying"),
    "bpchar": _text_codec("character"),
    "unknown": _text_codec("unknown"),
    "name": _text_codec("name", _strings.parse_name),
    "char": _Codec('"char"', _TXT, _strings.parse_char_text, _strings.format_char_text,
                   _strings.parse_char_binary, _strings.char_binary),
    "bytea": _Codec("bytea", _TXT, _strings.parse_bytea_text, _strings.format_bytea_text,
                    bytes, _strings.check_bytes),
    "json": _Codec("json", _TXT, _strings.parse_json, _strings.check_json,
                   lambda d: _strings.parse_json(_utf8(d)), lambda v: _strings.check_json(v).encode("utf-8")),
    "jsonb": _Codec("jsonb", _TXT, _strings.parse_json,
                    lambda v: _strings.normalize_jsonb(_strings.check_json(v)),
                    _strings.parse_jsonb_binary, _strings.jsonb_binary),
    "uuid": _Codec("uuid", _TXT, _strings.parse_uuid, _strings.check_uuid,
                   _strings.parse_uuid_binary, _strings.uuid_binary),
    "date": _Codec("date", _DT, _datetimes.parse_date, _datetimes.format_date,
                   _datetimes.parse_date_binary, _datetimes.date_binary),
    "time": _Codec("time without time zone", _DT, _datetimes.parse_time, _datetimes.format_time,
                   _datetimes.parse_time_binary, _datetimes.time_binary),
    "timestamp": _Codec("timestamp without time zone", _DT, _datetimes.parse_timestamp,
                        _datetimes.format_timestamp, _datetimes.parse_timestamp_binary,
                        _datetimes.timestamp_binary),
    "timestamptz": _Codec("timestamp with time zone", _DT, _datetimes.parse_timestamptz,
                          _datetimes.format_timestamptz, _datetimes.parse_timestamptz_binary,
                          lambda v: _datetimes.timestamp_binary(_datetimes.as_utc_naive(v))),
    "interval": _Codec("interval", _DT, parse_interval, format_interval,
                       parse_interval_binary, interval_binary),
}


def _bad() -> object:
    raise ValueError


def _array_codec(element_oid: int, element: _Codec) -> _Codec:
    def from_text(text: str) -> object:
        return [None if raw is None else element.from_text(raw) for raw in _arrays.split_array(text)]

    def from_binary(data: bytes) -> object:
        return [None if raw is None else element.from_binary(raw)
                for raw in _arrays.split_array_binary(data, element_oid)]

    return _Codec(
        element.sql_name + "[]", element.syntax_state, from_text,
        lambda v: _arrays.format_array(v, element.to_text),
        from_binary,
        lambda v: _arrays.array_binary(v, element_oid, element.to_binary),
    )


def _build_registry() -> dict[int, _Codec]:
    registry: dict[int, _Codec] = {}
    for name, codec in _SCALARS.items():
        pg = PG_TYPES[name]
        registry[pg.oid] = codec
        if pg.array_oid:
            registry[pg.array_oid] = _array_codec(pg.oid, codec)
    registry[0] = _SCALARS["unknown"]  # a parameter whose type the client left unspecified
    return registry


_REGISTRY = _build_registry()


def supported_oids() -> frozenset[int]:
    """Type OIDs this module can decode and encode."""
    return frozenset(_REGISTRY)


def _codec(type_oid: int) -> _Codec:
    try:
        return _REGISTRY[type_oid]
    except KeyError:
        pg = PG_TYPES_BY_OID.get(type_oid)
        name = pg.name if pg else f"OID {type_oid}"
        message = f"values of type {name} are not supported by pgbridge"
        raise PgError(SqlState.FEATURE_NOT_SUPPORTED, message) from None


def _where(index: int | None) -> str:
    return f" (parameter ${index})" if index is not None else ""


def decode_param(type_oid: int, fmt: int, data: bytes, *, index: int | None = None) -> object:
    """A Bind parameter's Python value; `index` (1-based) only names the parameter in errors."""
    codec = _codec(type_oid)
    try:
        if fmt == 0:
            return _from_text(codec, _utf8(bytes(data)))
        if fmt == 1:
            return _from_binary(codec, bytes(data))
    except PgError as err:
        if index is not None:
            err.message += _where(index)
        raise
    raise PgError(SqlState.INVALID_PARAMETER_VALUE, f"unsupported format code: {fmt}{_where(index)}")


def _from_text(codec: _Codec, text: str) -> object:
    try:
        return codec.from_text(text)
    except (ValueError, OverflowError, struct.error):
        message = f'invalid input syntax for type {codec.sql_name}: "{text}"'
        raise PgError(codec.syntax_state, message) from None


def _from_binary(codec: _Codec, data: bytes) -> object:
    try:
        return codec.from_binary(data)
    except (ValueError, OverflowError, struct.error, UnicodeDecodeError):
        message = f"incorrect binary data format for type {codec.sql_name}"
        raise PgError(SqlState.INVALID_BINARY_REPRESENTATION, message) from None


def encode_text(type_oid: int, value: object) -> bytes:
    """`value` as PostgreSQL's text output for the type (TypeError for a wrong Python type)."""
    return _codec(type_oid).to_text(value).encode("utf-8")


def encode_binary(type_oid: int, value: object) -> bytes:
    """`value` in PostgreSQL's binary format for the type."""
    return _codec(type_oid).to_binary(value)
