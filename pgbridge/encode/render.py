"""Which renderer turns an Arrow column into PostgreSQL text or binary values.

A renderer takes one Arrow array and returns a binary array of the same length holding each
value's bytes as PostgreSQL would send them in a DataRow (NULL stays NULL). The choice is by
the PostgreSQL type the client was told about in RowDescription; the Arrow type only decides
how the data is read (an int32 for an int8 column, names for a regclass column, a struct for
a json column). Arrays and ranges recurse into their element type.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import pyarrow as pa
import pyarrow.compute as pc

from pgbridge.encode import arrays, datetimes, floats, interval, numeric, numeric_digits, ranges, scalars
from pgbridge.encode import arrowutil as au
from pgbridge.encode.jsonfmt import JsonBuilder, jsonb_text
from pgbridge.encode.settings import EncodeSettings
from pgbridge.encode.timezones import Zone, resolve_zone
from pgbridge.typemap import PG_TYPES, PG_TYPES_BY_OID, PgType
from pgbridge.wire.errors import PgError, SqlState

Render = Callable[[pa.Array], pa.Array]  # one column in, its values' bytes out
_INTEGERS = ("int2", "int4", "int8")
OID_LIKE = {"oid", "regproc", "regprocedure", "regclass", "regtype", "regnamespace", "regrole", "xid"}
# aclitem, pg_node_tree, pg_lsn and anyarray appear only in catalog columns (pg_database.datacl,
# pg_attribute.attmissingval, ...): their text form is a string, and `SELECT * FROM pg_database`
# or pg_dump's column query must not fail on them.
TEXT_LIKE = {"text", "varchar", "name", "bpchar", "unknown", "aclitem", "pg_node_tree", "pg_lsn", "anyarray"}
_RANGE_BOUND = {"daterange": "date", "tsrange": "timestamp", "tstzrange": "timestamptz"}


def normalize(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One contiguous, non-dictionary array."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    return arr


class Renderers:
    """Text and binary renderers for one session's settings."""

    def __init__(self, settings: EncodeSettings) -> None:
        self.settings = settings
        self.zone: Zone = resolve_zone(settings.timezone)
        self.json = JsonBuilder(self._json_scalar)
        self._text_by_name = self._text_renderers()
        self._binary_by_name = self._binary_renderers()

    # --- text ------------------------------------------------------------------------
    def text(self, pg: PgType, arr: pa.Array) -> pa.Array:
        return au.as_binary(self._text(pg, normalize(arr)))

    def _text(self, pg: PgType, arr: pa.Array) -> pa.Array:
        if pg.element_oid:
            element = PG_TYPES_BY_OID[pg.element_oid]
            if element.name in ("json", "jsonb") and not _is_string(_value_type(arr)):
                return arrays.array_text(arr, lambda a: self._json_text(element, a))
            return arrays.array_text(arr, lambda a: self.text(element, a))
        name = pg.name
        if name in _RANGE_BOUND:
            return ranges.range_text(arr, lambda a: self.text(PG_TYPES[_RANGE_BOUND[name]], a))
        return _renderer(self._text_by_name, name, "output")(arr)

    def _text_renderers(self) -> dict[str, Render]:
        """Type name -> text renderer, for the types that are neither arrays nor ranges."""
        digits = self.settings.extra_float_digits
        return {
            **_with_name(scalars.integer_text, _INTEGERS),
            **_with_name(scalars.oid_text, OID_LIKE),
            "float4": lambda a: floats.float_text(a, True, digits),
            "float8": lambda a: floats.float_text(a, False, digits),
            "numeric": _numeric_text,
            "timestamp": lambda a: self._timestamp_text(a, None),
            "timestamptz": lambda a: self._timestamp_text(a, self.zone),
            "bool": scalars.bool_text,
            "date": datetimes.date_text,
            "time": datetimes.time_text,
            "interval": interval.interval_text,
            "uuid": scalars.uuid_text,
            "char": scalars.char_text,
            **dict.fromkeys(TEXT_LIKE, scalars.text_values),
            "bytea": lambda a: scalars.bytea_text(a, self.settings.bytea_output),
            "json": lambda a: self._json_text(PG_TYPES["json"], a),
            "jsonb": lambda a: self._json_text(PG_TYPES["jsonb"], a),
        }

    def _timestamp_text(self, arr: pa.Array, zone: Zone | None) -> pa.Array:
        return datetimes.timestamp_text(datetimes.timestamp_micros(arr), au.validity(arr), zone)

    def _json_text(self, pg: PgType, arr: pa.Array) -> pa.Array:
        text = arr.cast(pa.string()) if _is_string(arr.type) else self.json.render_nullable(arr)
        return jsonb_text(text) if pg.name == "jsonb" else text

    def _json_scalar(self, arr: pa.Array, kind: str) -> pa.Array:
        """Scalar values inside json, as to_json renders them (before quoting)."""
        typ = arr.type
        if pa.types.is_timestamp(typ):
            zone = self.zone if typ.tz is not None else None
            text = datetimes.timestamp_text(datetimes.timestamp_micros(arr), au.validity(arr), zone, xsd=True)
            return pc.replace_substring(text.cast(pa.string()), " ", "T", max_replacements=1)
        if pa.types.is_floating(typ):
            return floats.float_text(arr, pa.types.is_float32(typ), self.settings.extra_float_digits)
        by_type = [
            (pa.types.is_integer, lambda a: pc.cast(a, pa.string())),
            (pa.types.is_decimal, numeric.numeric_text),
            (pa.types.is_date, datetimes.date_text),
            (pa.types.is_time, datetimes.time_text),
            (pa.types.is_interval, interval.interval_text),
            (
                lambda t: pa.types.is_binary(t) or pa.types.is_large_binary(t),
                lambda a: scalars.bytea_text(a, self.settings.bytea_output),
            ),
        ]
        for test, render in by_type:
            if test(typ):
                return render(arr)
        return arr.cast(pa.string())

    # --- binary ----------------------------------------------------------------------
    def binary(self, pg: PgType, arr: pa.Array) -> pa.Array:
        return au.as_binary(self._binary(pg, normalize(arr)))

    def _binary(self, pg: PgType, arr: pa.Array) -> pa.Array:
        if pg.element_oid:
            element = PG_TYPES_BY_OID[pg.element_oid]
            return arrays.array_binary(arr, lambda a: self.binary(element, a), element.oid)
        name = pg.name
        if name in _RANGE_BOUND:
            return ranges.range_binary(arr, lambda a: self.binary(PG_TYPES[_RANGE_BOUND[name]], a))
        return _renderer(self._binary_by_name, name, "binary output")(arr)

    def _binary_renderers(self) -> dict[str, Render]:
        """Type name -> binary renderer, for the types that are neither arrays nor ranges."""
        text = self._text_by_name
        return {
            **_with_name(scalars.integer_binary, _INTEGERS),
            **_with_name(scalars.oid_binary, OID_LIKE),
            "float4": lambda a: floats.float_binary(a, True),
            "float8": lambda a: floats.float_binary(a, False),
            "numeric": _numeric_binary,
            "timestamp": datetimes.timestamp_binary,
            "timestamptz": datetimes.timestamp_binary,
            "bool": scalars.bool_binary,
            "date": datetimes.date_binary,
            "time": datetimes.time_binary,
            "interval": interval.interval_binary,
            "uuid": scalars.uuid_binary,
            "char": scalars.char_binary,
            **{name: text[name] for name in (*TEXT_LIKE, "json")},  # their binary form is the text
            # jsonb_send: version byte 1, then the text
            "jsonb": lambda a: pc.binary_join_element_wise(b"\x01", au.as_binary(text["jsonb"](a)), b""),
            "bytea": scalars.bytea_binary,
        }


def _with_name(render: Callable[[pa.Array, str], pa.Array], names: Iterable[str]) -> dict[str, Render]:
    """One family's renderers, each told which member it renders (int2 or int8, oid or regclass)."""

    def bound(name: str) -> Render:
        return lambda arr: render(arr, name)

    return {name: bound(name) for name in names}


def _numeric_text(arr: pa.Array) -> pa.Array:
    if numeric_digits.is_digits_column(arr):
        return numeric_digits.digits_text(arr)  # PostgreSQL's digits (sql numeric_exact.py)
    return numeric.numeric_text(arr)


def _numeric_binary(arr: pa.Array) -> pa.Array:
    if numeric_digits.is_digits_column(arr):
        return numeric_digits.digits_binary(arr)
    return numeric.numeric_binary(arr)


def _renderer(by_name: Mapping[str, Render], name: str, what: str) -> Render:
    try:
        return by_name[name]
    except KeyError:
        message = f"{what} of type {name} is not supported by pgbridge"
        raise PgError(SqlState.FEATURE_NOT_SUPPORTED, message) from None


def _is_string(typ: pa.DataType) -> bool:
    return pa.types.is_string(typ) or pa.types.is_large_string(typ)


def _value_type(arr: pa.Array) -> pa.DataType:
    return arr.type.value_type if hasattr(arr.type, "value_type") else arr.type
