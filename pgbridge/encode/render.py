"""Which renderer turns an Arrow column into PostgreSQL text or binary values.

A renderer takes one Arrow array and returns a binary array of the same length holding each
value's bytes as PostgreSQL would send them in a DataRow (NULL stays NULL). The choice is by
the PostgreSQL type the client was told about in RowDescription; the Arrow type only decides
how the data is read (an int32 for an int8 column, names for a regclass column, a struct for
a json column). Arrays and ranges recurse into their element type.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from pgbridge.encode import arrays, datetimes, floats, interval, numeric, numeric_digits, ranges, scalars
from pgbridge.encode import arrowutil as au
from pgbridge.encode.jsonfmt import JsonBuilder, jsonb_text
from pgbridge.encode.settings import EncodeSettings
from pgbridge.encode.timezones import Zone, resolve_zone
from pgbridge.typemap import PG_TYPES, PG_TYPES_BY_OID, PgType
from pgbridge.wire.errors import PgError, SqlState

OID_LIKE = {"oid", "regproc", "regprocedure", "regclass", "regtype", "regnamespace", "regrole", "xid"}
# aclitem, pg_node_tree and pg_lsn appear only in catalog columns (pg_database.datacl, ...):
# their text form is a string, and `SELECT * FROM pg_database` must not fail on them.
TEXT_LIKE = {"text", "varchar", "name", "bpchar", "unknown", "aclitem", "pg_node_tree", "pg_lsn"}
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
        return self._scalar_text(name, arr)

    def _scalar_text(self, name: str, arr: pa.Array) -> pa.Array:
        if name in ("int2", "int4", "int8"):
            return scalars.integer_text(arr, name)
        if name in OID_LIKE:
            return scalars.oid_text(arr, name)
        if name in ("float4", "float8"):
            return floats.float_text(arr, name == "float4", self.settings.extra_float_digits)
        if name == "numeric" and numeric_digits.is_digits_column(arr):
            return numeric_digits.digits_text(arr)  # PostgreSQL's digits (sql numeric_exact.py)
        if name == "timestamptz" or name == "timestamp":
            zone = self.zone if name == "timestamptz" else None
            return datetimes.timestamp_text(datetimes.timestamp_micros(arr), au.validity(arr), zone)
        simple = {
            "numeric": numeric.numeric_text,
            "bool": scalars.bool_text,
            "date": datetimes.date_text,
            "time": datetimes.time_text,
            "interval": interval.interval_text,
            "uuid": scalars.uuid_text,
            "char": scalars.char_text,
        }
        if name in simple:
            return simple[name](arr)
        if name in TEXT_LIKE:
            return scalars.text_values(arr)
        if name == "bytea":
            return scalars.bytea_text(arr, self.settings.bytea_output)
        if name in ("json", "jsonb"):
            return self._json_text(PG_TYPES[name], arr)
        raise PgError(SqlState.FEATURE_NOT_SUPPORTED, f"output of type {name} is not supported by pgbridge")

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
        return self._scalar_binary(name, arr)

    def _scalar_binary(self, name: str, arr: pa.Array) -> pa.Array:
        if name in ("int2", "int4", "int8"):
            return scalars.integer_binary(arr, name)
        if name in OID_LIKE:
            return scalars.oid_binary(arr, name)
        if name in ("float4", "float8"):
            return floats.float_binary(arr, name == "float4")
        if name == "numeric" and numeric_digits.is_digits_column(arr):
            return numeric_digits.digits_binary(arr)
        simple = {
            "numeric": numeric.numeric_binary,
            "bool": scalars.bool_binary,
            "date": datetimes.date_binary,
            "time": datetimes.time_binary,
            "timestamp": datetimes.timestamp_binary,
            "timestamptz": datetimes.timestamp_binary,
            "interval": interval.interval_binary,
            "uuid": scalars.uuid_binary,
            "char": scalars.char_binary,
            "bytea": scalars.bytea_binary,
        }
        if name in simple:
            return simple[name](arr)
        if name in TEXT_LIKE or name == "json":
            return self._scalar_text(name, arr)
        if name == "jsonb":  # jsonb_send: version byte 1, then the text
            return pc.binary_join_element_wise(b"\x01", au.as_binary(self._scalar_text(name, arr)), b"")
        raise PgError(
            SqlState.FEATURE_NOT_SUPPORTED, f"binary output of type {name} is not supported by pgbridge"
        )


def _is_string(typ: pa.DataType) -> bool:
    return pa.types.is_string(typ) or pa.types.is_large_string(typ)


def _value_type(arr: pa.Array) -> pa.DataType:
    return arr.type.value_type if hasattr(arr.type, "value_type") else arr.type
