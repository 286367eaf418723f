"""json (from STRUCT and other nested Arrow data) and jsonb (from BigQuery JSON text).

json: PostgreSQL prints json exactly as stored, so the gateway chooses the text; it uses the
form of PostgreSQL's to_json/row_to_json (compact, keys in struct field order, timestamps as
XSD strings, NaN and Infinity as strings). It is built column-wise: each struct field and
each list's elements are rendered as JSON for the whole batch, then joined with the keys.

jsonb: PostgreSQL re-renders jsonb from its binary form: ", " and ": " separators, object
keys deduplicated (last wins) and ordered by length then bytes, numbers as numeric_out
prints them (1e2 -> 100, 1.50 -> 1.50). BigQuery JSON arrives as text and is re-rendered
the same way, one value at a time (json.loads with Decimal numbers).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pgbridge.encode import arrowutil as au

JSON_EXTENSION = b"google:sqlType:json"
_RARE_CONTROL = r"[\x00-\x07\x0b\x0e-\x1f]"  # controls without a short escape
_SIMPLE_ESCAPES = [
    ("\\", "\\\\"),
    ('"', '\\"'),
    ("\n", "\\n"),
    ("\t", "\\t"),
    ("\r", "\\r"),
    ("\b", "\\b"),
    ("\f", "\\f"),
]

ScalarText = Callable[[pa.Array], pa.Array]  # renders a scalar column as PostgreSQL text


def escape_json_value(text: str) -> str:
    """PostgreSQL's escape_json: the value in double quotes."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif code < 0x20:
            out.append(
                {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch, f"\\u{code:04x}")
            )
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def quote_json(arr: pa.Array) -> pa.Array:
    """Each string as a JSON string literal (NULL stays NULL)."""
    original = arr.cast(pa.string())
    arr = original
    if pc.any(pc.match_substring_regex(arr, r'[\x00-\x1f"\\]')).as_py():
        for plain, escaped in _SIMPLE_ESCAPES:
            arr = pc.replace_substring(arr, plain, escaped)
        rare = pc.match_substring_regex(original, _RARE_CONTROL).fill_null(False)
        if pc.any(rare).as_py():  # other control characters: \u00XX, value by value
            fixed = [escape_json_value(v)[1:-1] for v in original.filter(rare).to_pylist()]
            arr = pc.replace_with_mask(arr, rare, pa.array(fixed, pa.string()))
    return pc.binary_join_element_wise('"', arr, '"', "")


class JsonBuilder:
    """Renders any Arrow array as to_json would, column-wise. NULL values become 'null'."""

    def __init__(self, scalar_text: Callable[[pa.Array, str], pa.Array]) -> None:
        # scalar_text(array, kind) renders one scalar column; kind is "plain", "xsd" (times)
        self._scalar_text = scalar_text

    def render(self, arr: pa.Array, is_json: bool = False) -> pa.Array:
        """JSON text per value, 'null' for NULL: a string array with no NULLs."""
        return self.render_nullable(arr, is_json).fill_null("null")

    def render_nullable(self, arr: pa.Array, is_json: bool = False) -> pa.Array:
        typ = arr.type
        if pa.types.is_dictionary(typ):
            arr = arr.dictionary_decode()
            typ = arr.type
        if pa.types.is_struct(typ):
            return self._struct(arr)
        if pa.types.is_list(typ) or pa.types.is_large_list(typ) or pa.types.is_fixed_size_list(typ):
            return self._list(arr)
        if pa.types.is_string(typ) or pa.types.is_large_string(typ):
            return arr.cast(pa.string()) if is_json else quote_json(arr)
        if pa.types.is_boolean(typ):
            return pc.if_else(arr, "true", "false")
        if pa.types.is_integer(typ) or pa.types.is_decimal(typ):
            return self._scalar_text(arr, "plain").cast(pa.string())
        if pa.types.is_floating(typ):
            text = self._scalar_text(arr, "plain").cast(pa.string())
            finite = pc.is_finite(arr.cast(pa.float64()))
            return pc.if_else(finite, text, quote_json(text))
        kind = "xsd" if pa.types.is_timestamp(typ) else "plain"
        return quote_json(self._scalar_text(arr, kind).cast(pa.string()))

    def _struct(self, arr: pa.Array) -> pa.Array:
        typ = arr.type
        children = arr.flatten()
        pieces: list[pa.Array | str] = []
        for i, child in enumerate(children):
            field = typ.field(i)
            is_json = (field.metadata or {}).get(b"ARROW:extension:name") == JSON_EXTENSION
            key = escape_json_value(field.name) + ":"
            pieces += [("{" if i == 0 else ",") + key, self.render(child, is_json)]
        if not pieces:
            body = pa.array(["{}"] * len(arr), pa.string())
        else:
            body = pc.binary_join_element_wise(*pieces, "}", "")
        return au.with_nulls(body, au.validity(arr))

    def _list(self, arr: pa.Array) -> pa.Array:
        arr = _as_list(arr)
        values = arr.flatten()
        offsets = np.asarray(arr.offsets.to_numpy(zero_copy_only=False))
        rendered = self.render(values)
        rebuilt = pa.ListArray.from_arrays(pa.array(offsets - offsets[0], pa.int32()), rendered)
        joined = pc.binary_join(rebuilt, ",")
        body = pc.binary_join_element_wise("[", joined, "]", "")
        return au.with_nulls(body, au.validity(arr))


def _as_list(arr: pa.Array) -> pa.Array:
    if pa.types.is_list(arr.type):
        return arr
    return arr.cast(pa.list_(arr.type.value_type))


# --- jsonb -------------------------------------------------------------------------------


def jsonb_value(text: str) -> str:
    """One BigQuery JSON text as PostgreSQL's jsonb_out prints it."""
    value = json.loads(
        text,
        parse_float=Decimal,
        parse_int=Decimal,
        parse_constant=_no_constant,
        object_pairs_hook=_jsonb_object,
    )
    return _dump(value)


def _no_constant(name: str) -> object:
    raise ValueError(f"invalid JSON number {name}")


class _Object(list[tuple[str, object]]):
    pass


def _jsonb_object(pairs: list[tuple[str, object]]) -> _Object:
    latest = dict(pairs)  # jsonb keeps the last of duplicate keys
    ordered = sorted(latest.items(), key=lambda kv: (len(kv[0].encode()), kv[0].encode()))
    return _Object(ordered)


def _dump(value: object) -> str:
    if isinstance(value, _Object):
        return "{" + ", ".join(f"{escape_json_value(k)}: {_dump(v)}" for k, v in value) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_dump(v) for v in value) + "]"
    if isinstance(value, str):
        return escape_json_value(value)
    if isinstance(value, Decimal):
        return _numeric_out(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "null"


def _numeric_out(value: Decimal) -> str:
    text = format(value, "f")
    if value.is_zero() and text.startswith("-"):
        text = text[1:]  # numeric has no negative zero
    return text


def jsonb_text(arr: pa.Array) -> pa.Array:
    strings = arr.cast(pa.string())
    return pa.array([None if v is None else jsonb_value(v) for v in strings.to_pylist()], pa.string())
