"""BigQuery schemas and parameters <-> pgbridge's `Field`, Arrow types and client parameters.

BigQuery's APIs describe a column as a legacy type name plus a mode ("INTEGER", REPEATED,
nested RECORD fields, RANGE with a rangeElementType). The rest of pgbridge speaks standard
SQL spellings ("ARRAY<INT64>", "STRUCT<a INT64>", "RANGE<DATE>"), so the translation lives
here once. The Arrow type of every BigQuery type is the one the Storage Read API produces
(see backends/base.py), so both result paths can be cast to the same schema.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Literal

import pyarrow as pa
from google.cloud import bigquery

from pgbridge.backends.base import Field, QueryParam
from pgbridge.typemap import BqType, parse_bq_type
from pgbridge.wire.errors import PgError, SqlState

_SCALAR_ARROW: dict[str, pa.DataType] = {
    "INT64": pa.int64(),
    "FLOAT64": pa.float64(),
    "NUMERIC": pa.decimal128(38, 9),
    "BIGNUMERIC": pa.decimal256(76, 38),
    "BOOL": pa.bool_(),
    "STRING": pa.string(),
    "BYTES": pa.binary(),
    "DATE": pa.date32(),
    "DATETIME": pa.timestamp("us"),
    "TIME": pa.time64("us"),
    "TIMESTAMP": pa.timestamp("us", tz="UTC"),
    "JSON": pa.string(),
    "GEOGRAPHY": pa.string(),
    "INTERVAL": pa.month_day_nano_interval(),
}


_MODES: dict[str, Literal["NULLABLE", "REQUIRED", "REPEATED"]] = {
    "NULLABLE": "NULLABLE",
    "REQUIRED": "REQUIRED",
    "REPEATED": "REPEATED",
}


def standard_type(schema_field: bigquery.SchemaField) -> str:
    """The standard SQL spelling of a column, REPEATED folded into ARRAY<...>."""
    base = _element_spelling(schema_field)
    return f"ARRAY<{base}>" if schema_field.mode == "REPEATED" else base


def _element_spelling(schema_field: bigquery.SchemaField) -> str:
    kind = schema_field.field_type.upper()
    if kind in ("RECORD", "STRUCT"):
        inner = ", ".join(f"{f.name} {standard_type(f)}" for f in schema_field.fields)
        return f"STRUCT<{inner}>"
    if kind.startswith("RANGE"):
        element = schema_field.range_element_type
        if element is not None and element.element_type:
            return f"RANGE<{element.element_type.upper()}>"
        return kind  # already "RANGE<DATE>" in some API responses
    return str(parse_bq_type(kind))  # INTEGER -> INT64, BOOLEAN -> BOOL, ...


def field_from_schema(schema_field: bigquery.SchemaField) -> Field:
    mode = _MODES.get(schema_field.mode or "", "NULLABLE")
    precision, scale = _declared(schema_field)
    description = schema_field.description
    return Field(schema_field.name, standard_type(schema_field), mode, description, precision, scale)


def _declared(schema_field: bigquery.SchemaField) -> tuple[int | None, int | None]:
    """NUMERIC(P, S) / BIGNUMERIC(P, S): BigQuery's parameterized types carry a column's scale
    (NUMERIC(P) means scale 0)."""
    kind = schema_field.field_type.upper()
    if kind not in ("NUMERIC", "BIGNUMERIC", "DECIMAL", "BIGDECIMAL") or schema_field.precision is None:
        return None, None
    return int(schema_field.precision), int(schema_field.scale or 0)


def fields_from_schema(schema: Sequence[bigquery.SchemaField]) -> tuple[Field, ...]:
    return tuple(field_from_schema(f) for f in schema)


def arrow_type(bq: BqType | str) -> pa.DataType:
    """The Arrow type the Storage Read API uses for a BigQuery type."""
    if isinstance(bq, str):
        bq = parse_bq_type(bq)
    if bq.name == "ARRAY":
        assert bq.element is not None
        return pa.list_(arrow_type(bq.element))
    if bq.name == "STRUCT":
        return pa.struct([pa.field(name, arrow_type(t)) for name, t in bq.fields])
    if bq.name == "RANGE":
        assert bq.element is not None
        element = arrow_type(bq.element)
        return pa.struct([pa.field("start", element), pa.field("end", element)])
    try:
        return _SCALAR_ARROW[bq.name]
    except KeyError:
        raise PgError(SqlState.FEATURE_NOT_SUPPORTED, f"BigQuery type {bq} has no Arrow mapping") from None


def arrow_schema(fields: Sequence[Field]) -> pa.Schema:
    return pa.schema([pa.field(f.name, arrow_type(f.type), f.mode != "REQUIRED") for f in fields])


# ---- query parameters ---------------------------------------------------------------------

QueryParameter = (
    bigquery.ScalarQueryParameter
    | bigquery.ArrayQueryParameter
    | bigquery.StructQueryParameter
    | bigquery.RangeQueryParameter
)


def query_parameters(params: Sequence[QueryParam], types_only: bool = False) -> list[QueryParameter]:
    """Client query parameters for QueryParams; `types_only` sends NULLs (dry runs)."""
    result = []
    for param in params:
        try:
            bq = parse_bq_type(param.type)
        except ValueError as exc:
            raise PgError(SqlState.INDETERMINATE_DATATYPE, f"parameter @{param.name}: {exc}") from None
        result.append(_parameter(param.name, bq, None if types_only else param.value))
    return result


def _parameter(name: str | None, bq: BqType, value: object) -> QueryParameter:
    if bq.name == "ARRAY":
        assert bq.element is not None
        return _array_parameter(name, bq.element, value)
    if bq.name == "STRUCT":
        values = _struct_values(name, bq, value)
        subs = [_parameter(field_name, t, values.get(field_name)) for field_name, t in bq.fields]
        return bigquery.StructQueryParameter(name, *subs)
    if bq.name == "RANGE":
        assert bq.element is not None
        start, end = _range_bounds(name, value)
        return bigquery.RangeQueryParameter(bq.element.name, start, end, name=name)
    scalar: Any = _scalar_value(name, bq.name, value)
    return bigquery.ScalarQueryParameter(name, bq.name, scalar)


def _array_parameter(name: str | None, element: BqType, value: object) -> bigquery.ArrayQueryParameter:
    items = list(value) if isinstance(value, list | tuple) else []
    if value is not None and not isinstance(value, list | tuple):
        raise _bad_value(name, "ARRAY", value)
    if element.name == "STRUCT":
        struct_type = _struct_param_type(element)
        subs = [_parameter(None, element, item) for item in items]
        return bigquery.ArrayQueryParameter(name, struct_type if not subs else "STRUCT", subs)
    return bigquery.ArrayQueryParameter(
        name, element.name, [_scalar_value(name, element.name, v) for v in items]
    )


def _struct_param_type(bq: BqType) -> bigquery.StructQueryParameterType:
    subs: list[Any] = []
    for field_name, t in bq.fields:
        if t.name == "STRUCT":
            inner = _struct_param_type(t)
            subs.append(bigquery.StructQueryParameterType(*inner.fields, name=field_name))
        elif t.name == "ARRAY":
            assert t.element is not None
            element = _struct_param_type(t.element) if t.element.name == "STRUCT" else t.element.name
            subs.append(bigquery.ArrayQueryParameterType(element, name=field_name))
        else:
            subs.append(bigquery.ScalarQueryParameterType(t.name, name=field_name))
    return bigquery.StructQueryParameterType(*subs)


def _struct_values(name: str | None, bq: BqType, value: object) -> Mapping[str, object]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return value
    if isinstance(value, list | tuple) and len(value) == len(bq.fields):
        return {field_name: v for (field_name, _), v in zip(bq.fields, value, strict=True)}
    raise _bad_value(name, str(bq), value)


def _range_bounds(name: str | None, value: object) -> tuple[object, object]:
    if value is None:
        return None, None
    if isinstance(value, Mapping):
        return value.get("start"), value.get("end")
    if isinstance(value, list | tuple) and len(value) == 2:
        return value[0], value[1]
    raise _bad_value(name, "RANGE", value)


def _scalar_value(name: str | None, kind: str, value: object) -> object:
    if value is None:
        return None
    if kind == "JSON" and isinstance(value, str):
        # The client json.dumps() JSON values; hand it the parsed document so the
        # parameter carries the document, not a JSON string literal of its text.
        try:
            return json.loads(value)
        except ValueError:
            raise _bad_value(name, "JSON", value) from None
    if kind == "INTERVAL" and isinstance(value, dt.timedelta):
        return _interval_literal(value)
    if kind in ("NUMERIC", "BIGNUMERIC") and isinstance(value, int | float | str):
        return Decimal(str(value))
    return value


def _interval_literal(delta: dt.timedelta) -> str:
    """timedelta -> BigQuery's canonical 'Y-M D H:M:S.F' interval text."""
    sign = "-" if delta < dt.timedelta(0) else ""
    total = abs(delta)
    seconds = total.seconds + total.microseconds / 1_000_000
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"0-0 {sign}{total.days} {sign}{int(hours)}:{int(minutes)}:{secs:09.6f}"


def _bad_value(name: str | None, kind: str, value: object) -> PgError:
    return PgError(
        SqlState.INVALID_PARAMETER_VALUE,
        f"parameter @{name}: a {type(value).__name__} value cannot be sent as BigQuery {kind}",
    )
